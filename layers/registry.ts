import type { StackConfig } from "../config/schema";
import { stackNameOf } from "../config/stack-ref";
import { overlaps } from "../topology/cidr";

/**
 * The tower as data. Each entry is a layer kind the program knows; the stack
 * configs (stacks/Pulumi.<stack>.yaml) are its instances. The tower's height
 * is configuration: a small setup commits only prod0 and prod1 (prod1 then
 * says `controlPlane: true`), and nothing here changes.
 */

/** One known layer: its stack name, level and substrate. */
export interface LayerEntry {
  /** The Pulumi stack name. */
  readonly stack: string;
  /** The level N of prod-N. */
  readonly level: number;
  /** What the layer runs on. */
  readonly substrate: "basic-runner" | "gke";
  /** Who manages this layer: the bootstrap process for prod-0, otherwise the layer below. */
  readonly managedBy: string;
}

/** Every layer the program can deploy, bottom up. */
export const LAYER_REGISTRY: readonly LayerEntry[] = [
  { stack: "prod0", level: 0, substrate: "basic-runner", managedBy: "prod-bootstrap" },
  { stack: "prod1", level: 1, substrate: "gke", managedBy: "prod0" },
  { stack: "prod2", level: 2, substrate: "gke", managedBy: "prod1" },
  { stack: "prod3", level: 3, substrate: "gke", managedBy: "prod2" },
];

/** The known stack names, bottom up. */
export const KNOWN_STACKS: readonly string[] = LAYER_REGISTRY.map((l) => l.stack);

/** The registry entry of a stack; an unknown name fails with the list of known stacks. */
export function layerEntry(stack: string): LayerEntry {
  const entry = LAYER_REGISTRY.find((l) => l.stack === stack);
  if (!entry) {
    throw new Error(`Unknown stack "${stack}": expected one of ${KNOWN_STACKS.join(", ")}.`);
  }
  return entry;
}

/** One layer of a configured tower. */
export interface TowerLayer {
  /** The stack name. */
  readonly stack: string;
  /** The level. */
  readonly level: number;
  /** The stack that manages it ("prod-bootstrap" for level 0). */
  readonly managedBy: string;
  /** The stack it manages, if any. */
  readonly manages?: string;
  /** The validated config. */
  readonly config: StackConfig;
}

/**
 * Checks a set of stack configs forms a tower: levels 0..top without gaps,
 * each config's level matching its registry entry, each `spive:below` naming
 * the stack exactly one level down, exactly the top layer being the control
 * plane, and no two layers' address blocks overlapping. Returns the layers
 * bottom up; throws one error listing every problem.
 */
export function buildTower(configs: Readonly<Record<string, StackConfig>>, source = "stacks/"): TowerLayer[] {
  const problems: string[] = [];
  const stacks = Object.keys(configs).sort((a, b) => layerEntry(a).level - layerEntry(b).level);
  const top = stacks.length - 1;
  stacks.forEach((stack, i) => {
    const entry = layerEntry(stack);
    const cfg = configs[stack]!;
    const file = `${source}Pulumi.${stack}.yaml`;
    if (entry.level !== i) problems.push(`${file}: expected the tower to have level ${i} here, got ${stack} (level ${entry.level}); levels must run from 0 without gaps`);
    if (cfg["spive:layer"].level !== entry.level) problems.push(`${file} > spive:layer.level: expected ${entry.level} for stack ${stack}, got ${cfg["spive:layer"].level}`);
    const below = cfg["spive:below"]?.stack;
    if (entry.level > 0) {
      const expected = LAYER_REGISTRY[entry.level - 1]!.stack;
      if (!below || stackNameOf(below) !== expected) {
        problems.push(`${file} > spive:below.stack: expected a reference to ${expected} (one level down), got ${below ?? "nothing"}`);
      }
    }
    const isTop = i === top;
    if (cfg["spive:layer"].capabilities.controlPlane !== isTop) {
      problems.push(`${file} > spive:layer.capabilities.controlPlane: expected ${isTop} (${isTop ? "the top layer is the control plane" : `only the top layer, ${stacks[top]}, is the control plane`}), got ${cfg["spive:layer"].capabilities.controlPlane}`);
    }
    // One address plan for the whole tower: no two layers' blocks overlap,
    // so any two layers can later be peered or routed.
    const cidr = cfg["spive:network"].cidr;
    const clash = stacks.slice(0, i).find((other) => overlaps(configs[other]!["spive:network"].cidr, cidr));
    if (clash) {
      problems.push(`${file} > spive:network.cidr: expected a block disjoint from every other layer's, got ${cidr}, which overlaps ${clash}'s ${configs[clash]!["spive:network"].cidr} (${source}Pulumi.${clash}.yaml > spive:network.cidr)`);
    }
  });
  if (problems.length > 0) throw new Error(`The layer tower is inconsistent:\n  ${problems.join("\n  ")}`);
  return stacks.map((stack, i) => ({
    stack,
    level: layerEntry(stack).level,
    managedBy: layerEntry(stack).managedBy,
    manages: i < top ? stacks[i + 1] : undefined,
    config: configs[stack]!,
  }));
}
