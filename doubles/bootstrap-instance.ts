import * as fs from "node:fs";
import { credentialFor, type CredentialSource } from "../bootstrap/contracts/auth";
import { hostForInstance, type Binding } from "../bootstrap/contracts/binding";
import { httpEventStoreClient, httpRunnerClient, type RunnerClient } from "../bootstrap/contracts/clients";
import { ContractCallError } from "../bootstrap/contracts/http";
import { LISTENING_PREFIX, type ConsumeState, type Progress } from "../bootstrap/contracts/instance-api";
import { readLogEvents } from "../bootstrap/log/validate";
import type { BootstrapEvent } from "../bootstrap/log/schema";
import { sha256OfFile } from "../bootstrap/driver/pin";
import { HttpError, startJsonServer, type StartedServer } from "./http-server";

/**
 * The SpiveProdBootstrap double: consumes the bootstrap log through the
 * contracts (streams into the event store, every instance onto the runner
 * host of its zone), replay mode off (every side effect is carried out), and
 * serves the bootstrap instance API (docs/contracts.md) with its position.
 * It stays up when done, until SIGTERM: stopping it is the driver's job.
 */

/** What a fault does once the instance has consumed its position. */
export type InstanceFaultKind = "crash" | "hang" | "fail";

/** A fault injected into the instance: at `fraction` (0..1] of the log, `kind` happens. */
export interface InstanceFault {
  /** crash: exit 70 at once; hang: stop consuming (no progress); fail: report state failed. */
  readonly kind: InstanceFaultKind;
  /** Where in the log, as a fraction of its last position (1 % → 0.01). */
  readonly fraction: number;
}

/** The env var that injects faults: `<mode>:<kind>@<fraction>[,…]`, mode `run` or `dry-replay`, e.g. `run:crash@0.5`. */
export const INSTANCE_FAULT_ENV = "SPIVE_FAULT_INSTANCE";

/**
 * Parses SPIVE_FAULT_INSTANCE and returns the fault for a binding target
 * (`dry-replay` for the dry replay, `run` for any real target), if any.
 */
export function instanceFaultFor(spec: string | undefined, target: string): InstanceFault | undefined {
  if (!spec) return undefined;
  const mode = target === "dry-replay" ? "dry-replay" : "run";
  for (const part of spec.split(",")) {
    const m = /^(run|dry-replay):(crash|hang|fail)@([0-9.]+)$/.exec(part.trim());
    if (!m) throw new Error(`${INSTANCE_FAULT_ENV}: expected <run|dry-replay>:<crash|hang|fail>@<fraction>, such as run:crash@0.5, got "${part}".`);
    const fraction = Number(m[3]);
    if (!(fraction > 0 && fraction <= 1)) throw new Error(`${INSTANCE_FAULT_ENV}: expected a fraction in (0, 1], got ${m[3]} in "${part}".`);
    if (m[1] === mode) return { kind: m[2] as InstanceFaultKind, fraction };
  }
  return undefined;
}

/** Options of a bootstrap instance double. */
export interface BootstrapInstanceOptions {
  /** The log file to consume. */
  readonly logFile: string;
  /** The infrastructure binding. */
  readonly binding: Binding;
  /** Loopback host and port of the instance API (port 0: any). */
  readonly listen: { readonly host: string; readonly port: number };
  /** An injected fault. */
  readonly fault?: InstanceFault;
  /** Called for a crash fault (the standalone instance exits 70). */
  readonly crash: () => void;
  /** Writes a line to stdout (the listening line). */
  readonly print: (line: string) => void;
  /** The run id holding the target's lease (`SPIVE_BOOTSTRAP_LEASE`), sent with every runner call that changes state. */
  readonly lease?: string;
  /** The SHA-256 the driver pinned the log with (`SPIVE_BOOTSTRAP_LOG_SHA256`); a log file with another digest is refused. */
  readonly logSha256?: string;
}

/** How many CreateInstance calls may be in flight at once. */
export const INSTANCE_CONCURRENCY = 8;

/** A running bootstrap instance double. */
export class BootstrapInstanceDouble {
  private state: ConsumeState = "starting";
  private position = 0;
  private lastPosition = 0;
  private doneAt: number | null = null;
  private readonly errors: string[] = [];
  private waiters: (() => void)[] = [];
  private server: StartedServer | undefined;
  private readonly runners = new Map<string, RunnerClient>();
  private faultPosition = Infinity;
  /** Set on close: the consume loop starts nothing more. */
  private closing = false;
  /** The side effects in flight, by position: close waits for them, so none lands after the instance is gone. */
  private readonly inflight = new Map<number, Promise<void>>();
  private hung = false;

  /** The credential of every state-changing call, from the binding's auth (docs/contracts.md, Authentication). */
  private readonly credential: CredentialSource | undefined;

  constructor(private readonly opts: BootstrapInstanceOptions) {
    this.credential = credentialFor(opts.binding.auth);
  }

  /** The current progress. */
  progress(): Progress {
    return { state: this.state, position: this.position, lastPosition: this.lastPosition, errors: [...this.errors], doneAt: this.doneAt };
  }

  /** Starts the API, prints the listening line, then consumes the log in the background. */
  async start(): Promise<string> {
    this.server = await startJsonServer(async (req) => {
      if (req.method !== "GET") throw new HttpError(405, `${req.method} ${req.path} is not part of the bootstrap instance API; expected GET.`);
      if (req.path === "/v1/health") return { status: 200, body: { ok: true, pid: process.pid, state: this.state } };
      if (req.path === "/v1/progress") {
        const after = Number(req.query.get("after") ?? "-1");
        const waitMs = Math.min(Math.max(Number(req.query.get("waitMs") ?? "0") || 0, 0), 60_000);
        if (!(this.position > after || this.terminal()) && waitMs > 0) await this.waitChange(waitMs, req.closed, after);
        return { status: 200, body: this.progress() };
      }
      throw new HttpError(404, `GET ${req.path} is not part of the bootstrap instance API (docs/contracts.md).`);
    }, this.opts.listen.port, this.opts.listen.host);
    this.opts.print(`${LISTENING_PREFIX}${this.server.url}`);
    void this.consume();
    return this.server.url;
  }

  /** Stops serving. */
  async close(): Promise<void> {
    // From SIGTERM on, no new side effect starts, and those in flight end before the instance does (docs/contracts.md, Lifecycle).
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inflight.values()]), new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    await this.server?.close();
  }

  private terminal(): boolean {
    return this.state === "done" || this.state === "failed";
  }

  private waitChange(waitMs: number, closed: AbortSignal, after: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        closed.removeEventListener("abort", done);
        resolve();
      }
      closed.addEventListener("abort", done, { once: true });
      const check = () => {
        if (self.position > after || self.terminal()) done();
        else self.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private advance(position: number): void {
    this.position = position;
    if (position >= this.faultPosition) this.injectFault();
    if (position === this.lastPosition && this.state === "consuming") {
      this.state = "done";
      this.doneAt = Date.now();
    }
    this.notify();
  }

  private injectFault(): void {
    const fault = this.opts.fault!;
    this.faultPosition = Infinity;
    if (fault.kind === "crash") this.opts.crash();
    if (fault.kind === "fail") this.fail(`Injected failure at position ${this.position} of ${this.lastPosition} (${INSTANCE_FAULT_ENV}).`);
    if (fault.kind === "hang") this.hung = true;
  }

  private fail(message: string): void {
    if (this.terminal()) return;
    this.errors.push(message);
    this.state = "failed";
    this.notify();
  }

  private runner(url: string): RunnerClient {
    let c = this.runners.get(url);
    if (!c) this.runners.set(url, (c = httpRunnerClient(url, this.credential, this.opts.lease)));
    return c;
  }

  /** Calls `fn` up to 3 times while the host is unreachable; other errors are final. */
  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ContractCallError) || !err.unreachable || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async apply(event: BootstrapEvent, position: number): Promise<void> {
    const b = this.opts.binding;
    if (event.kind === "CreateStream") {
      if (b.eventStore.kind !== "local") {
        throw new Error(`line ${position} CreateStream ${event.gid}: this SpiveProdBootstrap double writes streams only to a local event store; the binding gives a ${b.eventStore.kind} store (set spive:bootstrap.command to the real SpiveProdBootstrap image).`);
      }
      const url = b.eventStore.url;
      await this.retry(() => httpEventStoreClient(url, this.credential).createStream(event.gid, { store: event.store, durable: event.durable }));
    } else if (event.kind === "CreateInstance") {
      const host = hostForInstance(b, event.zone, event.id);
      if (!host) throw new Error(`line ${position} CreateInstance ${event.id}: no runner host in the binding serves zone ${event.zone}.`);
      await this.retry(() => this.runner(host.url).start(event.id, { process: event.process, zone: event.zone, args: [...(event.args ?? [])] }));
    }
  }

  private async consume(): Promise<void> {
    try {
      if (this.opts.logSha256) {
        const digest = await sha256OfFile(this.opts.logFile);
        if (digest !== this.opts.logSha256) throw new Error(`The log ${this.opts.logFile} has sha256 ${digest}; the driver validated and pinned ${this.opts.logSha256}. Nothing was consumed.`);
      }
      this.lastPosition = countLines(this.opts.logFile);
      if (this.opts.fault) this.faultPosition = faultPosition(this.opts.fault.fraction, this.lastPosition);
      this.state = "consuming";
      this.notify();
      // CreateInstance effects run up to INSTANCE_CONCURRENCY at a time; the
      // reported position is the end of the prefix whose effects are all done.
      const inflight = this.inflight;
      const doneSet = new Set<number>();
      let next = 1;
      const settle = () => {
        while (doneSet.has(next) && !this.hung && !this.terminal()) {
          doneSet.delete(next);
          this.advance(next);
          next++;
        }
      };
      for await (const { position, event } of readLogEvents(this.opts.logFile)) {
        if (this.terminal() || this.hung || this.closing) return;
        const p = this.apply(event, position).then(
          () => {
            inflight.delete(position);
            doneSet.add(position);
          },
          (err: unknown) => {
            inflight.delete(position);
            this.fail(`line ${position} ${event.kind}: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
        inflight.set(position, p);
        if (event.kind !== "CreateInstance") await Promise.all(inflight.values());
        else if (inflight.size >= INSTANCE_CONCURRENCY) await Promise.race(inflight.values());
        settle();
      }
      await Promise.all(inflight.values());
      settle();
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }
}

/** Counts the lines of a file (its last position), reading it in chunks. */
export function countLines(file: string): number {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(256 * 1024);
    let lines = 0;
    let last = 10;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
      last = buf[n - 1]!;
    }
    return last === 10 ? lines : lines + 1;
  } finally {
    fs.closeSync(fd);
  }
}

/** The position a fault at `fraction` of a log ending at `lastPosition` fires at: ⌊fraction × last⌋, at least 1 (99 % of a 20-event log is position 19, before its End). */
export function faultPosition(fraction: number, lastPosition: number): number {
  return Math.max(1, Math.floor(fraction * lastPosition));
}
