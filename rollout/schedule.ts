/**
 * Pure timing of a wave plan: the bake steps between waves (turned into
 * `time.Sleep` resources of @pulumiverse/time by the layer programs), what
 * each wave waits for, and the estimated duration shown by
 * `spive rollout plan`. No Pulumi import.
 */
import type { RolloutConfig } from "../config/schema";
import type { Wave } from "./waves";

/**
 * One pause between two waves. The program declares it as
 * `new time.Sleep(`${layerPrefix(level)}-${step.name}`, { createDuration: step.createDuration, triggers: step.triggers }, { dependsOn: <Deployments of wave step.afterWave> })`
 * and makes wave `step.beforeWave`'s Deployments depend on that Sleep.
 *
 * A Sleep waits only when it is created, so `triggers` must change on every
 * rollout (it carries the layer's version): a changed trigger replaces the
 * Sleep, which waits again. On a rerun of the same version the Sleeps of
 * finished waves are unchanged and do not wait.
 */
export interface BakeStep {
  /** Resource-name key, unique within a layer: `bake-after-wave-<k>`; prefix it with the layer prefix. */
  readonly name: string;
  /** The wave whose Deployments must be rolled out before the pause starts. */
  readonly afterWave: number;
  /** The wave that starts when the pause ends (always `afterWave + 1`). */
  readonly beforeWave: number;
  /** The pause in seconds (`spive:rollout.bakeSeconds`). */
  readonly seconds: number;
  /** The pause as a Go duration string for `time.Sleep`'s `createDuration`, e.g. `"300s"`. */
  readonly createDuration: string;
  /** `time.Sleep`'s `triggers`: a change re-runs the pause. */
  readonly triggers: Readonly<Record<string, string>>;
}

/**
 * The bake steps of a plan: one between every two consecutive waves (none
 * after the last wave, nothing to gate), or none at all when `bakeSeconds` is 0.
 *
 * @param triggers values whose change must re-run every pause, at least the
 *   version being rolled out, e.g. `{ version: layer.version }`.
 */
export function bakePlan(
  waves: readonly Wave[],
  policy: Pick<RolloutConfig, "bakeSeconds">,
  triggers: Readonly<Record<string, string>>,
): BakeStep[] {
  if (!Number.isInteger(policy.bakeSeconds) || policy.bakeSeconds < 0) {
    throw new Error(`Rollout policy: expected bakeSeconds to be an integer ≥ 0, got ${policy.bakeSeconds}.`);
  }
  if (Object.keys(triggers).length === 0) {
    throw new Error("bakePlan: expected at least one trigger (such as the version rolled out), got none; without one a pause would run only on the first rollout.");
  }
  if (policy.bakeSeconds === 0) return [];
  return waves.slice(0, -1).map((w) => ({
    name: `bake-after-wave-${w.index}`,
    afterWave: w.index,
    beforeWave: w.index + 1,
    seconds: policy.bakeSeconds,
    createDuration: `${policy.bakeSeconds}s`,
    triggers: { ...triggers },
  }));
}

/** What a wave's Deployments wait for before they are updated. */
export type WaveGate =
  /** Nothing: the canary wave starts the rollout. */
  | { readonly kind: "start" }
  /** The Deployments of the previous wave (no bake configured). */
  | { readonly kind: "wave"; readonly wave: number }
  /** The bake step after the previous wave (which itself waits for that wave's Deployments). */
  | { readonly kind: "bake"; readonly step: BakeStep };

/**
 * What wave `waveIndex` depends on, given the plan's bake steps: the program
 * turns `{kind: "wave"}` into `dependsOn: <Deployments of that wave>` and
 * `{kind: "bake"}` into `dependsOn: <the Sleep named after step.name>`.
 */
export function waveGate(waveIndex: number, bakes: readonly BakeStep[]): WaveGate {
  if (!Number.isInteger(waveIndex) || waveIndex < 0) throw new Error(`waveGate: expected a wave index ≥ 0, got ${waveIndex}.`);
  if (waveIndex === 0) return { kind: "start" };
  const step = bakes.find((b) => b.beforeWave === waveIndex);
  return step ? { kind: "bake", step } : { kind: "wave", wave: waveIndex - 1 };
}

/** The estimated timing of a plan. */
export interface DurationEstimate {
  /** Seconds from the start of the run to the start of each wave. */
  readonly startOffsetsSeconds: readonly number[];
  /** Estimated rollout time of one wave (`waveMinutes` × 60). */
  readonly waveSeconds: number;
  /** The pause between two waves (`bakeSeconds`). */
  readonly bakeSeconds: number;
  /** How many pauses the run holds (waves − 1 when baking, else 0). */
  readonly bakes: number;
  /** Estimated total: waves × waveSeconds + bakes × bakeSeconds. */
  readonly totalSeconds: number;
}

/**
 * Estimates how long a rollout takes: every wave takes `waveMinutes`, and a
 * `bakeSeconds` pause separates consecutive waves (none after the last).
 * Waves run one after another, so wave k starts at k × (wave + bake).
 */
export function estimateDuration(waves: readonly Wave[], policy: Pick<RolloutConfig, "waveMinutes" | "bakeSeconds">): DurationEstimate {
  if (!(Number.isFinite(policy.waveMinutes) && policy.waveMinutes > 0)) {
    throw new Error(`Rollout policy: expected waveMinutes to be a positive number, got ${policy.waveMinutes}.`);
  }
  if (!Number.isInteger(policy.bakeSeconds) || policy.bakeSeconds < 0) {
    throw new Error(`Rollout policy: expected bakeSeconds to be an integer ≥ 0, got ${policy.bakeSeconds}.`);
  }
  const waveSeconds = Math.round(policy.waveMinutes * 60);
  const bakes = policy.bakeSeconds > 0 ? Math.max(0, waves.length - 1) : 0;
  return {
    startOffsetsSeconds: waves.map((_, k) => k * (waveSeconds + policy.bakeSeconds)),
    waveSeconds,
    bakeSeconds: policy.bakeSeconds,
    bakes,
    totalSeconds: waves.length * waveSeconds + bakes * policy.bakeSeconds,
  };
}

/** Renders seconds for people: `0s`, `45s`, `5m`, `1h 05m`, `2h 10m 30s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`formatDuration: expected a number of seconds ≥ 0, got ${seconds}.`);
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h === 0 && m === 0) return `${s}s`;
  const parts = h > 0 ? [`${h}h`, `${String(m).padStart(2, "0")}m`] : [`${m}m`];
  if (s > 0) parts.push(`${String(s).padStart(2, "0")}s`);
  return parts.join(" ");
}
