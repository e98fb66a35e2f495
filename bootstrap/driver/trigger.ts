import { createHash, randomBytes } from "node:crypto";
import type { BootstrapConfig } from "../../config/schema";
import type { Prod0Outputs } from "../../layers/contract";
import type { Binding } from "../contracts/binding";
import { BINDING_ENV, prod0Binding } from "./target";

/**
 * The pure plan of the Pulumi side of the bootstrap (no Pulumi import): the
 * command `pulumi up -s prod0` runs, the binding it passes, and the trigger
 * that changes on every run, so every `pulumi up` replaces the bootstrap
 * command (runs it) and every preview honestly shows that it will.
 */

/** The command the prod0 stack runs on every `pulumi up` (in the deployment container, at the repository root). */
export const BOOTSTRAP_RUN_COMMAND = "node bin/spive.js bootstrap run --target prod0";

/** The environment variable CI may set to name the run (e.g. `<run id>-<attempt>`); otherwise a fresh id is drawn. */
export const RUN_ID_ENV = "SPIVE_BOOTSTRAP_RUN_ID";

/** The run id a preview shows: the real one is only drawn when the update runs. */
export const PREVIEW_RUN_ID = "assigned-at-pulumi-up";

/** What the bootstrap component declares. */
export interface BootstrapRunPlan {
  /** The command. */
  readonly command: string;
  /** Its environment: the binding as JSON. */
  readonly environment: Readonly<Record<string, string>>;
  /** The triggers: the run id (changes every run) and the log's digest (shows a log change in the diff). */
  readonly triggers: readonly string[];
  /** The binding, for the record. */
  readonly binding: Binding;
  /** Pulumi's create timeout: every phase's timeout plus a minute, e.g. `1575s`. */
  readonly createTimeout: string;
}

/** The id of this run: fixed on previews, from RUN_ID_ENV or fresh (time + random) on updates. */
export function bootstrapRunId(dryRun: boolean, env: NodeJS.ProcessEnv, now: Date = new Date()): string {
  if (dryRun) return PREVIEW_RUN_ID;
  const given = env[RUN_ID_ENV];
  if (given && given.trim() !== "") return given.trim();
  return `${now.toISOString()}-${randomBytes(4).toString("hex")}`;
}

/** The sha256 of the log's bytes, `sha256:<hex>`. */
export function logDigest(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Plans the bootstrap command of the prod0 stack from its outputs and config. */
export function planBootstrapRun(outputs: Pick<Prod0Outputs, "runnerHosts" | "eventStore" | "runnerApi">, config: BootstrapConfig, runId: string, digest: string): BootstrapRunPlan {
  const binding = prod0Binding(outputs);
  const t = config.timeouts;
  const total = t.validateSeconds + t.leaseSeconds + t.dryReplaySeconds + t.preflightSeconds + t.wipeSeconds + t.startSeconds + t.consumeSeconds + t.stopSeconds + t.verifySeconds + 60;
  return {
    command: BOOTSTRAP_RUN_COMMAND,
    environment: { [BINDING_ENV]: JSON.stringify(binding) },
    triggers: [runId, digest],
    binding,
    createTimeout: `${total}s`,
  };
}
