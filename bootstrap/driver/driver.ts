import * as fs from "node:fs";
import * as path from "node:path";
import { credentialFor, type CredentialSource } from "../contracts/auth";
import { hostForInstance, type Binding, type BoundRunnerHost } from "../contracts/binding";
import { httpInstanceClient, httpRunnerClient, type InstanceClient, type RunnerClient } from "../contracts/clients";
import type { Progress } from "../contracts/instance-api";
import { LEASE_ENV } from "../contracts/lease-api";
import { httpLeaseClient, type LeaseClient } from "../contracts/lease-client";
import type { RunnerInstance } from "../contracts/runner-api";
import { httpStoreProbe, type StoreProbeClient } from "../contracts/store-probe";
import { formatLogError } from "../log/errors";
import type { BootstrapState } from "../log/reducer";
import { HostError, type PhaseName } from "./errors";
import { DEFAULT_LEASE_TTL_SECONDS, holderOf, newRunId, TargetLease } from "./lease";
import { assertPinned, LOG_SHA256_ENV, pinLog, type PinnedLog } from "./pin";
import { assertCommandPresent, preflight } from "./preflight";
import { makeOwnedTempDir, sweepStaleTempDirs } from "./temp-dirs";
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
  /** validate (read once, validate, hash, pin) */
  readonly validateSeconds: number;
  /** lease (tunnels, then the lease on every runner host) */
  readonly leaseSeconds: number;
  /** preflight (right before the wipe) */
  readonly preflightSeconds: number;
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
  /**
   * The runner client of a host (default: HTTP); `credential` is the run's
   * credential (the binding's auth) and `lease` the run id its state-changing
   * calls must carry.
   */
  readonly runnerClient?: (host: BoundRunnerHost, lease?: string, credential?: CredentialSource) => RunnerClient;
  /** Opens tunnels to the runner hosts at the start of the wipe phase (prod0 over IAP); none by default. */
  readonly tunnel?: TunnelOpener;
  /** The instance client (default: HTTP). */
  readonly instanceClient?: (url: string) => InstanceClient;
  /** The lease client of a host (default: HTTP). */
  readonly leaseClient?: (host: BoundRunnerHost) => LeaseClient;
  /** The preflight client of a local event store (default: HTTP). */
  readonly storeProbe?: (url: string) => StoreProbeClient;
  /** This run's id (default: `$SPIVE_BOOTSTRAP_RUN_ID` is the CLI's; else a fresh `<host>-<pid>-<time>-<random>`). */
  readonly runId?: string;
  /** Time-to-live of the lease in seconds (default 60; `spive:bootstrap.leaseTtlSeconds`). */
  readonly leaseTtlSeconds?: number;
  /** Where the run's temporary folders go (default: the OS's); stale ones of dead runs there are removed first. */
  readonly tempRoot?: string;
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
  /** This run's id (the lease's). */
  readonly runId: string;
  /** The SHA-256 of the log bytes validated and deployed. */
  readonly logSha256: string;
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
  lease: "leaseSeconds",
  "dry-replay": "dryReplaySeconds",
  preflight: "preflightSeconds",
  wipe: "wipeSeconds",
  start: "startSeconds",
  wait: "consumeSeconds",
  stop: "stopSeconds",
  verify: "verifySeconds",
};

/**
 * Runs the whole bootstrap; rejects with one BootstrapPhaseError. The log is
 * read once and pinned (validate), the target leased (lease) before anything
 * is touched, and everything the replay needs proved (dry-replay, preflight)
 * before the wipe; the lease is released with the outcome at the end.
 */
export async function runBootstrap(opts: DriverOptions): Promise<DriverResult> {
  const report = opts.report ?? (() => undefined);
  const runId = opts.runId ?? newRunId();
  const startedAt = new Date().toISOString();
  const phaseMs: Partial<Record<PhaseName, number>> = {};
  // Another run taking the lease over stops this one at once, like an interruption.
  let lease: TargetLease | undefined;
  const leaseLost = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, leaseLost.signal]) : leaseLost.signal;
  const phase: PhaseRunner = async (name, work, note) => {
    lease?.enter(name);
    report({ type: "phase-start", phase: name, rehearsal: false });
    const t0 = Date.now();
    // Stopping the instance must run even after an interruption: it is not tied to the driver's signal.
    const v = await runPhase(name, opts.timeouts[TIMEOUT_KEYS[name]], TIMEOUT_KEYS[name], name === "stop" ? undefined : signal, work);
    phaseMs[name] = Date.now() - t0;
    report({ type: "phase-end", phase: name, rehearsal: false, ms: phaseMs[name]!, note: note?.(v) });
    return v;
  };

  for (const dir of sweepStaleTempDirs(opts.tempRoot)) report({ type: "detail", message: `removed ${dir}, left behind by a bootstrap run that died` });
  const runDir = makeOwnedTempDir("spive-run-", opts.tempRoot);
  let tunnels: OpenTunnels | undefined;
  let failure: unknown;
  try {
    const pinned = await phase("validate", () => validate(opts, runDir), (p) => `${p.summary.lastPosition} events, ${p.summary.state.instances.size} instances, sha256 ${p.sha256}`);
    const { state, lastPosition } = pinned.summary;
    // From here on, every reader of the log gets the private copy and its digest, never the original path.
    const pinnedOpts: DriverOptions = { ...opts, logFile: pinned.file, env: { ...(opts.env ?? process.env), [LOG_SHA256_ENV]: pinned.sha256 } };

    let binding = opts.binding;
    lease = await phase(
      "lease",
      async (ctx) => {
        if (opts.tunnel) {
          tunnels = await opts.tunnel(binding, ctx);
          binding = tunnels.binding;
        }
        const leaseOf = opts.leaseClient ?? ((h: BoundRunnerHost) => httpLeaseClient(h.url, credentialOf(opts)));
        return TargetLease.acquire(
          {
            hosts: binding.runnerHosts,
            client: leaseOf,
            holder: holderOf(runId, startedAt),
            ttlSeconds: opts.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS,
            logSha256: pinned.sha256,
            phase: "lease",
            report: (message) => report({ type: "detail", message }),
          },
          ctx,
        );
      },
      (l) => `run ${runId} holds ${binding.runnerHosts.length} runner host${binding.runnerHosts.length === 1 ? "" : "s"} until ${l.expiresAt}, renewed while it runs`,
    );
    lease.lost.addEventListener("abort", () => leaseLost.abort(lease!.lost.reason), { once: true });
    const leased: DriverOptions = { ...pinnedOpts, env: { ...pinnedOpts.env, [LEASE_ENV]: runId } };

    await phase(
      "dry-replay",
      async (ctx) => {
        assertCommandPresent(opts.instanceCommand, opts.cwd, opts.env ?? process.env);
        const dry = opts.dryReplay ?? ((r, c) => dryReplayIn(opts.zones, state.instances.size, r, c, opts.tempRoot));
        const rehearse = (b: Binding, inner: PhaseContext) => replay(pinnedOpts, b, state, lastPosition, inner, true);
        // The rehearsal and the preflight of the real binding run side by side; both must pass, and both have ended when the phase does.
        const [rehearsal, check] = await Promise.allSettled([dry(rehearse, ctx), checkBinding(pinnedOpts, ctx)]);
        if (rehearsal.status === "rejected") throw rehearsal.reason;
        if (check.status === "rejected") throw check.reason;
        return rehearsal.value;
      },
      (r) => `converged: ${r.instances} instances running in the rehearsal`,
    );

    await phase(
      "preflight",
      async (ctx) => {
        await assertPinned(pinned);
        return preflight({ binding, state, runner: (h) => runnerOf(leased, h, runId), store: opts.storeProbe ?? ((url: string) => httpStoreProbe(url, credentialOf(opts))) }, ctx);
      },
      (p) => `${p.hosts} runner host${p.hosts === 1 ? "" : "s"} healthy; event store ${p.store}: ${p.streamsAbsent} stream(s) to create, ${p.streamsPresent} already identical`,
    );

    const wipe = await phase(
      "wipe",
      (ctx) => wipeRunnerHosts(binding.runnerHosts, (h) => runnerOf(leased, h, runId), ctx),
      (w) => `${w.hosts.length} host${w.hosts.length === 1 ? "" : "s"} empty, ${w.hosts.reduce((n, h) => n + h.deleted, 0)} instance(s) deleted in ${w.wallMs} ms`,
    );
    const real = await replayPhases(leased, binding, state, lastPosition, phase, runId, pinned);
    return {
      runId,
      logSha256: pinned.sha256,
      lastPosition,
      instances: real.instances,
      phaseMs,
      wipe: wipe.hosts,
      wipeWallMs: wipe.wallMs,
      stopDelayMs: real.doneAt !== null && real.stop?.sigtermAt ? real.stop.sigtermAt - real.doneAt : null,
      stopDoneMs: real.doneAt !== null && real.stop ? real.stop.exitedAt - real.doneAt : null,
    };
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    if (lease) {
      const problems = await lease.release(failure === undefined ? "succeeded" : "failed", failure === undefined ? null : (failure as Error).message ?? String(failure));
      for (const message of problems) report({ type: "detail", message });
    }
    await tunnels?.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

async function validate(opts: DriverOptions, runDir: string): Promise<PinnedLog> {
  const pinned = await pinLog(opts.logFile, runDir, { zones: opts.zones, zonesSource: opts.zonesSource });
  const summary = pinned.summary;
  if (!summary.ok) {
    for (const e of summary.errors) opts.report?.({ type: "detail", message: formatLogError(e) });
    const more = summary.errorCount > 1 ? ` (and ${summary.errorCount - 1} more error${summary.errorCount > 2 ? "s" : ""})` : "";
    throw new Error(`the log is invalid, nothing was touched: ${formatLogError(summary.errors[0]!)}${more}`);
  }
  opts.report?.({ type: "detail", message: `log ${opts.logFile} pinned: ${pinned.bytes} bytes, sha256 ${pinned.sha256}; the run deploys exactly these bytes` });
  return pinned;
}

/** One credential source per run (an ID token is fetched once and reused), from the binding's auth. */
// Keyed by the binding's auth object: the run's derived options and tunnelled bindings keep that object.
const credentials = new WeakMap<object, CredentialSource | undefined>();

/** The credential of this run's state-changing calls (the binding's auth), created once per auth object. */
export function credentialOf(opts: DriverOptions): CredentialSource | undefined {
  const auth = opts.binding.auth;
  if (!auth) return undefined;
  if (!credentials.has(auth)) credentials.set(auth, credentialFor(auth, opts.env));
  return credentials.get(auth);
}

/** The runner client of `host`; its state-changing calls carry the credential and, with `lease`, the run id. */
function runnerOf(opts: DriverOptions, host: BoundRunnerHost, lease?: string): RunnerClient {
  return (opts.runnerClient ?? ((h: BoundRunnerHost, l?: string, c?: CredentialSource) => httpRunnerClient(h.url, c, l)))(host, lease, credentialOf(opts));
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
async function replayPhases(opts: DriverOptions, binding: Binding, state: BootstrapState, lastPosition: number, phase: PhaseRunner, runId: string, pinned: PinnedLog): Promise<ReplayReport> {
  const workDir = makeOwnedTempDir("spive-bootstrap-", opts.tempRoot);
  let proc: InstanceProcess | undefined;
  let stop: StopReport | null = null;
  let progress: Progress | undefined;
  let failure: unknown;
  try {
    const url = await phase("start", async (ctx) => {
      // The copy the instance reads must still be the bytes validated.
      await assertPinned(pinned);
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
  const instances = await phase("verify", (ctx) => verify(opts, binding, state, ctx), (n) => `${n} instances running, exactly the log's (id, process, zone, args, runner host); run ${runId}`);
  return { lastPosition, instances, doneAt: progress?.doneAt ?? null, stop };
}

/**
 * One replay inside a single phase (the dry replay's rehearsal): start, wait,
 * stop (always) and verify against `binding`, all under `ctx`.
 */
export async function replay(opts: DriverOptions, binding: Binding, state: BootstrapState, lastPosition: number, ctx: PhaseContext, rehearsal: boolean): Promise<ReplayReport> {
  const workDir = makeOwnedTempDir("spive-rehearsal-", opts.tempRoot);
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
  const workDir = makeOwnedTempDir("spive-check-", opts.tempRoot);
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

/**
 * Every runner host runs exactly the validated log's instances for it, each
 * with the log's process, zone and args, reported by the host it belongs to,
 * all running, and nothing else.
 */
async function verify(opts: DriverOptions, binding: Binding, state: BootstrapState, ctx: PhaseContext): Promise<number> {
  const hosts = binding.runnerHosts;
  const lists = await Promise.allSettled(hosts.map((h) => runnerOf(opts, h).list({ signal: ctx.signal, timeoutMs: ctx.remainingMs() })));
  firstHostFailure(hosts, lists, "the runner host did not list its instances");
  let running = 0;
  hosts.forEach((h, i) => {
    const answer = (lists[i] as PromiseFulfilledResult<{ host: string; instances: RunnerInstance[] }>).value;
    const have = answer.instances;
    // Listed by the host the binding places it on (missing or extra otherwise), and run by that very host.
    const expected = [...state.instances.values()].filter((x) => hostForInstance(binding, x.zone, x.id)?.name === h.name);
    const byId = new Map(have.map((x) => [x.id, x]));
    const missing = expected.filter((x) => byId.get(x.id)?.state !== "running").map((x) => x.id);
    const differs: string[] = [];
    for (const x of expected) {
      const got = byId.get(x.id);
      if (!got || got.state !== "running") continue;
      const fields = [
        got.process !== x.process ? `process ${JSON.stringify(got.process)} (log: ${JSON.stringify(x.process)})` : "",
        got.zone !== x.zone ? `zone ${got.zone} (log: ${x.zone})` : "",
        JSON.stringify(got.args) !== JSON.stringify(x.args) ? `args ${JSON.stringify(got.args).slice(0, 80)} (log: ${JSON.stringify(x.args).slice(0, 80)})` : "",
        got.host !== answer.host ? `runner host ${JSON.stringify(got.host)} (listed by ${answer.host})` : "",
      ].filter(Boolean);
      if (fields.length > 0) differs.push(`${x.id} runs with ${fields.join(", ")}`);
    }
    const expectedIds = new Set(expected.map((x) => x.id));
    const extra = have.filter((x) => !expectedIds.has(x.id)).map((x) => x.id);
    if (missing.length > 0 || extra.length > 0 || differs.length > 0) {
      const parts = [
        missing.length > 0 ? `${missing.length} of the log's instances are not running (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""})` : "",
        differs.length > 0 ? `${differs.length} instance(s) differ from the validated log (${differs.slice(0, 2).join("; ")}${differs.length > 2 ? "; …" : ""})` : "",
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

