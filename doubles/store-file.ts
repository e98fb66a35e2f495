import * as fs from "node:fs";
import * as path from "node:path";
import { StoredStream } from "../bootstrap/contracts/event-store-api";

/**
 * The event store double's file handling: reading `streams.jsonl` with every
 * error naming the file and line, and the durable write probe.
 */

/**
 * Parses the text of a streams file: one StoredStream per line. A torn last
 * line (the store died mid-append, never acknowledged) is dropped; any other
 * bad line throws a sentence naming `file:line`, what was expected and what
 * was found. The first record of a gid wins.
 */
export function parseStreamsFile(file: string, text: string): Map<string, StoredStream> {
  const streams = new Map<string, StoredStream>();
  const lines = text.split("\n");
  const isLast = (i: number) => lines.slice(i + 1).every((l) => l.trim() === "");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isLast(i)) return;
      throw new Error(`${file}:${i + 1}: expected one JSON stream per line, got ${JSON.stringify(line.slice(0, 60))}; repair or remove the line (the store keeps its streams there).`);
    }
    const parsed = StoredStream.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}:${i + 1}: expected a stream { gid, store, durable, createdAt }, got ${JSON.stringify(line.slice(0, 60))} (${issue.path.join(".") || "the line"}: ${issue.message}); repair or remove the line.`);
    }
    if (!streams.has(parsed.data.gid)) streams.set(parsed.data.gid, parsed.data);
  });
  return streams;
}

/** Writes, fsyncs and removes a probe file in `dir`; throws a sentence naming the folder when it cannot. */
export function probeWritable(dir: string): void {
  const file = path.join(dir, `.probe-${process.pid}-${Date.now()}`);
  try {
    const fd = fs.openSync(file, "wx", 0o600);
    try {
      fs.writeSync(fd, "probe\n");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(file, { force: true });
  } catch (err) {
    throw new Error(`The event store cannot write to ${dir}: ${(err as Error).message}.`);
  }
}
