import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { credentialFor, type CredentialSource } from "../contracts/auth";
import { hostForInstance, type Binding, type BoundRunnerHost } from "../contracts/binding";
import { httpInstanceClient, httpRunnerClient, type InstanceClient, type RunnerClient } from "../contracts/clients";
import type { Progress } from "../contracts/instance-api";
import type { RunnerInstance } from "../contracts/runner-api";
import { formatLogError } from "../log/errors";
import type { BootstrapState } from "../log/reducer";
import { validateLogFile } from "../log/validate";
import { HostError, type PhaseName } from "./errors";
import { dryReplayIn } from "./dry-replay";
import { describeExit, InstanceProcess, type StopReport } from "./instance-process";
import { runPhase, type PhaseContext } from "./phase";
import type { OpenTunnels, TunnelOpener } from "./tunnels";

/**
 * The bootstrap driver: the one code path behind `pulumi up -s prod0` and
 * `spive bootstrap run --target dev-0`. In order: validate the log, dry-replay
 * it into ephemeral local doubles, wipe every runner host of the binding,
 * start the sole SpiveProdBootstrap instance with the log and the binding,
 * wait until it has consumed the whole log, stop it (always), and verify
 * that the runner hosts run exactly the log's instances. Every phase is
 * bounded by its timeout; any failure rejects with one BootstrapPhaseError.
 */

/** Per-phase timeouts in seconds (the `spive:bootstrap.timeouts` block). */
export interface DriverTimeouts {
  /** validate */
  readonly validateSeconds: number;
  /** dry-replay (the whole rehearsal) */
  readonly dryReplaySeconds: number;
  /** wipe (health, wipe, check empty) */
  readonly wipeSeconds: number;
  /** start (until the instance listens) */
  readonly startSeconds: number;
  /** wait (until the whole log is consumed) */
  readonly consumeSeconds: number;
  /** stop (SIGTERM until exit; then SIGKILL) */
  readonly stopSeconds: number;
  /** verify (every host runs exactly the log's instances) */
  readonly verifySeconds: number;
}

/** What the driver reports while it runs. */
export type DriverEvent =
  | { readonly type: "phase-start"; readonly phase: PhaseName; readonly rehearsal: boolean }
  | { readonly type: "phase-end"; readonly phase: PhaseName; readonly rehearsal: boolean; readonly ms: number; readonly note?: string }
  | { readonly type: "progress"; readonly rehearsal: boolean; readonly position: number; readonly lastPosition: number }
  | { readonly type: "instance"; readonly rehearsal: boolean; readonly pid: number | undefined }
  | { readonly type: "detail"; readonly message: string };

/** Everything a run needs; clients are injectable. */
export interface DriverOptions {
  /** The log file. */
  readonly logFile: string;
  /** The zones instances may run in (the prod0 stack's). */
  readonly zones: readonly string[];
  /** Where the zones come from, for messages. */
  readonly zonesSource?: string;
  /** The infrastructure the run is bound to. */
  readonly binding: Binding;
  /** Per-phase timeouts. */
  readonly timeouts: DriverTimeouts;
  /** The instance command, already split into words. */
  readonly instanceCommand: readonly string[];
  /** The working directory of the instance command. */
  readonly cwd: string;
  /** The instance's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Fires when the driver is interrupted (SIGINT/SIGTERM); its reason names the signal. */
  readonly signal?: AbortSignal;
  /** Receives progress. */
  readonly report?: (e: DriverEvent) => void;
  /** The runner client of a host (default: HTTP). */
  readonly runnerClient?: (host: BoundRunnerHost) => RunnerClient;
  /** Opens tunnels to the runner hosts at the start of the wipe phase (prod0 over IAP); none by default. */
  readonly tunnel?: TunnelOpener;
  /** The instance client (default: HTTP). */
  readonly instanceClient?: (url: string) => InstanceClient;
  /**
   * The dry replay: rehearses the log against ephemeral local doubles and
   * resolves when it converged. Default: `dryReplayIn` (./dry-replay) with one runner host double per zone.
   */
  readonly dryReplay?: (replay: (binding: Binding, ctx: PhaseContext) => Promise<ReplayReport>, ctx: PhaseContext) => Promise<ReplayReport>;
}

/** What one replay (rehearsal or real) did. */
export interface ReplayReport {
  /** The position the instance reached (the log's last position). */
  readonly lastPosition: number;
  /** How many instances run afterwards. */
  readonly instances: number;
  /** Epoch ms the instance reported the last event consumed. */
  readonly doneAt: number | null;
  /** How stopping it went. */
  readonly stop: StopReport | null;
}

/** The outcome of a successful run. */
export interface DriverResult {
  /** The log's last position. */
  readonly lastPosition: number;
  /** Instances running after the run. */
  readonly instances: number;
  /** Milliseconds per phase. */
  readonly phaseMs: Partial<Record<PhaseName, number>>;
  /** Per-host wipe: milliseconds and instances deleted. */
  readonly wipe: readonly { readonly host: string; readonly ms: number; readonly deleted: number }[];
  /** Wall-clock milliseconds of the wipe calls (all hosts in parallel). */
  readonly wipeWallMs: number;
  /** Milliseconds from the instance reporting the last event consumed to the driver sending SIGTERM. */
  readonly stopDelayMs: number | null;
  /** Milliseconds from that report to the instance being gone. */
  readonly stopDoneMs: number | null;
}

/** The config key of each phase's timeout (`spive:bootstrap.timeouts`). */
export const TIMEOUT_KEYS: Readonly<Record<PhaseName, keyof DriverTimeouts>> = {
  validate: "validateSeconds",
  "dry-replay": "dryReplaySeconds",
  wipe: "wipeSeconds",
  start: "startSeconds",
  wait: "consumeSeconds",
  stop: "stopSeconds",
  verify: "verifySeconds",
};

/** Runs the whole bootstrap; rejects with one BootstrapPhaseError. */
export async function runBootstrap(opts: DriverOptions): Promise<DriverResult> {
  const report = opts.report ?? (() => undefined);
  const phaseMs: Partial<Record<PhaseName, number>> = {};
  const phase: PhaseRunner = async (name, work, note) => {
    report({ type: "phase-start", phase: name, rehearsal: false });
    const t0 = Date.now();
    // Stopping the instance must run even after an interruption: it is not tied to the driver's signal.
    const v = await runPhase(name, opts.timeouts[TIMEOUT_KEYS[name]], TIMEOUT_KEYS[name], name === "stop" ? undefined : opts.signal, work);
    phaseMs[name] = Date.now() - t0;
    report({ type: "phase-end", phase: name, rehearsal: false, ms: phaseMs[name]!, note: note?.(v) });
    return v;
  };

  const { state, lastPosition } = await phase("validate", () => validate(opts), (v) => `${v.lastPosition} events, ${v.state.instances.size} instances`);

  await phase(
    "dry-replay",
    async (ctx) => {
      const dry = opts.dryReplay ?? ((r, c) => dryReplayIn(opts.zones, state.instances.size, r, c));
      const rehearse = (binding: Binding, inner: PhaseContext) => replay(opts, binding, state, lastPosition, inner, true);
      // The rehearsal and the preflight of the real binding run side by side; both must pass, and both have ended when the phase does.
      const [rehearsal, check] = await Promise.allSettled([dry(rehearse, ctx), checkBinding(opts, ctx)]);
      if (rehearsal.status === "rejected") throw rehearsal.reason;
      if (check.status === "rejected") throw check.reason;
      return rehearsal.value;
    },
    (r) => `converged: ${r.instances} instances running in the rehearsal`,
  );

  let tunnels: OpenTunnels | undefined;
  try {
    let binding = opts.binding;
    const wipe = await phase(
      "wipe",
      async (ctx) => {
        if (opts.tunnel) {
          tunnels = await opts.tunnel(binding, ctx);
          binding = tunnels.binding;
        }
        return wipeRunnerHosts(binding.runnerHosts, (h) => runnerOf(opts, h), ctx);
      },
      (w) => `${w.hosts.length} host${w.hosts.length === 1 ? "" : "s"} empty, ${w.hosts.reduce((n, h) => n + h.deleted, 0)} instance(s) deleted in ${w.wallMs} ms`,
    );
    const real = await replayPhases(opts, binding, state, lastPosition, phase);
    return {
      lastPosition,
      instances: real.instances,
      phaseMs,
      wipe: wipe.hosts,
      wipeWallMs: wipe.wallMs,
      stopDelayMs: real.doneAt !== null && real.stop?.sigtermAt ? real.stop.sigtermAt - real.doneAt : null,
      stopDoneMs: real.doneAt !== null && real.stop ? real.stop.exitedAt - real.doneAt : null,
    };
  } finally {
    await tunnels?.close();
  }
}

async function validate(opts: DriverOptions): Promise<{ state: BootstrapState; lastPosition: number }> {
  const summary = await validateLogFile(opts.logFile, { zones: opts.zones, zonesSource: opts.zonesSource });
  if (!summary.ok) {
    for (const e of summary.errors) opts.report?.({ type: "detail", message: formatLogError(e) });
    const more = summary.errorCount > 1 ? ` (and ${summary.errorCount - 1} more error${summary.errorCount > 2 ? "s" : ""})` : "";
    throw new Error(`the log is invalid, nothing was touched: ${formatLogError(summary.errors[0]!)}${more}`);
  }
  return { state: summary.state, lastPosition: summary.lastPosition };
}

/** One credential source per run (an ID token is fetched once and reused), from the binding's auth. */
const credentials = new WeakMap<DriverOptions, CredentialSource | undefined>();

function runnerOf(opts: DriverOptions, host: BoundRunnerHost): RunnerClient {
  if (!credentials.has(opts)) credentials.set(opts, credentialFor(opts.binding.auth, opts.env));
  return (opts.runnerClient ?? ((h: BoundRunnerHost) => httpRunnerClient(h.url, credentials.get(opts))))(host);
}

/** Fails naming the first host whose promise rejected (and how many more did). */
function firstHostFailure<T>(hosts: readonly BoundRunnerHost[], results: PromiseSettledResult<T>[], what: string): void {
  const failed = results.map((r, i) => ({ r, h: hosts[i]! })).filter((x) => x.r.status === "rejected");
  if (failed.length === 0) return;
  const first = failed[0]!;
  const reason = (first.r as PromiseRejectedResult).reason as Error;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more host${failed.length > 2 ? "s" : ""}: ${failed.slice(1).map((f) => f.h.name).join(", ")})` : "";
  throw new HostError(first.h.name, `${what}: ${reason.message}${more}`);
}

/** What a wipe did: per host, milliseconds and instances deleted, and the wall time of the parallel wipe. */
export interface WipeReport {
  /** Per host, in binding order. */
  readonly hosts: { readonly host: string; readonly ms: number; readonly deleted: number }[];
  /** Wall-clock milliseconds of the parallel wipe calls. */
  readonly wallMs: number;
}

/**
 * The wipe phase's work: every host must answer health first (a host down
 * before the wipe leaves the installation untouched), then every host is
 * wiped in parallel, then every host must report empty. Fails naming the
 * first host at fault.
 */
export async function wipeRunnerHosts(hosts: readonly BoundRunnerHost[], client: (host: BoundRunnerHost) => RunnerClient, ctx: PhaseContext): Promise<WipeReport> {
  const call = () => ({ signal: ctx.signal, timeoutMs: ctx.remainingMs() });
  const health = await Promise.allSettled(hosts.map((h) => client(h).health(call())));
  firstHostFailure(hosts, health, "the runner host is unreachable before the wipe, nothing was wiped");
  const t0 = Date.now();
  const wiped = await Promise.allSettled(
    hosts.map(async (h) => {
      const s = Date.now();
      const r = await client(h).wipe(call());
      return { host: h.name, ms: Date.now() - s, deleted: r.deleted };
    }),
  );
  const wallMs = Date.now() - t0;
  firstHostFailure(hosts, wiped, "the wipe did not complete");
  const lists = await Promise.allSettled(hosts.map((h) => client(h).list(call())));
  firstHostFailure(hosts, lists, "the runner host did not list its instances after the wipe");
  lists.forEach((l, i) => {
    const left = (l as PromiseFulfilledResult<{ instances: RunnerInstance[] }>).value.instances;
    if (left.length > 0) throw new HostError(hosts[i]!.name, `the runner host still reports ${left.length} instance(s) after the wipe (${left.slice(0, 3).map((x) => x.id).join(", ")}); expected none`);
  });
  return { hosts: wiped.map((w) => (w as PromiseFulfilledResult<{ host: string; ms: number; deleted: number }>).value), wallMs };
}

type PhaseRunner = <T>(name: PhaseName, work: (ctx: PhaseContext) => Promise<T>, note?: (v: T) => string) => Promise<T>;

/** The real run's start → wait → stop → verify, each its own phase; the instance is stopped always. */
async function replayPhases(opts: DriverOptions, binding: Binding, state: BootstrapState, lastPosition: number, phase: PhaseRunner): Promise<ReplayReport> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-bootstrap-"));
  let proc: InstanceProcess | undefined;
  let stop: StopReport | null = null;
  let progress: Progress | undefined;
  let failure: unknown;
  try {
    const url = await phase("start", async (ctx) => {
      proc = startInstance(opts, binding, workDir);
      opts.report?.({ type: "instance", rehearsal: false, pid: proc.pid });
      return awaitListening(proc, ctx);
    }, (u) => `SpiveProdBootstrap instance pid ${proc?.pid} listens on ${u}`);
    progress = await phase("wait", (ctx) => waitConsumed(opts, proc!, url, lastPosition, ctx, false), (p) => `consumed ${p.position}/${p.lastPosition}`);
  } catch (err) {
    failure = err;
  }
  try {
    if (proc) {
      const p = proc;
      stop = await phase("stop", (ctx) => stopInstance(p, ctx), (s) => (s.killed ? "killed after SIGTERM grace" : "exited on SIGTERM"));
    }
  } catch (err) {
    // The first failure is the one the run reports; a failed stop after it is a detail.
    if (failure === undefined) failure = err;
    else opts.report?.({ type: "detail", message: (err as Error).message });
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  if (failure !== undefined) throw failure;
  const instances = await phase("verify", (ctx) => verify(opts, binding, state, ctx), (n) => `${n} instances running, exactly the log's`);
  return { lastPosition, instances, doneAt: progress?.doneAt ?? null, stop };
}

/**
 * One replay inside a single phase (the dry replay's rehearsal): start, wait,
 * stop (always) and verify against `binding`, all under `ctx`.
 */
export async function replay(opts: DriverOptions, binding: Binding, state: BootstrapState, lastPosition: number, ctx: PhaseContext, rehearsal: boolean): Promise<ReplayReport> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-rehearsal-"));
  const proc = startInstance(opts, binding, workDir);
  opts.report?.({ type: "instance", rehearsal, pid: proc.pid });
  let progress: Progress | undefined;
  let stop: StopReport | null = null;
  try {
    const url = await awaitListening(proc, ctx).catch((e: Error) => Promise.reject(new Error(`(start) ${e.message}`)));
    progress = await waitConsumed(opts, proc, url, lastPosition, ctx, rehearsal).catch((e: Error) => Promise.reject(new Error(`(wait) ${e.message}`)));
  } finally {
    stop = await proc.stop(opts.timeouts.stopSeconds * 1000);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const instances = await verify(opts, binding, state, ctx).catch((e: Error) => Promise.reject(new Error(`(verify) ${e.message}`)));
  return { lastPosition, instances, doneAt: progress?.doneAt ?? null, stop };
}

/**
 * The preflight of the real binding, before anything is touched: the instance
 * command with `--check` must exit 0 (it can serve this binding), else the
 * dry replay fails with its sentence.
 */
async function checkBinding(opts: DriverOptions, ctx: PhaseContext): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-check-"));
  const bindingFile = path.join(workDir, "binding.json");
  fs.writeFileSync(bindingFile, JSON.stringify(opts.binding, null, 2), { mode: 0o600 });
  const proc = new InstanceProcess(
    opts.instanceCommand,
    ["--log", path.resolve(opts.logFile), "--binding", bindingFile, "--listen", "127.0.0.1:0", "--check"],
    opts.cwd,
    { ...(opts.env ?? process.env), SPIVE_BOOTSTRAP_TARGET: opts.binding.target },
  );
  try {
    const exit = await abortable(proc.exited, ctx.signal);
    if (exit.code !== 0) {
      throw new Error(`the instance command cannot serve the ${opts.binding.target} binding (--check exited with ${describeExit(exit)}): ${proc.stderrTail() || "no reason given"}`);
    }
  } finally {
    await proc.stop(1_000);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function startInstance(opts: DriverOptions, binding: Binding, workDir: string): InstanceProcess {
  const bindingFile = path.join(workDir, "binding.json");
  fs.writeFileSync(bindingFile, JSON.stringify(binding, null, 2), { mode: 0o600 });
  return new InstanceProcess(
    opts.instanceCommand,
    ["--log", path.resolve(opts.logFile), "--binding", bindingFile, "--listen", "127.0.0.1:0"],
    opts.cwd,
    { ...(opts.env ?? process.env), SPIVE_BOOTSTRAP_TARGET: binding.target },
  );
}

/** The start phase ends when the instance prints its listening line; from then on, its death fails the wait. */
function awaitListening(proc: InstanceProcess, ctx: PhaseContext): Promise<string> {
  return abortable(proc.ready, ctx.signal);
}

async function waitConsumed(opts: DriverOptions, proc: InstanceProcess, url: string, lastPosition: number, ctx: PhaseContext, rehearsal: boolean): Promise<Progress> {
  const client = (opts.instanceClient ?? httpInstanceClient)(url);
  const exitMessage = () => {
    const e = proc.exitInfo!;
    const tail = proc.stderrTail();
    return `the bootstrap instance exited (${describeExit(e)}) at position ${after} of ${lastPosition}${tail ? `: ${tail}` : ""}`;
  };
  let after = 0;
  for (;;) {
    if (proc.exitInfo) throw new Error(exitMessage());
    let p: Progress;
    try {
      p = await client.progress(after, Math.min(2_000, ctx.remainingMs()), { signal: ctx.signal });
    } catch (err) {
      // A crashed instance breaks the long poll: name the exit rather than the broken connection.
      if (!ctx.signal.aborted && (await settlesWithin(proc.exited, 1_000))) throw new Error(exitMessage());
      throw err;
    }
    opts.report?.({ type: "progress", rehearsal, position: p.position, lastPosition });
    if (p.state === "failed") throw new Error(`the bootstrap instance failed at position ${p.position} of ${lastPosition}: ${p.errors[0] ?? "no reason given"}`);
    if (p.lastPosition !== 0 && p.lastPosition !== lastPosition) {
      throw new Error(`the bootstrap instance reports a last position of ${p.lastPosition}; the validated log ends at ${lastPosition}`);
    }
    if (p.state === "done" && p.position >= lastPosition) return p;
    after = p.position;
  }
}

async function stopInstance(proc: InstanceProcess, ctx: PhaseContext): Promise<StopReport> {
  // A little under the phase's time, so a SIGKILL that works still lands inside the phase.
  return proc.stop(Math.max(100, ctx.remainingMs() - 200));
}

async function verify(opts: DriverOptions, binding: Binding, state: BootstrapState, ctx: PhaseContext): Promise<number> {
  const hosts = binding.runnerHosts;
  const lists = await Promise.allSettled(hosts.map((h) => runnerOf(opts, h).list({ signal: ctx.signal, timeoutMs: ctx.remainingMs() })));
  firstHostFailure(hosts, lists, "the runner host did not list its instances");
  let running = 0;
  hosts.forEach((h, i) => {
    const have = (lists[i] as PromiseFulfilledResult<{ instances: RunnerInstance[] }>).value.instances;
    const expected = [...state.instances.values()].filter((x) => hostForInstance(binding, x.zone, x.id)?.name === h.name);
    const byId = new Map(have.map((x) => [x.id, x]));
    const missing = expected.filter((x) => byId.get(x.id)?.state !== "running").map((x) => x.id);
    const expectedIds = new Set(expected.map((x) => x.id));
    const extra = have.filter((x) => !expectedIds.has(x.id)).map((x) => x.id);
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        missing.length > 0 ? `${missing.length} of the log's instances are not running (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""})` : "",
        extra.length > 0 ? `${extra.length} instance(s) not in the log are present (${extra.slice(0, 3).join(", ")})` : "",
      ].filter(Boolean);
      throw new HostError(h.name, `${parts.join("; ")}; expected exactly the log's ${expected.length} instance(s) for this host, running`);
    }
    running += expected.length;
  });
  return running;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(timer));
}

