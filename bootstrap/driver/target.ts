import * as fs from "node:fs";
import * as path from "node:path";
import { devBinding, isDevTarget, stateRoot } from "../../doubles/dev";
import { loadStackConfig, REPO_ROOT, STACKS_DIR } from "../../config/load";
import type { BootstrapConfig } from "../../config/schema";
import type { Prod0Outputs } from "../../layers/contract";
import { artifactCommand } from "../artifact/launcher";
import { parseBinding, type Binding } from "../contracts/binding";
import { TIMEOUT_KEYS, type DriverTimeouts } from "./driver";
import { UsageError } from "./errors";

/**
 * Resolves what `spive bootstrap run --target <t>` binds to. Every target
 * uses the prod0 stack's bootstrap config (log, command, timeouts) and zones;
 * only the binding differs: prod0 binds to the runner hosts and event store
 * of the stack's outputs (passed by the Pulumi bootstrap component in
 * SPIVE_BOOTSTRAP_BINDING), dev-0 and dev-0r to the local doubles.
 */

/** The environment variable the Pulumi bootstrap component passes the binding in. */
export const BINDING_ENV = "SPIVE_BOOTSTRAP_BINDING";

/**
 * Set by `spive rehearse` (the real Pulumi engine with stand-in clouds) to a
 * local target (dev-0): `--target prod0` then still reads and validates the
 * binding the prod0 stack passes, but binds to that target's doubles. Nothing
 * else ever sets it; a real deployment that had it set would fail (no doubles
 * run on a CI runner), never touch prod-0 by another route.
 */
export const REHEARSE_ON_ENV = "SPIVE_BOOTSTRAP_REHEARSE_ON";

/** Every target the driver knows. */
export const TARGETS = ["prod0", "dev-0", "dev-0r"] as const;

/** A resolved target. */
export interface ResolvedTarget {
  /** The target name. */
  readonly target: string;
  /** What the run is bound to. */
  readonly binding: Binding;
  /** The prod0 stack's bootstrap config. */
  readonly config: BootstrapConfig;
  /** The log file (absolute). */
  readonly logFile: string;
  /** The prod0 stack's zones. */
  readonly zones: readonly string[];
  /** Where the zones come from. */
  readonly zonesSource: string;
  /** Set when a prod0 run is a rehearsal on this local target (REHEARSE_ON_ENV). */
  readonly rehearsedOn?: string;
}

/** Options of `resolveTarget`. */
export interface ResolveOptions {
  /** A log file instead of the configured one. */
  readonly logFile?: string;
  /** A binding file instead of SPIVE_BOOTSTRAP_BINDING (prod0). */
  readonly bindingFile?: string;
  /** The environment (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** The stacks folder (default: stacks/). */
  readonly stacksDir?: string;
}

/**
 * The binding of prod0 built from the stack's outputs: every runner host (by
 * its internal hostname), the event store, and the credential: a Google ID
 * token of the CI deployer (the first allowed identity) for the runner API's
 * audience.
 */
export function prod0Binding(outputs: Pick<Prod0Outputs, "runnerHosts" | "eventStore" | "runnerApi">): Binding {
  return {
    target: "prod0",
    project: outputs.eventStore.project,
    runnerHosts: outputs.runnerHosts.map((h) => ({ name: h.name, zones: [h.zone], url: `http://${h.hostname}:${h.port}` })),
    eventStore: { kind: "spanner", ...outputs.eventStore },
    gateways: {},
    auth: { kind: "google-id-token", audience: outputs.runnerApi.audience, serviceAccount: outputs.runnerApi.allowedIdentities[0]! },
  };
}

/**
 * The instance command of a target: prod0 runs the SpiveProdBootstrap
 * release artifact through its launcher (`spive:bootstrap.artifact`); dev-0
 * and dev-0r run `spive:bootstrap.command` (the double by default).
 */
export function instanceCommandFor(target: string, config: BootstrapConfig): string {
  if (isDevTarget(target)) return config.command;
  if (!config.artifact) throw new Error("stacks/Pulumi.prod0.yaml > spive:bootstrap.artifact: expected the SpiveProdBootstrap release artifact (image and version) for --target prod0; the double serves dev-0 and dev-0r only, got nothing.");
  return artifactCommand(config.artifact);
}

/** Resolves `target`; throws one sentence naming what is missing. */
export function resolveTarget(target: string, opts: ResolveOptions = {}): ResolvedTarget {
  const env = opts.env ?? process.env;
  const dir = opts.stacksDir ?? STACKS_DIR;
  const cfg = loadStackConfig("prod0", dir);
  const config = cfg["spive:bootstrap"]!;
  const stackFile = path.relative(REPO_ROOT, path.join(dir, "Pulumi.prod0.yaml"));
  let binding: Binding;
  let rehearsedOn: string | undefined;
  if (isDevTarget(target)) {
    binding = devBinding(target, stateRoot(env));
  } else if (target === "prod0") {
    if (opts.bindingFile) {
      let raw: unknown;
      try {
        raw = JSON.parse(fs.readFileSync(opts.bindingFile, "utf8"));
      } catch (err) {
        throw new UsageError(`--binding ${opts.bindingFile}: expected a readable JSON file, got ${(err as Error).message}.`);
      }
      binding = parseBinding(raw, opts.bindingFile);
    } else if (env[BINDING_ENV]) {
      let raw: unknown;
      try {
        raw = JSON.parse(env[BINDING_ENV]!);
      } catch {
        throw new Error(`${BINDING_ENV}: expected the JSON binding the prod0 stack passes, got text that is not JSON.`);
      }
      binding = parseBinding(raw, BINDING_ENV);
    } else {
      throw new UsageError(`--target prod0: expected the binding from the prod0 stack's outputs in ${BINDING_ENV} (set by the Pulumi bootstrap component) or --binding FILE, got neither.`);
    }
    const on = env[REHEARSE_ON_ENV];
    if (on !== undefined && on !== "") {
      if (!isDevTarget(on)) throw new Error(`${REHEARSE_ON_ENV}: expected a local target to rehearse prod0 on (dev-0 or dev-0r), got ${JSON.stringify(on)}.`);
      binding = devBinding(on, stateRoot(env));
      rehearsedOn = on;
    }
  } else {
    throw new UsageError(`--target: expected one of ${TARGETS.join(", ")}, got "${target}".`);
  }
  // prod0 must name its release artifact, rehearsal or not; a rehearsal then runs
  // the double instead, as its dev target does (no container runtime there).
  const command = instanceCommandFor(target, config);
  return {
    target,
    binding,
    config: { ...config, command: rehearsedOn ? instanceCommandFor(rehearsedOn, config) : command },
    // A --log given by the user is relative to their working directory; the configured log to the repository.
    logFile: opts.logFile !== undefined ? path.resolve(opts.logFile) : path.resolve(REPO_ROOT, config.log),
    zones: cfg["spive:layer"].regions[0]!.zones,
    zonesSource: `${stackFile} > spive:layer.regions[0].zones`,
    ...(rehearsedOn ? { rehearsedOn } : {}),
  };
}

/** Parses one `--timeout phase=seconds` override into its timeout key and seconds; throws a UsageError naming what is wrong. */
export function parseTimeoutOverride(o: string): { key: keyof DriverTimeouts; seconds: number } {
  const keys: Readonly<Record<string, keyof DriverTimeouts>> = TIMEOUT_KEYS;
  const m = /^([a-z-]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(o);
  const key = m ? keys[m[1]!] : undefined;
  if (!m || !key || !(Number(m[2]) > 0)) {
    throw new UsageError(`--timeout: expected <phase>=<seconds> with a phase among ${Object.keys(keys).join(", ")} and seconds > 0, got "${o}".`);
  }
  return { key, seconds: Number(m[2]) };
}

/** The driver timeouts from the config, with `--timeout phase=seconds` overrides. */
export function driverTimeouts(config: BootstrapConfig, overrides: readonly string[] = []): DriverTimeouts {
  const t: Record<string, number> = { ...config.timeouts };
  for (const o of overrides) {
    const { key, seconds } = parseTimeoutOverride(o);
    t[key] = seconds;
  }
  return t as unknown as DriverTimeouts;
}
