import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/**
 * A local double's pid file (`<target>/pids/<name>.json`): written by the
 * double itself before it serves, so `dev-0/stop.sh` finds every double it
 * ever started even when `state.json` is missing or corrupt.
 */

/** A double's pid file (`<target>/pids/<name>.json`), written before it serves. */
export const PidFile = z.strictObject({
  role: z.enum(["runner-host", "event-store"]),
  name: z.string().min(1),
  pid: z.number().int().min(1).describe("Its process id, also its process group id (it is a group leader)."),
  pgid: z.number().int().min(1),
  startedAt: z.string(),
});

/** A pid file's content. */
export type PidFile = z.infer<typeof PidFile>;

/** The folder of a target's pid files. */
export function pidDir(targetDir: string): string {
  return path.join(targetDir, "pids");
}

/** Writes this process's pid file (atomically: a temporary file renamed). */
export function writePidFile(file: string, role: PidFile["role"], name: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const record: PidFile = { role, name, pid: process.pid, pgid: process.pid, startedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  fs.renameSync(tmp, file);
}

/** The pids recorded in a target's pid files (unreadable or foreign files are skipped and named in `problems`). */
export function readPidFiles(targetDir: string): { pids: PidFile[]; problems: string[] } {
  const dir = pidDir(targetDir);
  const pids: PidFile[] = [];
  const problems: string[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir).filter((e) => e.endsWith(".json"));
  } catch {
    return { pids, problems };
  }
  for (const e of entries) {
    const file = path.join(dir, e);
    try {
      const parsed = PidFile.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
      if (parsed.success) pids.push(parsed.data);
      else problems.push(`${file}:1: expected a double's pid file { role, name, pid, pgid, startedAt }, got something else (${parsed.error.issues[0]!.message}); skipped.`);
    } catch (err) {
      problems.push(`${file}:1: expected a double's pid file, got ${(err as Error).message}; skipped.`);
    }
  }
  return { pids, problems };
}

