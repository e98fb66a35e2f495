import * as fs from "node:fs";
import * as path from "node:path";
import { hostForInstance, type Binding, type BoundRunnerHost } from "../contracts/binding";
import type { RunnerClient } from "../contracts/clients";
import type { RunnerHealth } from "../contracts/runner-api";
import type { StoreProbeClient } from "../contracts/store-probe";
import type { BootstrapState } from "../log/reducer";
import { HostError } from "./errors";
import type { PhaseContext } from "./phase";

/**
 * The preflight (phase `preflight`, right before the wipe): everything the
 * replay will need and that can be known before prod-0 is touched. Every
 * runner host answers health and serves the zones the binding gives it; every
 * process's instances have a runner host that serves their zone; the event
 * store answers, can write durably, and holds every CreateStream of the log
 * either not at all or with the log's very settings. (The lease, taken
 * earlier, already proved every runner host writable; the instance command's
 * presence and `--check` are proved in the dry-replay phase.)
 */

/** What the preflight found. */
export interface PreflightReport {
  /** Runner hosts that answered. */
  readonly hosts: number;
  /** The log's streams already in the store with identical settings. */
  readonly streamsPresent: number;
  /** The log's streams the replay will create. */
  readonly streamsAbsent: number;
  /** How the event store was checked. */
  readonly store: "checked" | "delegated to the instance's --check";
}

/** What the preflight needs. */
export interface PreflightInput {
  /** The binding (through the tunnels, for prod0). */
  readonly binding: Binding;
  /** What the validated log creates. */
  readonly state: BootstrapState;
  /** The runner client of a host. */
  readonly runner: (host: BoundRunnerHost) => RunnerClient;
  /** The preflight client of a local event store. */
  readonly store: (url: string) => StoreProbeClient;
}

/** Runs every check; rejects with the first failure as one sentence ending in "nothing was wiped". */
export async function preflight(input: PreflightInput, ctx: PhaseContext): Promise<PreflightReport> {
  const call = () => ({ signal: ctx.signal, timeoutMs: Math.min(15_000, ctx.remainingMs()) });
  const { binding, state } = input;
  const healths = await Promise.allSettled(binding.runnerHosts.map((h) => input.runner(h).health(call())));
  const served = new Map<string, RunnerHealth>();
  healths.forEach((r, i) => {
    const h = binding.runnerHosts[i]!;
    if (r.status === "rejected") throw new HostError(h.name, `the runner host is unreachable before the wipe, nothing was wiped: ${(r.reason as Error).message}`);
    const missing = h.zones.filter((z) => !r.value.zones.includes(z));
    if (missing.length > 0) throw new HostError(h.name, `the runner host serves zone(s) ${r.value.zones.join(", ")}, but the binding gives it ${missing.join(", ")}; nothing was wiped.`);
    served.set(h.name, r.value);
  });

  // Every process's instances have a runner host serving their zone.
  for (const inst of state.instances.values()) {
    const host = hostForInstance(binding, inst.zone, inst.id);
    if (!host) {
      throw new Error(`process ${inst.process} has instance ${inst.id} (line ${inst.position}) in zone ${inst.zone}, which no runner host of the ${binding.target} binding serves; nothing was wiped.`);
    }
  }

  const es = binding.eventStore;
  if (es.kind !== "local") return { hosts: served.size, streamsPresent: 0, streamsAbsent: state.streams.size, store: "delegated to the instance's --check" };
  const store = input.store(es.url);
  const where = `the event store at ${es.url}`;
  try {
    await store.health(call());
  } catch (err) {
    throw new Error(`${where} is unreachable before the wipe, nothing was wiped: ${(err as Error).message}`);
  }
  try {
    await store.probe(call());
  } catch (err) {
    throw new Error(`${where} cannot write before the wipe, nothing was wiped: ${(err as Error).message}`);
  }
  let held;
  try {
    held = new Map((await store.streams(call())).streams.map((s) => [s.gid, s]));
  } catch (err) {
    throw new Error(`${where} did not list its streams before the wipe, nothing was wiped: ${(err as Error).message}`);
  }
  let present = 0;
  for (const s of state.streams.values()) {
    const have = held.get(s.gid);
    if (!have) continue;
    if (have.store !== s.store || have.durable !== s.durable) {
      throw new Error(`stream ${s.gid} (line ${s.position} CreateStream) already exists in ${where} with store ${have.store} (durable: ${have.durable}); the log creates it with store ${s.store} (durable: ${s.durable}), so its CreateStream would fail; nothing was wiped.`);
    }
    present++;
  }
  return { hosts: served.size, streamsPresent: present, streamsAbsent: state.streams.size - present, store: "checked" };
}

/**
 * The instance command's executable must exist: a path (relative to `cwd`)
 * must be an executable file, a bare name must be on PATH. Throws one
 * sentence otherwise.
 */
export function assertCommandPresent(command: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const exe = command[0];
  if (!exe) throw new Error("spive:bootstrap.command is empty; expected the SpiveProdBootstrap instance command.");
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (exe.includes("/")) {
    const file = path.resolve(cwd, exe);
    if (!executable(file)) throw new Error(`the instance command's executable ${file} is missing or not executable (spive:bootstrap.command); nothing was touched.`);
    return;
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  if (!dirs.some((d) => executable(path.join(d, exe)))) {
    throw new Error(`the instance command's executable ${exe} is not on PATH (spive:bootstrap.command); nothing was touched.`);
  }
}
