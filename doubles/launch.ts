import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../config/load";
import { listeningPrefix } from "./serve";

/**
 * Starts a local double as its own detached process (its own process group,
 * so stopping it stops every instance it runs) and resolves once it prints
 * its listening line. Used by dev-0, the tests and the benchmark.
 */

/** The entry file of the doubles. */
export const SERVE_ENTRY = path.join(REPO_ROOT, "doubles", "bin", "serve.ts");

/** A launched double. */
export interface LaunchedDouble {
  /** Its role. */
  readonly role: "runner-host" | "event-store";
  /** Its process id (also its process group id). */
  readonly pid: number;
  /** Its base URL. */
  readonly url: string;
}

/** Options of a launch. */
export interface LaunchOptions {
  /** Where its stderr goes (appended); default: discarded. */
  readonly logFile?: string;
  /** Give up after this many milliseconds (default 20 s). */
  readonly timeoutMs?: number;
  /** Extra environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Launches `serve.ts <role> …args` and resolves with its pid and URL; kills it if it does not come up in time. */
export function launchDouble(role: LaunchedDouble["role"], args: readonly string[], opts: LaunchOptions = {}): Promise<LaunchedDouble> {
  const errFd = opts.logFile ? fs.openSync(opts.logFile, "a") : "ignore";
  const child = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), SERVE_ENTRY, role, ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", errFd],
    env: { ...process.env, ...opts.env },
  });
  if (typeof errFd === "number") fs.closeSync(errFd);
  const prefix = listeningPrefix(role);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      fail(new Error(`The ${role} double (pid ${child.pid}) did not report that it listens within ${timeoutMs} ms.`));
      killGroup(child.pid!, "SIGKILL");
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.stdout!.destroy();
      reject(err);
    };
    child.once("error", (err) => fail(new Error(`Cannot start the ${role} double: ${err.message}.`)));
    child.once("exit", (code, signal) => fail(new Error(`The ${role} double exited (${signal ?? `code ${code}`}) before it listened${opts.logFile ? `: ${lastLine(opts.logFile)} (see ${opts.logFile})` : ""}.`)));
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith(prefix));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout!.destroy();
      child.unref();
      resolve({ role, pid: child.pid!, url: line.slice(prefix.length).trim() });
    });
  });
}

/** The last non-empty line of a log file (what a double said before it died), or a note that there is none. */
function lastLine(file: string): string {
  try {
    const lines = fs.readFileSync(file, "utf8").trim().split("\n");
    return lines[lines.length - 1]!.trim() || "it said nothing";
  } catch {
    return "it said nothing";
  }
}

/** Sends `signal` to the process group of `pid` (falls back to the process); false when it is already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves once the leader is gone (bounded). */
export async function stopGroup(pid: number, graceMs = 5_000): Promise<void> {
  if (!killGroup(pid, "SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (isAlive(pid)) {
    killGroup(pid, "SIGKILL");
    const hard = Date.now() + 2_000;
    while (isAlive(pid) && Date.now() < hard) await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether `pid` is alive and is one of our doubles. On Linux the command line
 * must name doubles/bin/serve.ts, so a pid recorded before a reboot and since
 * reused by another program is never signalled; elsewhere, liveness only.
 */
export function isOurDouble(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(SERVE_ENTRY);
  } catch {
    return process.platform !== "linux";
  }
}
