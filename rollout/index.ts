/**
 * Rolling upgrades of the layers upgraded in waves (prod1, prod2, prod3): the
 * pure wave planner, the bake/timing schedule and the operator report.
 * See docs/rolling-upgrade.md.
 */
export { minWaves, planWaves, waveCapacity, waveIndexByZone } from "./waves";
export type { Wave, WavePolicy } from "./waves";
export { bakePlan, estimateDuration, formatDuration, waveGate } from "./schedule";
export type { BakeStep, DurationEstimate, WaveGate } from "./schedule";
export { formatRolloutTable, rolloutReport } from "./report";
export type { RolloutReport, WaveReport } from "./report";
