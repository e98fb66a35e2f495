import { BootstrapPhaseError, toPhaseError, type PhaseName } from "./errors";

/**
 * Runs one phase under its bounded timeout: the phase's work gets an
 * AbortSignal that fires on the timeout or when the driver is interrupted,
 * and the phase rejects at once with a BootstrapPhaseError naming it.
 */

/** What a phase's work receives. */
export interface PhaseContext {
  /** Fires on timeout or interruption; pass it to every call. */
  readonly signal: AbortSignal;
  /** Epoch ms when the phase times out. */
  readonly deadline: number;
  /** Milliseconds left before the deadline (at least 1). */
  remainingMs(): number;
}

/**
 * Runs `work` as phase `phase` with a timeout of `seconds` (named after
 * `configKey` in the error). `outer` is the driver's interruption signal;
 * pass undefined for phases that must finish even after an interruption
 * (stopping the instance).
 */
export async function runPhase<T>(phase: PhaseName, seconds: number, configKey: string, outer: AbortSignal | undefined, work: (ctx: PhaseContext) => Promise<T>): Promise<T> {
  if (outer?.aborted) throw toPhaseError(phase, outer.reason);
  const ac = new AbortController();
  const deadline = Date.now() + seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let onOuter: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new BootstrapPhaseError(phase, `did not finish within ${seconds} s (spive:bootstrap.timeouts.${configKey})`);
      ac.abort(e);
      reject(e);
    }, seconds * 1000);
    onOuter = () => {
      ac.abort(outer!.reason);
      reject(toPhaseError(phase, outer!.reason));
    };
    outer?.addEventListener("abort", onOuter, { once: true });
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([work({ signal: ac.signal, deadline, remainingMs: () => Math.max(1, deadline - Date.now()) }), stopped]);
  } catch (err) {
    throw toPhaseError(phase, err);
  } finally {
    clearTimeout(timer);
    if (onOuter) outer?.removeEventListener("abort", onOuter);
    if (!ac.signal.aborted) ac.abort(new Error(`phase ${phase} is over`));
  }
}
