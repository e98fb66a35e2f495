import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tokenAuthenticator, writeInstallationToken } from "../contracts/auth";
import type { Binding } from "../contracts/binding";
import { httpEventStoreClient, httpInstanceClient, httpRunnerClient } from "../contracts/clients";
import type { Progress } from "../contracts/instance-api";
import { describeExit, InstanceProcess } from "../driver/instance-process";
import { reduceValidLog } from "../log/validate";
import { EventStoreDouble } from "../../doubles/event-store";
import { generateLog } from "../../doubles/generate-log";
import { RunnerHostDouble } from "../../doubles/runner-host";

/**
 * The conformance kit of the bootstrap instance contract (docs/contracts.md,
 * "Bootstrap instance API"): runs any implementation of SpiveProdBootstrap —
 * the double, a release candidate, the artifact through its launcher —
 * against fresh local doubles (runner hosts per zone, an event store, an
 * installation token) and checks, each with a bounded wait and a
 * full-sentence reason when it fails:
 *
 * 1. `--check` accepts a binding it can serve (exit 0) and contacts nothing;
 * 2. `--check` refuses a bad binding (non-zero, one sentence on stderr);
 * 3. the startup handshake: the listening line, then `GET /v1/health`;
 * 4. progress: the long poll answers by the contract, positions only grow;
 * 5. consume to the last position: done at the log's End, with exactly the
 *    log's instances on the runner hosts and its streams in the store;
 * 6. idempotent CreateStream: a second instance on the same binding (streams
 *    already there) converges to the same state without an error;
 * 7. stop on SIGTERM within the bound, leaving no process behind and making
 *    no call afterwards.
 */

/** The zones the kit's doubles serve (prod-0's shape: two zones, one host each). */
export const CONFORMANCE_ZONES: readonly string[] = ["europe-west1-b", "europe-west1-c"];

/** Bounds of the kit's waits, in milliseconds. */
export interface ConformanceBounds {
  /** `--check` must exit within this. */
  readonly checkMs: number;
  /** The listening line and health must come within this. */
  readonly startMs: number;
  /** The whole log must be consumed within this. */
  readonly consumeMs: number;
  /** After SIGTERM the instance must be gone within this (the contract's bound). */
  readonly stopMs: number;
  /** How long after its exit the doubles are watched for a late call. */
  readonly quietMs: number;
}

/** The default bounds: generous, for a loaded CI machine. */
export const DEFAULT_BOUNDS: ConformanceBounds = { checkMs: 60_000, startMs: 60_000, consumeMs: 120_000, stopMs: 10_000, quietMs: 3_000 };

/** Options of a conformance run. */
export interface ConformanceOptions {
  /** The implementation's command words (the contract adds `--log`, `--binding`, `--listen`, and `--check`). */
  readonly command: readonly string[];
  /** Where to run it (default: the current folder). */
  readonly cwd?: string;
  /** Its environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Bounds (default DEFAULT_BOUNDS). */
  readonly bounds?: Partial<ConformanceBounds>;
  /** Called with each check's result as it ends. */
  readonly report?: (r: CheckResult) => void;
  /** Run only these checks (default: all). */
  readonly only?: readonly (typeof CHECKS)[number][];
}

/** One check's verdict. */
export interface CheckResult {
  /** The check's name, e.g. `startup handshake`. */
  readonly name: string;
  /** Whether the implementation passed it. */
  readonly ok: boolean;
  /** How long it took. */
  readonly ms: number;
  /** Why it failed: one sentence. */
  readonly reason?: string;
}

/** The checks, in order. */
export const CHECKS = [
  "check accepts a binding it can serve",
  "check refuses a bad binding",
  "startup handshake",
  "progress",
  "consume to the last position",
  "idempotent CreateStream",
  "stop on SIGTERM within the bound",
] as const;

/** Fresh doubles: one runner host per zone, an event store, an installation token. */
class Rig {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-conformance-"));
  private readonly token = writeInstallationToken(this.dir);
  private readonly auth = tokenAuthenticator(this.token.token);
  readonly hosts = CONFORMANCE_ZONES.map((z) => new RunnerHostDouble({ name: `conformance-${z}`, zones: [z], stopGraceMs: 1_000, instancesDieWithProcess: true, auth: this.auth }));
  readonly store = new EventStoreDouble(path.join(this.dir, "event-store"), this.auth);
  binding!: Binding;

  async start(): Promise<void> {
    const urls = await Promise.all(this.hosts.map((h) => h.start()));
    const store = await this.store.start();
    this.binding = {
      target: "conformance",
      runnerHosts: CONFORMANCE_ZONES.map((z, i) => ({ name: `conformance-${z}`, zones: [z], url: urls[i]! })),
      eventStore: { kind: "local", url: store },
      gateways: {},
      auth: { kind: "token-file", file: this.token.file },
    };
  }

  /** Writes a file in the rig's folder (mode 0600) and returns its path. */
  file(name: string, text: string): string {
    const f = path.join(this.dir, name);
    fs.writeFileSync(f, text, { mode: 0o600 });
    return f;
  }

  /** Requests the runner hosts have received so far. */
  get runnerRequests(): number {
    return this.hosts.reduce((n, h) => n + h.requests, 0);
  }

  /** What the doubles hold: instances (id, process, zone, args, state) and streams. */
  async snapshot(): Promise<string> {
    const lists = await Promise.all(this.binding.runnerHosts.map((h) => httpRunnerClient(h.url).list({ timeoutMs: 30_000 })));
    const instances = lists.flatMap((l) => l.instances.map((i) => [i.id, i.host, i.process, i.zone, i.args, i.state]));
    const streams = (await httpEventStoreClient((this.binding.eventStore as { url: string }).url).list({ timeoutMs: 30_000 })).streams;
    return JSON.stringify({ instances, streams });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.hosts.map((h) => h.close()), this.store.close()]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A failed check: its sentence is the reason. */
class Nonconformance extends Error {}

function fail(reason: string): never {
  throw new Nonconformance(reason);
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Nonconformance(`${what} did not happen within ${ms} ms.`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the implementation once with `--check` on `bindingFile`; resolves with its exit and stderr's last line. */
async function runCheck(opts: ConformanceOptions, bounds: ConformanceBounds, logFile: string, bindingFile: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const proc = new InstanceProcess(opts.command, ["--log", logFile, "--binding", bindingFile, "--listen", "127.0.0.1:0", "--check"], opts.cwd ?? process.cwd(), opts.env ?? process.env);
  try {
    const exit = await bounded(proc.exited, bounds.checkMs, "--check exiting");
    return { ...exit, stderr: proc.stderrTail() };
  } finally {
    await proc.stop(5_000).catch(() => undefined);
  }
}

/** Starts the implementation on the rig and waits for its handshake (listening line, then a health answer). */
async function startInstance(opts: ConformanceOptions, bounds: ConformanceBounds, rig: Rig, logFile: string): Promise<{ proc: InstanceProcess; url: string }> {
  const bindingFile = rig.file(`binding-${Date.now()}-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(rig.binding));
  const proc = new InstanceProcess(opts.command, ["--log", logFile, "--binding", bindingFile, "--listen", "127.0.0.1:0"], opts.cwd ?? process.cwd(), opts.env ?? process.env);
  let url: string;
  try {
    url = await bounded(proc.ready, bounds.startMs, "the listening line (SPIVE_INSTANCE_LISTENING http://127.0.0.1:<port>) on stdout");
  } catch (err) {
    await proc.stop(5_000).catch(() => undefined);
    if (err instanceof Nonconformance) throw err;
    fail(`the instance did not complete the startup handshake: ${(err as Error).message}.`);
  }
  if (!/^http:\/\/127\.0\.0\.1:[0-9]+$/.test(url)) {
    await proc.stop(5_000).catch(() => undefined);
    fail(`the listening line names ${JSON.stringify(url)}; expected http://127.0.0.1:<port> (it must listen where --listen says).`);
  }
  try {
    const health = await httpInstanceClient(url).health({ timeoutMs: bounds.startMs });
    if (health.pid <= 0) fail(`GET /v1/health answered pid ${health.pid}; expected the instance's process id.`);
  } catch (err) {
    await proc.stop(5_000).catch(() => undefined);
    if (err instanceof Nonconformance) throw err;
    fail(`GET /v1/health after the listening line failed: ${(err as Error).message}`);
  }
  return { proc, url };
}

/** Follows the long poll until done or failed, checking every answer; resolves with the last progress. */
async function follow(url: string, bounds: ConformanceBounds, lastPosition: number): Promise<Progress> {
  const client = httpInstanceClient(url);
  const deadline = Date.now() + bounds.consumeMs;
  let last: Progress | undefined;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) fail(`the instance did not consume the log within ${bounds.consumeMs} ms (last: state ${last?.state ?? "unknown"}, position ${last?.position ?? 0}/${lastPosition}).`);
    let p: Progress;
    try {
      p = await client.progress(last?.position ?? 0, Math.min(10_000, left), { timeoutMs: Math.min(10_000, left) + 5_000 });
    } catch (err) {
      fail(`GET /v1/progress failed: ${(err as Error).message}`);
    }
    if (last && p.position < last.position) fail(`the position went back from ${last.position} to ${p.position}; expected it never to decrease.`);
    if (p.lastPosition !== 0 && p.lastPosition !== lastPosition) fail(`progress reports lastPosition ${p.lastPosition}; the log's End event is at position ${lastPosition}.`);
    if (p.position > lastPosition) fail(`progress reports position ${p.position}, past the log's last position ${lastPosition}.`);
    if (p.state === "failed") fail(`the instance failed: ${p.errors[0] ?? "no error given (errors must be non-empty when failed)"}`);
    if (p.state === "done") {
      if (p.position !== lastPosition) fail(`the instance reports done at position ${p.position}; expected done only at the log's last position ${lastPosition}.`);
      if (p.doneAt === null) fail("the instance reports done without doneAt; expected the epoch milliseconds of its last event.");
      return p;
    }
    last = p;
  }
}

/** The log's expected state on the doubles, as `Rig.snapshot` shows it (streams without createdAt). */
function expectedInstances(logText: string): string[] {
  const state = reduceValidLog(logText.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown), { zones: CONFORMANCE_ZONES });
  return [...state.instances.values()].map((i) => JSON.stringify([i.id, i.process, i.zone, i.args ?? []])).sort();
}

async function verifyState(rig: Rig, logText: string): Promise<void> {
  const snap = JSON.parse(await rig.snapshot()) as { instances: [string, string, string, string, string[], string][]; streams: { gid: string; store: string; durable: boolean }[] };
  const running = snap.instances.filter((i) => i[5] === "running").map((i) => JSON.stringify([i[0], i[2], i[3], i[4]])).sort();
  const expected = expectedInstances(logText);
  const missing = expected.filter((e) => !running.includes(e));
  const extra = running.filter((r) => !expected.includes(r));
  if (missing.length || extra.length) {
    fail(`the runner hosts do not run exactly the log's instances: ${missing.length} missing (${missing.slice(0, 2).join(", ")}), ${extra.length} not in the log (${extra.slice(0, 2).join(", ")}).`);
  }
  const events = logText.trimEnd().split("\n").map((l) => JSON.parse(l) as { kind: string; gid?: string; store?: string; durable?: boolean });
  for (const s of events.filter((e) => e.kind === "CreateStream")) {
    const have = snap.streams.find((x) => x.gid === s.gid);
    if (!have || have.store !== s.store || have.durable !== s.durable) fail(`stream ${s.gid} is not in the event store with store ${s.store} and durable ${String(s.durable)}.`);
  }
}

/**
 * Runs every check against `opts.command`, each on fresh doubles; resolves
 * with one result per check (it never throws for a nonconforming
 * implementation, only for a broken machine).
 */
export async function runConformance(opts: ConformanceOptions): Promise<CheckResult[]> {
  const bounds: ConformanceBounds = { ...DEFAULT_BOUNDS, ...opts.bounds };
  const smallLog = generateLog({ instances: 6, zones: CONFORMANCE_ZONES, idPrefix: "conformance" });
  const smallLast = smallLog.trimEnd().split("\n").length;
  const results: CheckResult[] = [];
  const run = async (name: (typeof CHECKS)[number], body: (rig: Rig) => Promise<void>) => {
    if (opts.only && !opts.only.includes(name)) return;
    const t0 = Date.now();
    // Every check after the handshake needs a running instance: without a handshake they cannot run.
    const handshake = results.find((r) => r.name === "startup handshake");
    if (handshake && !handshake.ok) {
      const skipped: CheckResult = { name, ok: false, ms: 0, reason: "not run: the startup handshake failed, so no instance could be observed." };
      results.push(skipped);
      opts.report?.(skipped);
      return;
    }
    const rig = new Rig();
    let result: CheckResult;
    try {
      await rig.start();
      await body(rig);
      result = { name, ok: true, ms: Date.now() - t0 };
    } catch (err) {
      const reason = err instanceof Nonconformance ? err.message : `the check could not run: ${(err as Error).message}`;
      result = { name, ok: false, ms: Date.now() - t0, reason };
    } finally {
      await rig.close();
    }
    results.push(result);
    opts.report?.(result);
  };

  await run("check accepts a binding it can serve", async (rig) => {
    const before = rig.runnerRequests;
    const r = await runCheck(opts, bounds, rig.file("log.jsonl", smallLog), rig.file("binding.json", JSON.stringify(rig.binding)));
    if (r.code !== 0) fail(`--check with a binding it can serve exited with ${describeExit(r)}; expected 0${r.stderr ? ` (stderr: ${r.stderr})` : ""}.`);
    if (rig.runnerRequests !== before) fail(`--check called the runner hosts ${rig.runnerRequests - before} time(s); expected it to contact nothing.`);
  });

  await run("check refuses a bad binding", async (rig) => {
    const bad = { ...rig.binding, runnerHosts: [], eventStore: { kind: "carrier-pigeon" } };
    const r = await runCheck(opts, bounds, rig.file("log.jsonl", smallLog), rig.file("bad-binding.json", JSON.stringify(bad)));
    if (r.code === 0) fail("--check with a binding that has no runner host and an unknown event store exited 0; expected a non-zero exit and one sentence on stderr.");
    if (r.signal) fail(`--check with a bad binding died by ${r.signal}; expected it to exit non-zero by itself.`);
    if (!r.stderr || !/[.!]$/.test(r.stderr.trim()) || r.stderr.trim().split(/\s+/).length < 4) fail(`--check with a bad binding exited with ${describeExit(r)} but said ${JSON.stringify(r.stderr)} on stderr; expected one full sentence saying why.`);
  });

  await run("startup handshake", async (rig) => {
    const { proc } = await startInstance(opts, bounds, rig, rig.file("log.jsonl", smallLog));
    await proc.stop(bounds.stopMs + 5_000);
  });

  await run("progress", async (rig) => {
    const { proc, url } = await startInstance(opts, bounds, rig, rig.file("log.jsonl", smallLog));
    try {
      // An immediate answer with waitMs=0, then the long poll to the end.
      const first = await httpInstanceClient(url).progress(-1, 0, { timeoutMs: 30_000 }).catch((err: Error) => fail(`GET /v1/progress?after=-1&waitMs=0 failed: ${err.message}`));
      if (first.position < 0) fail(`progress reports position ${first.position}; expected ≥ 0.`);
      await follow(url, bounds, smallLast);
      // Terminal: a poll past the end must answer at once, not after waitMs.
      const t0 = Date.now();
      await httpInstanceClient(url).progress(smallLast, 20_000, { timeoutMs: 30_000 });
      if (Date.now() - t0 > 15_000) fail(`a poll after=${smallLast} on a done instance waited ${Date.now() - t0} ms; expected an answer at once once the state is done.`);
    } finally {
      await proc.stop(bounds.stopMs + 5_000);
    }
  });

  await run("consume to the last position", async (rig) => {
    const { proc, url } = await startInstance(opts, bounds, rig, rig.file("log.jsonl", smallLog));
    try {
      await follow(url, bounds, smallLast);
      await verifyState(rig, smallLog);
    } finally {
      await proc.stop(bounds.stopMs + 5_000);
    }
  });

  await run("idempotent CreateStream", async (rig) => {
    const logFile = rig.file("log.jsonl", smallLog);
    for (const round of [1, 2]) {
      const { proc, url } = await startInstance(opts, bounds, rig, logFile);
      try {
        await follow(url, bounds, smallLast).catch((err: Error) => fail(`run ${round} on the same binding: ${err.message}`));
      } finally {
        await proc.stop(bounds.stopMs + 5_000);
      }
    }
    await verifyState(rig, smallLog);
    const streams = (await httpEventStoreClient((rig.binding.eventStore as { url: string }).url).list()).streams;
    const gids = streams.map((s) => s.gid);
    if (new Set(gids).size !== gids.length) fail(`the event store holds a stream twice (${gids.join(", ")}); expected CreateStream to be create-if-absent.`);
  });

  await run("stop on SIGTERM within the bound", async (rig) => {
    const bigLog = generateLog({ instances: 300, zones: CONFORMANCE_ZONES, idPrefix: "conformance-stop" });
    const bigLast = bigLog.trimEnd().split("\n").length;
    const { proc, url } = await startInstance(opts, bounds, rig, rig.file("log.jsonl", bigLog));
    // Signal it while it consumes (or as soon as it has made progress).
    const p = await httpInstanceClient(url).progress(0, 30_000, { timeoutMs: 40_000 }).catch((err: Error) => fail(`GET /v1/progress failed: ${err.message}`));
    const report = await proc.stop(bounds.stopMs);
    if (report.killed) fail(`the instance did not exit within ${bounds.stopMs} ms of SIGTERM (at position ${p.position}/${bigLast}) and was killed; expected it to exit on SIGTERM.`);
    // Nothing of it may remain, and nothing may happen after it is gone.
    try {
      process.kill(-proc.pid!, 0);
      fail(`a process of the instance's group (${proc.pid}) is still alive after the instance exited; expected SIGTERM to end everything it started.`);
    } catch (err) {
      if (err instanceof Nonconformance) throw err;
    }
    // Read at once on exit, then a quiet period with no call of our own: anything that arrives is the instance's doing.
    const requests = rig.runnerRequests;
    await new Promise((r) => setTimeout(r, bounds.quietMs));
    const extra = rig.runnerRequests - requests;
    if (extra > 0) fail(`the runner hosts received ${extra} call(s) within ${bounds.quietMs} ms after the instance exited; expected no side effect after SIGTERM (nothing it started may outlive it).`);
  });

  return results;
}

/** Renders results as lines: `ok   startup handshake (412 ms)` / `FAIL progress: <reason>`. */
export function formatResults(results: readonly CheckResult[]): string[] {
  return results.map((r) => (r.ok ? `ok    ${r.name} (${r.ms} ms)` : `FAIL  ${r.name}: ${r.reason}`));
}
