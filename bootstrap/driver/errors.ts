/**
 * The one error a bootstrap run fails with: it names the phase (and the
 * runner host, when one is at fault) and renders as a single line, which is
 * what `pulumi up` shows when the bootstrap fails.
 */

/** The phases of a bootstrap run, in order (verify runs after the instance is stopped). */
export const PHASES = ["validate", "lease", "dry-replay", "preflight", "wipe", "start", "wait", "stop", "verify"] as const;

/** A phase name. */
export type PhaseName = (typeof PHASES)[number];

/** A failure of one phase. */
export class BootstrapPhaseError extends Error {
  /** The phase that failed. */
  readonly phase: PhaseName;
  /** The runner host at fault, if any. */
  readonly host: string | undefined;
  /** The sentence after the phase. */
  readonly detail: string;

  constructor(phase: PhaseName, detail: string, host?: string) {
    const oneLine = detail.replace(/\s*\n\s*/g, "; ");
    super(`bootstrap failed in phase ${phase}${host ? ` (runner host ${host})` : ""}: ${oneLine}`);
    this.name = "BootstrapPhaseError";
    this.phase = phase;
    this.host = host;
    this.detail = oneLine;
  }
}

/** An error inside a phase that blames one runner host; the phase runner turns it into a BootstrapPhaseError. */
export class HostError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = "HostError";
  }
}

/** The reason an outer AbortSignal carries when the driver receives a signal. */
export class InterruptedError extends Error {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
    this.name = "InterruptedError";
  }
}

/** Turns anything thrown inside `phase` into its BootstrapPhaseError. */
export function toPhaseError(phase: PhaseName, err: unknown): BootstrapPhaseError {
  if (err instanceof BootstrapPhaseError) return err;
  if (err instanceof HostError) return new BootstrapPhaseError(phase, err.message, err.host);
  if (err instanceof InterruptedError) return new BootstrapPhaseError(phase, `${err.message}; the bootstrap instance is stopped`);
  return new BootstrapPhaseError(phase, err instanceof Error ? err.message : String(err));
}

/**
 * A mistake in how a command was called (an unknown target, a malformed
 * `--timeout`, prod0 without a binding): the CLI reports it as a usage error
 * (exit code 2 and the usage line), never as a failed bootstrap phase.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
