/**
 * Pure topology planning: which (region × zone × shard) placements a layer has,
 * and the names derived from them. No Pulumi import: planners are tested with
 * plain properties, and the components only turn these plans into resources.
 */

/** The topology input of a layer: its level, regions with their zones, and shard count. */
export interface TopologyInput {
  /** The layer's level N (prod-N). */
  readonly level: number;
  /** The layer's regions, each with its (two) zones, in config order. */
  readonly regions: readonly { readonly name: string; readonly zones: readonly string[] }[];
  /** Shards per region (1 on unsharded layers). */
  readonly shards: number;
}

/** One placement of SpiveProdN: a shard in one zone of one region. */
export interface Placement {
  /** Stable resource-name key, e.g. `spive-prod1-s0-europe-west1-b`. */
  readonly key: string;
  /** The region name. */
  readonly region: string;
  /** The zone name. */
  readonly zone: string;
  /** 0 for the region's first zone, 1 for its second. */
  readonly zoneIndex: number;
  /** The shard number, 0-based. */
  readonly shard: number;
}

/** One zone of a layer (all shards of a zone share its nodes). */
export interface ZonePlacement {
  /** The region name. */
  readonly region: string;
  /** The zone name. */
  readonly zone: string;
  /** 0 for the region's first zone, 1 for its second. */
  readonly zoneIndex: number;
}

/** The conventional name prefix of a layer's resources: `spive-prod<N>`. */
export function layerPrefix(level: number): string {
  return `spive-prod${level}`;
}

/** The placement key of a shard in a zone: `spive-prod<N>-s<shard>-<zone>`. */
export function placementKey(level: number, shard: number, zone: string): string {
  return `${layerPrefix(level)}-s${shard}-${zone}`;
}

/** Every zone of the layer, region by region, first zone before second. */
export function zonePlacements(input: TopologyInput): ZonePlacement[] {
  return input.regions.flatMap((r) => r.zones.map((zone, zoneIndex) => ({ region: r.name, zone, zoneIndex })));
}

/**
 * Every placement of the layer: for each region (config order), each of its
 * zones, each shard. Keys are unique as long as zones are.
 */
export function placements(input: TopologyInput): Placement[] {
  if (!Number.isInteger(input.shards) || input.shards < 1) {
    throw new Error(`placements: expected a shard count ≥ 1, got ${input.shards}.`);
  }
  const out: Placement[] = [];
  for (const z of zonePlacements(input)) {
    for (let shard = 0; shard < input.shards; shard++) {
      out.push({ key: placementKey(input.level, shard, z.zone), region: z.region, zone: z.zone, zoneIndex: z.zoneIndex, shard });
    }
  }
  return out;
}

/** The stable hostname of the i-th spive-prod0-basic-runner host in a zone, e.g. `spive-prod0-basic-runner-europe-west1-b-0`. */
export function runnerHostName(zone: string, index: number): string {
  return `spive-prod0-basic-runner-${zone}-${index}`;
}

/** The internal (zonal) DNS name GCE gives a host: `<name>.<zone>.c.<project>.internal`. */
export function internalHostname(name: string, zone: string, project: string): string {
  return `${name}.${zone}.c.${project}.internal`;
}
