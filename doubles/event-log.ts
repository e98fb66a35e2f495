import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { AppendRequest, type EventList } from "../bootstrap/contracts/event-store-api";
import { HttpError } from "./http-server";

/**
 * The events of the local event store double: every stream's events in
 * position order, kept in `<dir>/events.jsonl` (appended and fsynced before
 * the answer). An append is conditional on the stream's last position
 * (docs/contracts.md, "Appends"), and is decided and made durable in one
 * synchronous step of the double's single event loop, so concurrent writers
 * from both zones are linearized: each position is taken exactly once and
 * positions have no gaps. This is the behaviour prod-0's Spanner store gives
 * with one read-write transaction per append.
 */

/** The file the events are kept in. */
export const EVENTS_FILE = "events.jsonl";

const StoredLine = z.strictObject({ gid: z.string(), position: z.number().int().min(1), event: z.record(z.string(), z.unknown()), appendedAt: z.string() });
type StoredLine = z.infer<typeof StoredLine>;

/** Every stream's events, durable in `<dir>/events.jsonl`. */
export class EventLog {
  private readonly streams = new Map<string, StoredLine[]>();
  private readonly file: string;

  /** Loads `<dir>/events.jsonl`; a torn last line (never acknowledged) is dropped, any other bad line names the file and line. */
  constructor(dir: string) {
    this.file = path.join(dir, EVENTS_FILE);
    if (!fs.existsSync(this.file)) return;
    const lines = fs.readFileSync(this.file, "utf8").split("\n");
    const last = lines.length - 1 - [...lines].reverse().findIndex((l) => l.trim() !== "");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        if (i === last) return;
        throw new Error(`${this.file}:${i + 1}: expected one JSON event per line, got ${JSON.stringify(line.slice(0, 60))}.`);
      }
      const res = StoredLine.safeParse(parsed);
      if (!res.success) throw new Error(`${this.file}:${i + 1}: expected { gid, position, event, appendedAt }, got ${JSON.stringify(line.slice(0, 60))}.`);
      const events = this.streams.get(res.data.gid) ?? [];
      if (res.data.position !== events.length + 1) throw new Error(`${this.file}:${i + 1}: expected position ${events.length + 1} of ${res.data.gid}, got ${res.data.position}; the file was edited.`);
      events.push(res.data);
      this.streams.set(res.data.gid, events);
    });
  }

  /** The last position of `gid` (0 when it has no event). */
  lastPosition(gid: string): number {
    return this.streams.get(gid)?.length ?? 0;
  }

  /**
   * Appends `body` (an AppendRequest) to `gid` if its last position is the
   * expected one: 201 with the new position, else 409 naming the actual one.
   * Synchronous from the check to the fsync: nothing interleaves.
   */
  append(gid: string, body: unknown): { status: number; body: unknown } {
    const parsed = AppendRequest.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `POST /v1/streams/${gid}/events: ${parsed.error.issues[0]!.path.join(".") || "body"}: ${parsed.error.issues[0]!.message}; expected { expectedPosition, event }.`);
    const have = this.lastPosition(gid);
    if (parsed.data.expectedPosition !== have) {
      throw new HttpError(409, `Stream ${gid} is at position ${have}; the append expected ${parsed.data.expectedPosition}. Read the stream and retry at position ${have}.`);
    }
    const line: StoredLine = { gid, position: have + 1, event: parsed.data.event, appendedAt: new Date().toISOString() };
    const fd = fs.openSync(this.file, "a");
    try {
      fs.writeSync(fd, `${JSON.stringify(line)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const events = this.streams.get(gid) ?? [];
    events.push(line);
    this.streams.set(gid, events);
    return { status: 201, body: { gid, position: line.position } };
  }

  /** The events of `gid` past position `after`. */
  list(gid: string, after: number): EventList {
    const events = this.streams.get(gid) ?? [];
    return { gid, lastPosition: events.length, events: events.slice(Math.max(0, after)).map(({ position, event, appendedAt }) => ({ position, event, appendedAt })) };
  }
}
