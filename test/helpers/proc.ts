import { spawn } from "node:child_process";

/** What a child process printed and how it ended. */
export interface ProcResult {
  /** The exit code, or null when a signal ended it. */
  readonly status: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `run`. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill it (SIGKILL) after this many milliseconds; default 120 s. */
  readonly timeout?: number;
}

/**
 * Runs a command to completion without blocking the event loop. Tests must not
 * use spawnSync/execFileSync for long commands: a vitest worker whose event
 * loop is blocked for a minute misses its own RPC deadline and the run ends
 * with "Timeout calling onTaskUpdate" although every test passed.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeout ?? 120_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** `run`, rejecting with its stderr unless it exits 0; resolves with its stdout. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.signal ?? `code ${r.status}`}: ${r.stderr.trim()}`);
  return r.stdout;
}
