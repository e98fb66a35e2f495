import { spawn, type ChildProcess } from "node:child_process";
import { diesWithParent } from "./parent-death";
import { LISTENING_PREFIX } from "../contracts/instance-api";

/**
 * The SpiveProdBootstrap instance as a process of the deployment container:
 * started from the configured command in its own process group, found
 * through its listening line, and stopped with SIGTERM to the whole group
 * (then SIGKILL after the grace period), always.
 */

/** How an instance process ended. */
export interface InstanceExit {
  /** The exit code, or null when killed by a signal. */
  readonly code: number | null;
  /** The signal that killed it, if any. */
  readonly signal: NodeJS.Signals | null;
}

/** What stopping the instance took. */
export interface StopReport {
  /** Epoch ms when SIGTERM was sent (null when it had already exited). */
  readonly sigtermAt: number | null;
  /** Epoch ms when it was gone. */
  readonly exitedAt: number;
  /** True when it ignored SIGTERM and was killed. */
  readonly killed: boolean;
}

/** Splits a configured command into its words (no shell: no quoting, no expansion); `node` is this Node. */
export function parseCommand(command: string): string[] {
  const words = command.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new Error(`spive:bootstrap.command: expected a command such as "node bin/spive.js bootstrap instance", got "${command}".`);
  if (words[0] === "node") words[0] = process.execPath;
  return words;
}

/** A started instance process. */
export class InstanceProcess {
  /** Resolves with the instance API URL once it prints its listening line; rejects if it exits first. */
  readonly ready: Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<InstanceExit>;
  private readonly child: ChildProcess;
  private exit: InstanceExit | undefined;
  private stderr = "";
  private stopping: Promise<StopReport> | undefined;

  /** Starts `command args…` in `cwd` with `env`, in its own process group, dying with this process. */
  constructor(command: readonly string[], args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
    // Its own process group (stopped as a whole), and killed by the kernel if the driver dies.
    const [cmd, ...rest] = diesWithParent([...command, ...args]);
    this.child = spawn(cmd!, rest, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stderr!.on("data", (c: Buffer) => {
      this.stderr = (this.stderr + c.toString("utf8")).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once("error", (err) => {
        this.stderr += err.message;
        this.exit = { code: 127, signal: null };
        resolve(this.exit);
      });
    });
    this.ready = new Promise<string>((resolve, reject) => {
      let out = "";
      this.child.stdout!.on("data", (c: Buffer) => {
        out += c.toString("utf8");
        const line = out.split("\n").find((l) => l.startsWith(LISTENING_PREFIX));
        if (line) resolve(line.slice(LISTENING_PREFIX.length).trim());
        if (out.length > 64_000) out = out.slice(-1000);
      });
      // "close" comes after every byte of stdout was read: an instance that printed its listening line and then died is ready (and fails the wait).
      this.child.once("close", () => {
        void this.exited.then((e) => reject(new Error(`the bootstrap instance exited (${describeExit(e)}) before it listened${this.stderrTail() ? `: ${this.stderrTail()}` : ""}`)));
      });
    });
    this.ready.catch(() => undefined);
  }

  /** The process id (also its process group id). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it exited, once it has. */
  get exitInfo(): InstanceExit | undefined {
    return this.exit;
  }

  /** The last line it wrote to stderr. */
  stderrTail(): string {
    const lines = this.stderr.trim().split("\n");
    return lines[lines.length - 1]!.trim();
  }

  /**
   * Stops the whole process group within `budgetMs`: SIGTERM, then SIGKILL
   * when half the budget (at most 5 s) is left. Resolves once the process is
   * gone, or rejects if even SIGKILL did not end it. Safe to call many times.
   */
  stop(budgetMs: number): Promise<StopReport> {
    this.stopping ??= this.doStop(budgetMs);
    return this.stopping;
  }

  private async doStop(budgetMs: number): Promise<StopReport> {
    const killWaitMs = Math.min(5_000, budgetMs / 2);
    const graceMs = budgetMs - killWaitMs;
    if (this.exit || this.child.pid === undefined) {
      this.killGroup("SIGKILL");
      return { sigtermAt: null, exitedAt: Date.now(), killed: false };
    }
    const sigtermAt = Date.now();
    this.killGroup("SIGTERM");
    let killed = false;
    if (!(await within(this.exited, graceMs))) {
      killed = true;
      this.killGroup("SIGKILL");
      if (!(await within(this.exited, killWaitMs))) throw new Error(`the bootstrap instance (pid ${this.child.pid}) survived SIGKILL for ${killWaitMs} ms`);
    }
    // Anything left in its process group goes with it.
    this.killGroup("SIGKILL");
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    return { sigtermAt, exitedAt: Date.now(), killed };
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

/** Describes how a process ended: `code 70` or `signal SIGKILL`. */
export function describeExit(e: InstanceExit): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

function within<T>(p: Promise<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(timer));
}
