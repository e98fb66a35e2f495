/**
 * The rollout report of one stack: its wave plan with cumulative coverage,
 * start offsets and the estimated duration, as data (`--json`) and as the
 * table `spive rollout plan` prints. Pure: it takes an already loaded config.
 */
import type { RolloutConfig, StackConfig } from "../config/schema";
import { zonePlacements } from "../topology/placements";
import { bakePlan, estimateDuration, formatDuration } from "./schedule";
import { minWaves, planWaves } from "./waves";

/** One wave as reported: what it touches and when it is expected to start. */
export interface WaveReport {
  /** 0-based wave index; 0 is the canary. */
  readonly index: number;
  /** The zones of the wave, in rollout order. */
  readonly zones: readonly string[];
  /** The regions the wave touches (one zone each). */
  readonly regions: readonly string[];
  /** SpiveProdN placements (zone × shard) the wave updates. */
  readonly placements: number;
  /** Zones updated once this wave is done, this one included. */
  readonly cumulativeZones: number;
  /** Share of the layer's zones updated once this wave is done, 0–100, one decimal. */
  readonly cumulativePercent: number;
  /** Estimated seconds from the start of the run to the start of this wave. */
  readonly startOffsetSeconds: number;
  /** The pause after this wave before the next starts (0 for the last wave or without bake). */
  readonly bakeAfterSeconds: number;
}

/** The whole rollout report of a stack (the `--json` output of `spive rollout plan`). */
export interface RolloutReport {
  /** The stack name, e.g. `prod1`. */
  readonly stack: string;
  /** The layer level N. */
  readonly level: number;
  /** The version the stack config rolls out. */
  readonly version: string;
  /** The stack's `spive:rollout` policy, defaults applied. */
  readonly policy: RolloutConfig;
  /** Regions of the layer. */
  readonly regions: number;
  /** Zones per region. */
  readonly zonesPerRegion: number;
  /** Shards per zone. */
  readonly shards: number;
  /** Zones of the layer. */
  readonly zones: number;
  /** Placements (zone × shard) of the layer. */
  readonly placements: number;
  /** The least number of waves the policy allows (the plan reaches it). */
  readonly minWaves: number;
  /** Waves of a one-zone-at-a-time rollout, for comparison. */
  readonly oneZoneAtATimeWaves: number;
  /** The waves. */
  readonly waves: readonly WaveReport[];
  /** Estimated rollout time of one wave, in seconds. */
  readonly waveSeconds: number;
  /** Pauses between waves in the run (waves − 1 when baking, else 0). */
  readonly bakes: number;
  /** Estimated total duration in seconds: waves × waveSeconds + bakes × bakeSeconds. */
  readonly estimatedSeconds: number;
  /** The same, for people, e.g. `2h 10m`. */
  readonly estimated: string;
}

/**
 * Builds the rollout report of a loaded stack config.
 *
 * @throws Error naming the stack when it has no `spive:rollout` policy.
 */
export function rolloutReport(stack: string, config: StackConfig): RolloutReport {
  const policy = config["spive:rollout"];
  if (!policy) {
    throw new Error(
      `Stack ${stack} has no rolling-upgrade policy: expected a spive:rollout block in stacks/Pulumi.${stack}.yaml, got none (only layers upgraded in waves, such as prod1, prod2 and prod3, have one).`,
    );
  }
  const layer = config["spive:layer"];
  const zones = zonePlacements(layer);
  const waves = planWaves(zones, policy);
  const bakes = bakePlan(waves, policy, { version: layer.version });
  const estimate = estimateDuration(waves, policy);
  const zonesPerRegion = zones.length / layer.regions.length;
  let cumulative = 0;
  return {
    stack,
    level: layer.level,
    version: layer.version,
    policy,
    regions: layer.regions.length,
    zonesPerRegion,
    shards: layer.shards,
    zones: zones.length,
    placements: zones.length * layer.shards,
    minWaves: minWaves(layer.regions.length, zonesPerRegion, policy),
    oneZoneAtATimeWaves: zones.length,
    waves: waves.map((w) => {
      cumulative += w.zones.length;
      return {
        index: w.index,
        zones: w.zones.map((z) => z.zone),
        regions: w.zones.map((z) => z.region),
        placements: w.zones.length * layer.shards,
        cumulativeZones: cumulative,
        cumulativePercent: Math.round((cumulative / zones.length) * 1000) / 10,
        startOffsetSeconds: estimate.startOffsetsSeconds[w.index]!,
        bakeAfterSeconds: bakes.find((b) => b.afterWave === w.index)?.seconds ?? 0,
      };
    }),
    waveSeconds: estimate.waveSeconds,
    bakes: estimate.bakes,
    estimatedSeconds: estimate.totalSeconds,
    estimated: formatDuration(estimate.totalSeconds),
  };
}

/** Renders a report as the text table `spive rollout plan` prints (ends with a newline). */
export function formatRolloutTable(report: RolloutReport): string {
  const p = report.policy;
  const header = ["wave", "zones", "placements", "cumulative", "start", "regions / zones"];
  const rows = report.waves.map((w) => [
    String(w.index),
    String(w.zones.length),
    String(w.placements),
    `${w.cumulativePercent.toFixed(1)}%`,
    `+${formatDuration(w.startOffsetSeconds)}`,
    w.zones.join(", "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    `Rolling upgrade of ${report.stack} to ${report.version}: ${report.regions} regions × ${report.zonesPerRegion} zones × ${report.shards} shard(s) = ${report.placements} placements.`,
    `Policy: canary ${p.canaryRegion}, growth ${p.growth}, at most ${p.maxRegionsPerWave} regions per wave, ~${formatDuration(p.waveMinutes * 60)} per wave, bake ${formatDuration(p.bakeSeconds)} between waves.`,
    "",
    line(header),
    ...rows.map(line),
    "",
    `${report.waves.length} waves (fewest the policy allows: ${report.minWaves}; one zone at a time: ${report.oneZoneAtATimeWaves}).`,
    `Estimated duration: ${report.estimated} (${report.waves.length} × ${formatDuration(report.waveSeconds)} rollout + ${report.bakes} × ${formatDuration(p.bakeSeconds)} bake).`,
    "",
  ].join("\n");
}
