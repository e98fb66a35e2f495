import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { loadStackConfig, readStackFile, stackFilePath, STACKS_DIR } from "../config/load";
import { qualifyStackName, stackNameOf } from "../config/stack-ref";
import type { StackConfig } from "../config/schema";
import { runStack } from "../layers";
import type { LayerOutputs, Prod0Outputs } from "../layers/contract";
import { layerEntry } from "../layers/registry";
import { internalHostname, layerPrefix, runnerHostName } from "../topology/placements";
import { publicEndpointName, publicZoneName } from "../layers/components/dns";
import { evaluate, flattenConfig, MOCK_NAME_SERVERS, mockDsRecord, type Evaluation } from "./recorder";

/**
 * The Pulumi project a stacks folder belongs to: the `name` of the Pulumi.yaml
 * beside it (a small setup's own folder) or above it (`stacks/`, the
 * repository's stackConfigDir); `spive-infra` when neither is readable.
 */
export function pulumiProjectOf(dir: string): string {
  for (const file of [path.join(dir, "Pulumi.yaml"), path.join(dir, "..", "Pulumi.yaml")]) {
    try {
      const name = (parseYaml(fs.readFileSync(file, "utf8")) as { name?: unknown } | null)?.name;
      if (typeof name === "string" && name !== "") return name;
    } catch {
      // Not there: try the next place.
    }
  }
  return "spive-infra";
}

/** How to evaluate a committed stack offline. */
export interface StackEvaluationOptions {
  /** The folder holding `Pulumi.<stack>.yaml` files (default: `stacks/`). */
  readonly stacksDir?: string;
  /** Evaluate as a preview. */
  readonly preview?: boolean;
  /** Replace the raw config map before evaluation (tests, benchmarks). */
  readonly mutate?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** The Pulumi organization the mock engine reports (default `spive`; a self-managed backend reports `organization`). */
  readonly organization?: string;
  /** Outputs of referenced stacks, by fully qualified name; by default derived from the committed config of the layer below. */
  readonly stackReferences?: Record<string, Record<string, unknown>>;
}

/**
 * The outputs a layer would export, derived from its committed config alone:
 * what `spive plan` uses in place of a live StackReference to the layer below.
 */
export function offlineLayerOutputs(cfg: StackConfig): LayerOutputs | Prod0Outputs {
  const layer = cfg["spive:layer"];
  const project = cfg["gcp:project"];
  const base: LayerOutputs = {
    level: layer.level,
    project,
    managerServiceAccountEmail: `${layerPrefix(layer.level)}@${project}.iam.gserviceaccount.com`,
    regions: layer.regions.map((r) => r.name),
    controlPlane: layer.capabilities.controlPlane,
  };
  const dns = cfg["spive:dns"];
  if (layer.capabilities.discoverable && dns) {
    const zone = publicZoneName(publicEndpointName(layerPrefix(layer.level)));
    return { ...base, publicZone: { dnsName: dns.domain, nameServers: [...MOCK_NAME_SERVERS], dsRecords: [mockDsRecord(zone)] } };
  }
  if (layer.level !== 0) return base;
  const runner = cfg["spive:runner"]!;
  const store = cfg["spive:eventStore"]!;
  return {
    ...base,
    runnerHosts: layer.regions[0]!.zones.flatMap((zone) =>
      Array.from({ length: runner.hostsPerZone }, (_, i) => ({
        name: runnerHostName(zone, i),
        zone,
        hostname: internalHostname(runnerHostName(zone, i), zone, project),
        port: runner.apiPort,
      })),
    ),
    runnerApi: { audience: cfg["spive:runnerApi"]!.audience, allowedIdentities: [...cfg["spive:runnerApi"]!.allowedIdentities] },
    eventStore: { project, instance: store.instance, database: store.database },
  };
}

/**
 * Evaluates a committed stack on the mock engine with its committed config,
 * exactly as `pulumi preview -s <stack>` would run the program, and records
 * every resource. The layer below is read from its own committed config.
 */
export async function evaluateStack(stack: string, opts: StackEvaluationOptions = {}): Promise<Evaluation> {
  layerEntry(stack);
  const dir = opts.stacksDir ?? STACKS_DIR;
  const organization = opts.organization ?? "spive";
  const project = pulumiProjectOf(dir);
  let raw = readStackFile(stackFilePath(stack, dir));
  if (opts.mutate) raw = opts.mutate(structuredClone(raw));
  let refs = opts.stackReferences;
  if (!refs) {
    refs = {};
    const belowStack = (raw["spive:below"] as { stack?: unknown } | undefined)?.stack;
    if (typeof belowStack === "string") {
      const qualified = qualifyStackName(belowStack, { organization, project });
      refs[qualified] = offlineLayerOutputs(loadStackConfig(stackNameOf(belowStack), dir)) as unknown as Record<string, unknown>;
    }
  }
  return evaluate({
    stack,
    project,
    organization,
    config: flattenConfig(raw),
    preview: opts.preview,
    stackReferences: refs,
    program: () => runStack(stack, { stacksDir: dir }),
  });
}

/** The folder name of a stacks directory relative to the repository, for messages. */
export function stacksDirLabel(dir: string): string {
  return path.relative(path.resolve(STACKS_DIR, ".."), dir) || ".";
}
