/**
 * Pure wave planning for rolling upgrades: orders a layer's zones into waves.
 * No Pulumi import: the plan is data that the layer programs turn into a
 * `dependsOn` chain (each wave's Deployments depend on the previous wave's),
 * and it is tested with plain properties.
 *
 * The algorithm and its optimality proof are written down in
 * docs/rolling-upgrade.md ("How waves are planned").
 */
import type { RolloutConfig } from "../config/schema";
import type { ZonePlacement } from "../topology/placements";

/** The part of the rollout policy that shapes the waves (timings do not). */
export type WavePolicy = Pick<RolloutConfig, "canaryRegion" | "growth" | "maxRegionsPerWave">;

/**
 * One wave of a rolling upgrade: the zones whose Deployments (every shard of
 * each zone) are updated together. Wave `index` starts only after wave
 * `index - 1` is fully rolled out (and, with a bake, has baked).
 */
export interface Wave {
  /** 0-based position in the rollout; wave 0 is the canary. */
  readonly index: number;
  /** The zones of this wave, in rollout-sequence order; at most one zone per region. */
  readonly zones: readonly ZonePlacement[];
}

/**
 * The nominal capacity of wave `k`: how many zones (equivalently regions, since
 * a wave holds at most one zone per region) the policy lets it hold before the
 * topology is taken into account. `min(maxRegionsPerWave, ⌊growth^k⌋)`: 1 for
 * the canary, then 2, 4, 8, … for growth 2; 1, 1, 2, 3, 5, 7, … for growth 1.5.
 */
export function waveCapacity(k: number, policy: Pick<WavePolicy, "growth" | "maxRegionsPerWave">): number {
  if (!Number.isInteger(k) || k < 0) throw new Error(`waveCapacity: expected a wave index ≥ 0, got ${k}.`);
  checkPolicyNumbers(policy);
  const next = capacitySequence(policy);
  let cap = next();
  for (let i = 0; i < k; i++) cap = next();
  return cap;
}

/**
 * The fewest waves any valid plan can have, for `regions` regions of
 * `zonesPerRegion` zones each under `policy`: the least `n` with
 * `Σ_{k<n} min(waveCapacity(k), regions) ≥ regions × zonesPerRegion`.
 *
 * Why it is a lower bound: wave k holds at most `waveCapacity(k)` zones (the
 * policy) and at most `regions` zones (never two zones of one region), and the
 * waves together hold every zone. {@link planWaves} always reaches it, so it is
 * also the exact optimum.
 */
export function minWaves(regions: number, zonesPerRegion: number, policy: Pick<WavePolicy, "growth" | "maxRegionsPerWave">): number {
  if (!Number.isInteger(regions) || regions < 1) throw new Error(`minWaves: expected at least 1 region, got ${regions}.`);
  if (!Number.isInteger(zonesPerRegion) || zonesPerRegion < 1) {
    throw new Error(`minWaves: expected at least 1 zone per region, got ${zonesPerRegion}.`);
  }
  checkPolicyNumbers(policy);
  const total = regions * zonesPerRegion;
  const next = capacitySequence(policy);
  let placed = 0;
  let n = 0;
  while (placed < total) {
    placed += Math.min(next(), regions);
    n++;
  }
  return n;
}

/**
 * Orders a layer's zones into rollout waves.
 *
 * Rules (each one tested as a property in test/rollout-waves.test.ts):
 * - wave 0 is exactly one zone: the first zone (zoneIndex 0) of the canary region;
 * - no wave holds two zones of one region;
 * - a region's zones go in zoneIndex order, each in a strictly later wave than the previous one;
 * - every zone is in exactly one wave;
 * - wave k holds at most `waveCapacity(k, policy)` zones (growth after the canary, capped by
 *   `maxRegionsPerWave`), and the number of waves equals {@link minWaves}, the least the policy allows.
 *
 * How: the zones are laid out in one sequence of rounds: every region's first zone
 * (canary region first, then the others in the order they appear in `zones`), then
 * every region's second zone in the same region order, and so on. Waves are consecutive
 * slices of that sequence, each as large as its capacity allows, never more than the
 * number of regions. Two zones of one region are exactly `regions` apart in the
 * sequence, so a slice of at most `regions` zones never holds both. A consequence
 * operators rely on: every region keeps a zone on the old version until every
 * region has a zone on the new one.
 *
 * The result depends only on the zones' order and the policy (deterministic). Shards are not
 * planned separately: every shard of a zone goes with its zone; look a placement's wave up with
 * {@link waveIndexByZone}.
 *
 * @param zones every zone of the layer, e.g. `zonePlacements(layer)`; every region must have the
 *   same number of zones, with zoneIndex 0, 1, … once each.
 * @param policy the layer's `spive:rollout` block (only canaryRegion, growth and maxRegionsPerWave matter).
 * @throws Error with a full sentence when the zones are empty, duplicated, unevenly spread over
 *   regions, or the canary region is not among them.
 */
export function planWaves(zones: readonly ZonePlacement[], policy: WavePolicy): Wave[] {
  checkPolicyNumbers(policy);
  const regionOrder: string[] = [];
  const byRegion = new Map<string, ZonePlacement[]>();
  const seenZones = new Set<string>();
  for (const z of zones) {
    if (seenZones.has(z.zone)) throw new Error(`planWaves: expected each zone once, got "${z.zone}" twice.`);
    seenZones.add(z.zone);
    let list = byRegion.get(z.region);
    if (!list) {
      list = [];
      byRegion.set(z.region, list);
      regionOrder.push(z.region);
    }
    list.push(z);
  }
  if (regionOrder.length === 0) throw new Error("planWaves: expected at least one zone to roll out to, got none.");
  if (!byRegion.has(policy.canaryRegion)) {
    throw new Error(`planWaves: expected the canary region to be one of the layer's regions (${regionOrder.join(", ")}), got "${policy.canaryRegion}".`);
  }
  const zonesPerRegion = byRegion.get(regionOrder[0]!)!.length;
  for (const region of regionOrder) {
    const list = byRegion.get(region)!;
    if (list.length !== zonesPerRegion) {
      throw new Error(
        `planWaves: expected every region to have ${zonesPerRegion} zone(s) like ${regionOrder[0]}, got ${list.length} in ${region} (${list.map((z) => z.zone).join(", ")}).`,
      );
    }
    list.sort((a, b) => a.zoneIndex - b.zoneIndex);
    list.forEach((z, j) => {
      if (z.zoneIndex !== j) {
        throw new Error(
          `planWaves: expected the zones of ${region} to have zoneIndex 0..${zonesPerRegion - 1} once each, got ${list.map((x) => `${x.zone}=${x.zoneIndex}`).join(", ")}.`,
        );
      }
    });
  }

  const ordered = [policy.canaryRegion, ...regionOrder.filter((r) => r !== policy.canaryRegion)];
  const sequence: ZonePlacement[] = [];
  for (let round = 0; round < zonesPerRegion; round++) {
    for (const region of ordered) sequence.push(byRegion.get(region)![round]!);
  }

  const regions = ordered.length;
  const next = capacitySequence(policy);
  const waves: Wave[] = [];
  let start = 0;
  while (start < sequence.length) {
    const size = Math.min(next(), regions);
    waves.push({ index: waves.length, zones: sequence.slice(start, start + size) });
    start += size;
  }
  return waves;
}

/**
 * Maps each zone name to the index of the wave that holds it, so the program
 * can find a placement's wave: `waveIndexByZone(waves).get(placement.zone)`.
 */
export function waveIndexByZone(waves: readonly Wave[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of waves) for (const z of w.zones) out.set(z.zone, w.index);
  return out;
}

/** Yields waveCapacity(0), waveCapacity(1), … in O(1) each (growth^k is carried, and stops growing at the cap). */
function capacitySequence(policy: Pick<WavePolicy, "growth" | "maxRegionsPerWave">): () => number {
  let power = 1;
  return () => {
    const cap = Math.min(policy.maxRegionsPerWave, Math.floor(power));
    if (power < policy.maxRegionsPerWave) power *= policy.growth;
    return cap;
  };
}

function checkPolicyNumbers(policy: Pick<WavePolicy, "growth" | "maxRegionsPerWave">): void {
  if (!(Number.isFinite(policy.growth) && policy.growth >= 1)) {
    throw new Error(`Rollout policy: expected growth to be a number ≥ 1, got ${policy.growth}.`);
  }
  if (!(Number.isInteger(policy.maxRegionsPerWave) && policy.maxRegionsPerWave >= 1)) {
    throw new Error(`Rollout policy: expected maxRegionsPerWave to be an integer ≥ 1, got ${policy.maxRegionsPerWave}.`);
  }
}
