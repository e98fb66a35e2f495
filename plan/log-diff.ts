import { decodeLine, parseLine } from "../bootstrap/log/core";
import { formatLocation } from "../bootstrap/log/errors";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from "../bootstrap/log/lines";
import type { BootstrapEvent } from "../bootstrap/log/schema";
import { checkShape } from "../bootstrap/log/shape";
import { canonicalize, flatten, type JsonValue } from "./snapshot";

/**
 * The event-level diff of two versions of the bootstrap log. Events are
 * matched by identity, never by line number: an instance by its id, a stream
 * by its gid, a type, gateway or process by its name, the Header and End by
 * their kind. So inserting a line reports one added event, not a shifted
 * tail. Lines are read with the bootstrap log's own line splitter and shape
 * checks; a line that is not a well-formed event is reported, not fatal.
 */

/** The file name of the bootstrap log, used in messages. */
export const LOG_FILE_NAME = "SpiveProdBootstrap.jsonl";

/** One well-formed event of a log, with its identity and position. */
export interface KeyedEvent {
  /** The identity, e.g. `CreateInstance spive-prod0-europe-west1-b-0`, `CreateStream gid:prod0/inventory`, `Header`. */
  readonly key: string;
  /** The 1-based line number. */
  readonly line: number;
  /** The event. */
  readonly event: BootstrapEvent;
}

/** A log read leniently: its well-formed events and the lines that are not. */
export interface ParsedLog {
  /** Well-formed events in line order. */
  readonly events: readonly KeyedEvent[];
  /** One sentence per line that is not a well-formed event (`SpiveProdBootstrap.jsonl:7: …`). */
  readonly problems: readonly string[];
}

/** The identity of an event: its kind plus its id, gid or name (Header and End are singletons). */
export function eventIdentity(event: BootstrapEvent): string {
  switch (event.kind) {
    case "CreateInstance":
      return `${event.kind} ${event.id}`;
    case "CreateStream":
      return `${event.kind} ${event.gid}`;
    case "CreateType":
    case "CreateGateway":
    case "CreateProcess":
      return `${event.kind} ${event.name}`;
    default:
      return event.kind;
  }
}

/**
 * Reads a log's text leniently through the bootstrap log's line core: every
 * well-formed event keyed by identity (a repeated identity gets ` #2`, ` #3`
 * so nothing is lost), every other non-blank line reported as a problem.
 */
export function parseLogText(text: string, file: string = LOG_FILE_NAME): ParsedLog {
  const events: KeyedEvent[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const splitter = new LineSplitter((bytes, line, length) => {
    const decoded = decodeLine(bytes, line, length, DEFAULT_MAX_LINE_BYTES);
    if (decoded.text === null || decoded.problems.length > 0) {
      for (const p of decoded.problems) problems.push(`${formatLocation({ file, ...p })}: ${p.message}`);
      return;
    }
    const parsed = parseLine(decoded.text, line);
    if (parsed.problem) {
      if (!parsed.blank) problems.push(`${formatLocation({ file, ...parsed.problem })}: ${parsed.problem.message}`);
      return;
    }
    const shape = checkShape(parsed.value, line);
    if (!shape.event) {
      for (const p of shape.problems) problems.push(`${formatLocation({ file, ...p })}: ${p.message}`);
      return;
    }
    const identity = eventIdentity(shape.event);
    const n = (seen.get(identity) ?? 0) + 1;
    seen.set(identity, n);
    events.push({ key: n === 1 ? identity : `${identity} #${n}`, line, event: shape.event });
  }, DEFAULT_MAX_LINE_BYTES);
  splitter.push(Buffer.from(text, "utf8"));
  splitter.end();
  return { events, problems };
}

/** One field of an event that differs between the two logs. */
export interface EventFieldChange {
  /** The field path inside the event, e.g. `args[1]` or `extension.version`. */
  readonly path: string;
  /** The base value; absent when the field is new. */
  readonly before?: JsonValue;
  /** The head value; absent when the field is gone. */
  readonly after?: JsonValue;
}

/** An event present in both logs whose fields differ. */
export interface EventChange {
  /** The identity. */
  readonly key: string;
  /** Its line in the base log. */
  readonly beforeLine: number;
  /** Its line in the head log. */
  readonly afterLine: number;
  /** The differing fields. */
  readonly fields: readonly EventFieldChange[];
}

/** An event in both logs whose position relative to the other common events changed. */
export interface EventMove {
  /** The identity. */
  readonly key: string;
  /** Its line in the base log. */
  readonly beforeLine: number;
  /** Its line in the head log. */
  readonly afterLine: number;
}

/** The event-level diff of two logs. */
export interface LogDiff {
  /** The log's file name, relative to the repository root (the head's, when the revisions differ). */
  readonly file: string;
  /** Whether the base has the log at all. */
  readonly baseExists: boolean;
  /** Whether the head has the log at all. */
  readonly headExists: boolean;
  /** Events only in the head, in head order. */
  readonly added: readonly KeyedEvent[];
  /** Events only in the base, in base order. */
  readonly removed: readonly KeyedEvent[];
  /** Events in both with differing fields, in head order. */
  readonly changed: readonly EventChange[];
  /** Events in both that moved relative to the other common events (the order of the log matters: references point backwards). */
  readonly moved: readonly EventMove[];
  /** How many events are in both, identical and in place. */
  readonly unchanged: number;
  /** Lines of the base log that are not well-formed events. */
  readonly baseProblems: readonly string[];
  /** Lines of the head log that are not well-formed events. */
  readonly headProblems: readonly string[];
}

function fieldChanges(before: BootstrapEvent, after: BootstrapEvent): EventFieldChange[] {
  const base = new Map(flatten(canonicalize(before)).map((e) => [e.path, e.value]));
  const out: EventFieldChange[] = [];
  for (const { path, value } of flatten(canonicalize(after))) {
    if (!base.has(path)) out.push({ path, after: value });
    else if (JSON.stringify(base.get(path)) !== JSON.stringify(value)) out.push({ path, before: base.get(path)!, after: value });
    base.delete(path);
  }
  for (const [path, value] of base) out.push({ path, before: value });
  return out;
}

/** Longest common subsequence of two key sequences, as a set of keys (the events that kept their relative order). */
function stableKeys(a: readonly string[], b: readonly string[]): Set<string> {
  const n = a.length;
  const m = b.length;
  // An O(n·m) table is fine for logs of a few thousand events; past that the
  // check falls back to keeping only events at the same index in both orders.
  if (n * m > 16_000_000) return new Set(a.filter((k, i) => b[i] === k));
  const table: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const keep = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      keep.add(a[i]!);
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return keep;
}

/** Diffs two versions of the bootstrap log; `undefined` text means the revision has no log. */
export function diffLogs(baseText: string | undefined, headText: string | undefined, file: string = LOG_FILE_NAME): LogDiff {
  const base = baseText === undefined ? { events: [], problems: [] } : parseLogText(baseText, file);
  const head = headText === undefined ? { events: [], problems: [] } : parseLogText(headText, file);
  const before = new Map(base.events.map((e) => [e.key, e]));
  const after = new Map(head.events.map((e) => [e.key, e]));
  const added = head.events.filter((e) => !before.has(e.key));
  const removed = base.events.filter((e) => !after.has(e.key));
  const commonBase = base.events.filter((e) => after.has(e.key)).map((e) => e.key);
  const commonHead = head.events.filter((e) => before.has(e.key)).map((e) => e.key);
  const inOrder = stableKeys(commonBase, commonHead);
  const changed: EventChange[] = [];
  const moved: EventMove[] = [];
  let unchanged = 0;
  for (const e of head.events) {
    const old = before.get(e.key);
    if (!old) continue;
    const fields = fieldChanges(old.event, e.event);
    if (fields.length > 0) changed.push({ key: e.key, beforeLine: old.line, afterLine: e.line, fields });
    if (!inOrder.has(e.key)) moved.push({ key: e.key, beforeLine: old.line, afterLine: e.line });
    if (fields.length === 0 && inOrder.has(e.key)) unchanged++;
  }
  return {
    file,
    baseExists: baseText !== undefined,
    headExists: headText !== undefined,
    added,
    removed,
    changed,
    moved,
    unchanged,
    baseProblems: base.problems,
    headProblems: head.problems,
  };
}

/** Whether two logs have no event-level difference (and neither has unreadable lines). */
export function isEmptyLogDiff(d: LogDiff): boolean {
  return (
    d.baseExists === d.headExists &&
    d.added.length + d.removed.length + d.changed.length + d.moved.length + d.baseProblems.length + d.headProblems.length === 0
  );
}
