import type { StackConfig } from "../config/schema";
import type { TowerLayer } from "../layers/registry";

/**
 * The tower at a glance: a pure function from the validated tower (see
 * `buildTower` in layers/registry.ts) to a Mermaid flowchart. No Pulumi and no
 * file system here, so the picture depends on the stack configs alone and the
 * README test can compare it byte for byte.
 */

/** The Mermaid node id of the bootstrap process (it has no stack). */
export const BOOTSTRAP_NODE = "bootstrap";

/** What the diagram says about one layer, each field one line of its box. */
export interface LayerSummary {
  /** The node id, which is the stack name (e.g. `prod1`). */
  readonly id: string;
  /** `prod-1 · stack prod1 · 2026.11.0`. */
  readonly title: string;
  /** `42 regions × 2 zones × 2 shards = 168 placements`. */
  readonly topology: string;
  /** The substrate in words, e.g. `private GKE cluster per region`. */
  readonly substrate: string;
  /** `autoscaled (cluster autoscaler + HPA)` or `fixed size`. */
  readonly scaling: string;
  /** `discoverable (public DNS with DNSSEC + HTTPS)` or `hidden (…)`. */
  readonly visibility: string;
  /** `control plane: feature developers use it`, or undefined below the top. */
  readonly controlPlane?: string;
  /** The layer's GCP project. */
  readonly project: string;
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The number of placements (region × zone × shard) of a layer's config. */
export function placementCount(cfg: StackConfig): number {
  const layer = cfg["spive:layer"];
  return layer.regions.reduce((sum, r) => sum + r.zones.length, 0) * layer.shards;
}

/** Summarises one layer of the tower in the words the diagram uses. */
export function summarizeLayer(layer: TowerLayer): LayerSummary {
  const cfg = layer.config;
  const l = cfg["spive:layer"];
  const caps = l.capabilities;
  const zones = l.regions[0]?.zones.length ?? caps.zonesPerRegion;
  const topology = `${count(l.regions.length, "region")} × ${count(zones, "zone")} × ${count(l.shards, "shard")} = ${count(placementCount(cfg), "placement")}`;
  let substrate: string;
  if (caps.substrate === "basic-runner") {
    const hosts = cfg["spive:runner"]?.hostsPerZone ?? 1;
    substrate = `spive-prod0-basic-runner: ${count(hosts, "GCE host")} per zone`;
  } else {
    substrate = "private GKE cluster per region";
  }
  const scaling = caps.autoscaling ? "autoscaled (cluster autoscaler + HPA)" : "fixed size";
  let visibility: string;
  if (caps.discoverable) visibility = "discoverable: public DNS (DNSSEC) + HTTPS";
  else if (caps.substrate === "basic-runner") visibility = "hidden: no external IP, no public DNS";
  else visibility = "hidden: private DNS only";
  return {
    id: layer.stack,
    title: `prod-${layer.level} · stack ${layer.stack} · ${l.version}`,
    topology,
    substrate,
    scaling,
    visibility,
    controlPlane: caps.controlPlane ? "★ control plane: feature developers use it" : undefined,
    project: `project ${cfg["gcp:project"]}`,
  };
}

/** Mermaid labels are double-quoted; a double quote inside one must be an entity. */
function label(lines: readonly string[]): string {
  return `"${lines.map((s) => s.replace(/"/g, "#quot;")).join("<br/>")}"`;
}

/**
 * The Mermaid flowchart of the tower, bottom up: the bootstrap process in the
 * CI deployment container manages prod-0, each layer manages the one above it,
 * and the top layer is the control plane. Each box gives the layer's regions ×
 * zones × shards, substrate, scaling and discoverability. Deterministic: the
 * same configs always give the same text.
 */
export function towerDiagram(tower: readonly TowerLayer[]): string {
  if (tower.length === 0) throw new Error("Cannot draw the tower: expected at least the prod0 stack config, got none.");
  const bottom = tower[0]!;
  const log = bottom.config["spive:bootstrap"]?.log ?? "SpiveProdBootstrap.jsonl";
  const out: string[] = ["flowchart BT"];
  out.push(`  subgraph ci["CI deployment container"]`);
  out.push(`    ${BOOTSTRAP_NODE}[${label(["prod-bootstrap", `replays ${log}`, `on every pulumi up -s ${bottom.stack}, then exits`])}]`);
  out.push("  end");
  for (const layer of tower) {
    const s = summarizeLayer(layer);
    const lines = [s.title, s.project, s.topology, s.substrate, s.scaling, s.visibility];
    if (s.controlPlane) lines.push(s.controlPlane);
    out.push(`  ${s.id}[${label(lines)}]`);
  }
  out.push(`  ${BOOTSTRAP_NODE} -->|${label(["validate, dry-replay, wipe,", "start, wait, stop, verify"])}| ${bottom.stack}`);
  for (const layer of tower.slice(1)) {
    const manager = `SpiveProd${layer.level - 1}`;
    out.push(`  ${layer.managedBy} -->|${label([`${manager} manages`])}| ${layer.stack}`);
  }
  out.push("  classDef hidden fill:#eef2f7,stroke:#51606f,color:#1b2733");
  out.push("  classDef discoverable fill:#e6f4ea,stroke:#1e7b34,color:#0d3318");
  out.push("  classDef controlPlane fill:#fff4d6,stroke:#b07d00,stroke-width:3px,color:#3d2b00");
  out.push("  classDef process fill:#f3e8fd,stroke:#7b3fb5,stroke-dasharray:4 3,color:#2a1040");
  out.push(`  class ${BOOTSTRAP_NODE} process`);
  const byClass = (pick: (l: TowerLayer) => boolean) => tower.filter(pick).map((l) => l.stack);
  const cp = byClass((l) => l.config["spive:layer"].capabilities.controlPlane);
  const disc = byClass((l) => !l.config["spive:layer"].capabilities.controlPlane && l.config["spive:layer"].capabilities.discoverable);
  const hidden = byClass((l) => !l.config["spive:layer"].capabilities.controlPlane && !l.config["spive:layer"].capabilities.discoverable);
  if (hidden.length > 0) out.push(`  class ${hidden.join(",")} hidden`);
  if (disc.length > 0) out.push(`  class ${disc.join(",")} discoverable`);
  if (cp.length > 0) out.push(`  class ${cp.join(",")} controlPlane`);
  return `${out.join("\n")}\n`;
}
