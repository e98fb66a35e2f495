import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ownerAlive, processStartTicks } from "../bootstrap/driver/temp-dirs";
import { SERVE_ENTRY } from "./launch";

export { PidFile, pidDir, readPidFiles, writePidFile } from "./pid-file";

/**
 * How the local doubles keep track of themselves, whatever happens to
 * `state.json`: every double writes a pid file into `<target>/pids/` before
 * it serves; every double's command line names its target folder, so the
 * doubles of a target are found in /proc even when the folder was removed;
 * and starting or stopping a target holds a start lock, so two `npm start`
 * at once never leave two sets of doubles.
 */

/**
 * Every live double whose command line names `targetDir` (Linux: /proc; a
 * double is `node … doubles/bin/serve.ts <role> … --pid-file <targetDir>/pids/…`).
 * Empty elsewhere.
 */
export function findDoublesOf(targetDir: string): number[] {
  if (process.platform !== "linux") return [];
  const marker = `${path.resolve(targetDir)}${path.sep}`;
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      const args = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (args.includes(SERVE_ENTRY) && args.some((a) => a.startsWith(marker))) out.push(Number(e));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}

/** Who holds a start lock. */
interface LockHolder {
  readonly pid: number;
  readonly startTicks: number | null;
  readonly hostname: string;
  readonly since: string;
}

/** Options of `withStartLock`. */
export interface StartLockOptions {
  /** How long to wait for another start or stop to finish (default 120 s). */
  readonly waitMs?: number;
  /** Called once when it has to wait, with a sentence naming the holder. */
  readonly onWait?: (message: string) => void;
}

/**
 * Runs `work` holding `<targetDir>/start.lock` (created exclusively). A lock
 * whose holder is dead is taken over; a live holder is waited for (bounded,
 * with one progress line), then the call fails naming it.
 */
export async function withStartLock<T>(targetDir: string, what: string, work: () => Promise<T>, opts: StartLockOptions = {}): Promise<T> {
  fs.mkdirSync(targetDir, { recursive: true });
  const file = path.join(targetDir, "start.lock");
  const me: LockHolder = { pid: process.pid, startTicks: processStartTicks(process.pid), hostname: os.hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`Cannot create the start lock ${file}: ${(err as Error).message}.`);
    }
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
    } catch {
      holder = undefined;
    }
    const stale = !holder || typeof holder.pid !== "number" || (holder.hostname === os.hostname() && !ownerAlive({ pid: holder.pid, startTicks: holder.startTicks ?? null, hostname: holder.hostname }));
    if (stale) {
      // Its holder died (or it is torn): take it over.
      fs.rmSync(file, { force: true });
      continue;
    }
    const who = `pid ${holder!.pid} on ${holder!.hostname} since ${holder!.since}`;
    if (Date.now() > deadline) throw new Error(`Another start or stop of ${what} holds ${file} (${who}); waited ${Math.round((opts.waitMs ?? 120_000) / 1000)} s, so this one gives up. Try again when it is done.`);
    if (!told) opts.onWait?.(`${what}: waiting for another start or stop (${who}) to finish …`);
    told = true;
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await work();
  } finally {
    try {
      const now = JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
      if (now.pid === me.pid && now.since === me.since) fs.rmSync(file, { force: true });
    } catch {
      // Already gone (the folder was removed).
    }
  }
}

/**
 * Parses JSON text from `file`, throwing a sentence naming `file:line:column`
 * (an empty file is named as such) rather than the parser's bare message.
 */
export function parseJsonFile(file: string, text: string, expected: string, remedy: string): unknown {
  if (text.trim() === "") throw new Error(`${file}:1: expected ${expected}, got an empty file; ${remedy}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    let line = 1;
    let col = 1;
    const at = errorOffset(msg, text);
    for (let i = 0; i < Math.min(at, text.length); i++) {
      if (text[i] === "\n") {
        line++;
        col = 1;
      } else col++;
    }
    const lc = /\(line (\d+) column (\d+)\)/.exec(msg);
    if (lc) {
      line = Number(lc[1]);
      col = Number(lc[2]);
    }
    throw new Error(`${file}:${line}:${col}: expected ${expected}, got text that is not JSON (${msg.replace(/^(?:SyntaxError: )?/, "").replace(/\s*\n\s*/g, " ")}); ${remedy}`);
  }
}

/**
 * Where JSON.parse failed, from its message: `at position N` (end of input
 * and older engines), or V8's context excerpt (`…"<up to 10 chars before and
 * after>"… is not valid JSON`) located in the text; else the end of the text.
 */
function errorOffset(msg: string, text: string): number {
  const pos = /position (\d+)/.exec(msg);
  if (pos) return Number(pos[1]);
  const m = /(\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON/.exec(msg);
  if (m) {
    const start = text.indexOf(m[2]!);
    if (start >= 0) {
      if (m[1]) return start + 10;
      const token = /Unexpected token '(.)'/.exec(msg)?.[1];
      const at = token ? text.indexOf(token, start) : -1;
      if (at >= 0) return at;
    }
  }
  return text.length;
}
