import { spawn, type ChildProcess } from "node:child_process";
import type { Authenticator } from "../bootstrap/contracts/auth";
import { diesWithParent } from "../bootstrap/driver/parent-death";
import { StartInstanceRequest, type RunnerInstance } from "../bootstrap/contracts/runner-api";
import { LeaseTable } from "./lease";
import { decodeSegment, HttpError, startJsonServer, type JsonRequest, type StartedServer } from "./http-server";

/**
 * The basic runner host double: serves the runner API (docs/contracts.md) on
 * loopback and runs every instance as a real child process. Stop and wipe
 * kill the processes (SIGTERM, then SIGKILL after a grace period) and wait
 * for them to exit. Fault-injection knobs make the host refuse instances or
 * die in the middle of a wipe.
 */

/** The command every instance runs by default: a long sleep (a real, cheap process; its spec comes through the environment). */
export const DEFAULT_INSTANCE_COMMAND: readonly string[] = ["sleep", "2147483647"];



/** Fault injection for tests and benchmarks. */
export interface RunnerFaults {
  /** Instance ids the host refuses to start (403); `*` refuses every instance. */
  readonly refuse?: readonly string[];
  /** On a wipe of a host that holds instances, stop one of them and then die (the host and its instances are killed). */
  readonly dieOnWipe?: boolean;
  /** Delay every wipe by this many milliseconds (a slow host). */
  readonly wipeDelayMs?: number;
}

/** Options of a runner host double. */
export interface RunnerHostOptions {
  /** The host's stable name. */
  readonly name: string;
  /** The zones it serves. */
  readonly zones: readonly string[];
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /**
   * Start instances so the kernel kills them when this process dies, even by
   * SIGKILL (`setpriv --pdeathsig`, about 5 ms more per start). For doubles
   * living inside another program's process, such as the dry replay's inside
   * the driver; a standalone double stops its instances when it is stopped.
   */
  readonly instancesDieWithProcess?: boolean;
  /** The command each instance runs (default: DEFAULT_INSTANCE_COMMAND). */
  readonly instanceCommand?: readonly string[];
  /** Milliseconds between SIGTERM and SIGKILL when stopping an instance (default 2000). */
  readonly stopGraceMs?: number;
  /** Fault injection. */
  readonly faults?: RunnerFaults;
  /** What dying means (dieOnWipe); the standalone host kills its process group. Default: close the server. */
  readonly die?: () => void;
  /** Decides on every state-changing call (PUT, DELETE): the installation token, or Google ID tokens (docs/contracts.md, Authentication). */
  readonly auth: Authenticator;
}

interface Slot {
  info: RunnerInstance;
  child: ChildProcess;
  exited: Promise<void>;
}

/** A running runner host double. */
export class RunnerHostDouble {
  private readonly slots = new Map<string, Slot>();
  private server: StartedServer | undefined;
  private served = 0;
  /** The bootstrap lease this host grants (one run at a time). */
  readonly lease: LeaseTable;

  constructor(private readonly opts: RunnerHostOptions) {
    this.lease = new LeaseTable(opts.name);
  }

  /** How many API requests the host has received (tests prove that previews make none). */
  get requests(): number {
    return this.served;
  }

  /** The base URL once started. */
  get url(): string {
    if (!this.server) throw new Error(`Runner host double ${this.opts.name} is not started; call start() first.`);
    return this.server.url;
  }

  /** The pids of every instance process still alive. */
  livePids(): number[] {
    return [...this.slots.values()].filter((s) => s.info.state === "running" && s.info.pid !== null).map((s) => s.info.pid!);
  }

  /** Starts serving; resolves with the base URL. */
  /** Set once the double is going away: a start request racing the shutdown must not leave an orphan. */
  private closing = false;

  async start(): Promise<string> {
    this.server = await startJsonServer((req) => this.handle(req), this.opts.port ?? 0, this.opts.host ?? "127.0.0.1", { authenticator: this.opts.auth, realm: "spive-runner" });
    return this.server.url;
  }

  /** Stops every instance and the server; from the first moment on, it starts no instance (503). */
  async close(): Promise<void> {
    this.closing = true;
    await this.wipeAll();
    await this.server?.close();
  }

  /** Kills every instance at once with SIGKILL (the host is going away); resolves when they have exited (at most 2 s). */
  async killAllNow(): Promise<void> {
    this.closing = true;
    const slots = [...this.slots.values()].filter((s) => s.info.state === "running");
    for (const s of slots) s.child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(slots.map((s) => s.exited)), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
    clearTimeout(timer);
  }

  private list(): RunnerInstance[] {
    return [...this.slots.values()].map((s) => ({ ...s.info })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async handle(req: JsonRequest) {
    this.served++;
    const name = this.opts.name;
    if (req.path === "/v1/health" && req.method === "GET") {
      return { status: 200, body: { ok: true, host: name, zones: [...this.opts.zones], instances: this.slots.size } };
    }
    const leased = this.lease.handle(req);
    if (leased) return leased;
    // Every state-changing call must belong to the run holding the lease, if one does.
    if (req.method !== "GET") this.lease.admit(req);
    if (req.path === "/v1/instances") {
      if (req.method === "GET") return { status: 200, body: { host: name, instances: this.list() } };
      if (req.method === "DELETE") return this.wipe();
      throw new HttpError(405, `${req.method} ${req.path} is not part of the runner API; expected GET or DELETE.`);
    }
    const m = /^\/v1\/instances\/([^/]+)$/.exec(req.path);
    if (m) {
      const id = decodeSegment(m[1]!);
      if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(id)) {
        throw new HttpError(400, `Instance id ${JSON.stringify(id)} is not a DNS label; expected lowercase letters, digits and hyphens.`);
      }
      if (req.method === "PUT") return this.startInstance(id, req.body);
      if (req.method === "DELETE") {
        const deleted = await this.stopInstance(id);
        return { status: 200, body: { id, deleted } };
      }
      throw new HttpError(405, `${req.method} ${req.path} is not part of the runner API; expected PUT or DELETE.`);
    }
    throw new HttpError(404, `${req.method} ${req.path} is not part of the runner API (docs/contracts.md).`);
  }

  private startInstance(id: string, body: unknown) {
    const parsed = StartInstanceRequest.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new HttpError(400, `PUT /v1/instances/${id}: ${i.path.join(".") || "body"}: ${i.message}.`);
    }
    const spec = parsed.data;
    if (this.closing) throw new HttpError(503, `Runner host ${this.opts.name} is shutting down; instance ${id} was not started.`);
    const refuse = this.opts.faults?.refuse ?? [];
    if (refuse.includes("*") || refuse.includes(id)) {
      throw new HttpError(403, `Runner host ${this.opts.name} refuses instance ${id} (fault injection: --refuse).`);
    }
    if (!this.opts.zones.includes(spec.zone)) {
      throw new HttpError(422, `Runner host ${this.opts.name} serves zone${this.opts.zones.length > 1 ? "s" : ""} ${this.opts.zones.join(", ")}; instance ${id} asks for zone ${spec.zone}.`);
    }
    const existing = this.slots.get(id);
    if (existing && existing.info.state === "running") {
      const same = existing.info.process === spec.process && existing.info.zone === spec.zone && JSON.stringify(existing.info.args) === JSON.stringify(spec.args);
      if (!same) throw new HttpError(409, `Instance ${id} already runs on ${this.opts.name} with another spec; stop it first.`);
      return { status: 200, body: { created: false, instance: { ...existing.info } } };
    }
    const command = this.opts.instanceCommand ?? DEFAULT_INSTANCE_COMMAND;
    const [cmd, ...cmdArgs] = this.opts.instancesDieWithProcess ? diesWithParent(command) : command;
    const child = spawn(cmd!, cmdArgs, {
      stdio: "ignore",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        SPIVE_INSTANCE_ID: id,
        SPIVE_PROCESS: spec.process,
        SPIVE_ZONE: spec.zone,
        SPIVE_INSTANCE_ARGS: JSON.stringify(spec.args),
        SPIVE_RUNNER_HOST: this.opts.name,
      },
    });
    const info: RunnerInstance = {
      id,
      process: spec.process,
      zone: spec.zone,
      args: [...spec.args],
      host: this.opts.name,
      state: "running",
      pid: child.pid ?? null,
      startedAt: new Date().toISOString(),
      exitCode: null,
    };
    const exited = new Promise<void>((resolve) => {
      child.once("exit", (code) => {
        info.state = "exited";
        info.exitCode = code;
        resolve();
      });
      child.once("error", () => {
        info.state = "exited";
        info.pid = null;
        resolve();
      });
    });
    this.slots.set(id, { info, child, exited });
    return { status: 201, body: { created: true, instance: { ...info } } };
  }

  private async stopInstance(id: string): Promise<boolean> {
    const slot = this.slots.get(id);
    if (!slot) return false;
    if (slot.info.state === "running") {
      slot.child.kill("SIGTERM");
      const grace = this.opts.stopGraceMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        slot.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        slot.child.kill("SIGKILL");
        await slot.exited;
      }
    }
    this.slots.delete(id);
    return true;
  }

  private async wipeAll(): Promise<number> {
    const ids = [...this.slots.keys()];
    await Promise.all(ids.map((id) => this.stopInstance(id)));
    return ids.length;
  }

  private async wipe() {
    const delay = this.opts.faults?.wipeDelayMs ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.opts.faults?.dieOnWipe && this.slots.size > 0) {
      const first = this.slots.keys().next();
      if (!first.done) await this.stopInstance(first.value);
      (this.opts.die ?? (() => void this.server?.close()))();
      return new Promise<never>(() => undefined);
    }
    const deleted = await this.wipeAll();
    return { status: 200, body: { host: this.opts.name, deleted, remaining: this.slots.size } };
  }
}
