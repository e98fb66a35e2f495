import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Temporary folders of a bootstrap run (the pinned log, binding files, the
 * dry replay's event store) that say who owns them: each holds an owner file
 * with the creating process's pid and kernel start time. A run killed with
 * SIGKILL cannot remove its folders; the next run does (`sweepStaleTempDirs`),
 * once their owner is dead. Folders without an owner file are never touched.
 */

/** Every folder of a run starts with this. */
export const TEMP_DIR_PREFIX = "spive-";

/** The owner file inside an owned temporary folder. */
export const OWNER_FILE = ".spive-owner.json";

/** Who owns a temporary folder. */
export interface TempDirOwner {
  /** The creating process. */
  readonly pid: number;
  /** Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22), so a reused pid is not mistaken for the owner; null off Linux. */
  readonly startTicks: number | null;
  /** The machine (a shared /tmp on another machine is never swept from here). */
  readonly hostname: string;
}

/** The kernel start time of `pid` in clock ticks, or null when unknown (not Linux, or gone). */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Whether the process `owner` names is still alive (same pid, same start time). */
export function ownerAlive(owner: TempDirOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (owner.startTicks === null) return true;
  const now = processStartTicks(owner.pid);
  return now === null ? process.platform !== "linux" : now === owner.startTicks;
}

/** Creates `<tmp>/<prefix>XXXXXX` (mode 0700) owned by this process. */
export function makeOwnedTempDir(prefix: string, root: string = os.tmpdir()): string {
  if (!prefix.startsWith(TEMP_DIR_PREFIX)) throw new Error(`A bootstrap temporary folder must start with "${TEMP_DIR_PREFIX}"; got "${prefix}".`);
  const dir = fs.mkdtempSync(path.join(root, prefix));
  fs.chmodSync(dir, 0o700);
  const owner: TempDirOwner = { pid: process.pid, startTicks: processStartTicks(process.pid), hostname: os.hostname() };
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  return dir;
}

/**
 * Removes every owned `spive-*` folder in `root` whose owner (on this
 * machine) is dead; returns the folders removed. Best effort: a folder that
 * cannot be read or removed is left alone.
 */
export function sweepStaleTempDirs(root: string = os.tmpdir()): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(root).filter((e) => e.startsWith(TEMP_DIR_PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const dir = path.join(root, e);
    let owner: TempDirOwner;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as TempDirOwner;
    } catch {
      continue;
    }
    if (typeof owner.pid !== "number" || owner.hostname !== os.hostname() || ownerAlive(owner)) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Someone else's, or busy: left for a later sweep.
    }
  }
  return removed;
}
