import { isUtf8 } from "node:buffer";
import { escapeUnsafe } from "../contracts/text";
import { duplicateKeyProblems } from "./duplicate-keys";
import { describeValue, type LogError, type Problem } from "./errors";
import { Reduction, type BootstrapState, type ProcessRecord } from "./reducer";
import * as fastPath from "./fast-path";
import { EVENT_KINDS, isEventKind, type BootstrapEvent, type EventKind } from "./schema";
import { checkComplete, checkEvent, duplicateInstanceProblem, type Reference, type SemanticOptions } from "./semantics";
import { checkShape, type ShapeResult } from "./shape";

/**
 * The line-validator core shared by every entry point (file, buffer, events):
 * it takes one line at a time — as bytes, text or an already-parsed value —
 * checks encoding, JSON, shape, order and semantics, folds each event through
 * the reducer, and collects every error up to a cap. It holds no line after
 * it has been checked; only the reducer state and the errors grow.
 */

/** Options of a validation. */
export interface ValidatorOptions extends SemanticOptions {
  /** The file name used in errors, e.g. `SpiveProdBootstrap.jsonl`. */
  readonly file: string;
  /** Most errors kept (all are counted); default 100. */
  readonly maxErrors?: number;
}

/** What a validation found. */
export interface LogSummary {
  /** True when the log has no error at all. */
  readonly ok: boolean;
  /** The file name used in errors. */
  readonly file: string;
  /** The errors, in line order, at most `maxErrors`. */
  readonly errors: readonly LogError[];
  /** How many errors there are in total. */
  readonly errorCount: number;
  /** True when errors were left out because of the cap. */
  readonly truncated: boolean;
  /** How many lines the log has. */
  readonly lines: number;
  /** How many lines are well-formed events (all of them in a valid log). */
  readonly events: number;
  /** Well-formed events per kind. */
  readonly counts: Readonly<Record<EventKind, number>>;
  /**
   * The position the bootstrap instance must reach to have consumed the whole
   * log: the End event's position (its line) in a valid log; otherwise the
   * last line's number.
   */
  readonly lastPosition: number;
  /** What the log creates (the reducer state after its last event). */
  readonly state: BootstrapState;
}

/** The default cap on reported errors. */
export const DEFAULT_MAX_ERRORS = 100;

const BOM = [0xef, 0xbb, 0xbf];
const NAMESPACE_OF: Partial<Record<EventKind, { namespace: Reference["namespace"]; field: string }>> = {
  CreateType: { namespace: "type", field: "name" },
  CreateGateway: { namespace: "gateway", field: "name" },
  CreateStream: { namespace: "stream", field: "gid" },
  CreateProcess: { namespace: "process", field: "name" },
};

interface MutableError {
  file: string;
  line: number;
  kind?: string;
  path: string;
  message: string;
}

/** Finds the byte offset of the first invalid UTF-8 sequence in `b` (only called when `isUtf8` said no). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    if (!isUtf8(b.subarray(i, i + n))) return i;
    i += n;
  }
  return b.length;
}

/**
 * Decodes one line's bytes: reports an over-long line (`bytes` null), a BOM
 * (line 1) and invalid UTF-8; returns the text (BOM removed, invalid bytes
 * replaced) unless the line was too long to keep.
 */
export function decodeLine(bytes: Buffer | null, line: number, length: number, maxLineBytes: number): { text: string | null; problems: Problem[] } {
  if (bytes === null) {
    return { text: null, problems: [{ line, path: "", message: `expected a line of at most ${maxLineBytes} bytes, found ${length} bytes` }] };
  }
  const problems: Problem[] = [];
  let b = bytes;
  if (line === 1 && b.length >= 3 && b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2]) {
    problems.push({ line, path: "", message: "expected UTF-8 text without a byte-order mark, found a BOM (EF BB BF) at the start of the file" });
    b = b.subarray(3);
  }
  if (!isUtf8(b)) {
    problems.push({ line, path: "", message: `expected UTF-8 text, found an invalid byte sequence at byte ${firstInvalidUtf8(b) + 1} of the line` });
  }
  return { text: b.toString("utf8"), problems };
}

/** Parses one line's text as JSON; a blank line or a syntax error is a problem. */
export function parseLine(text: string, line: number): { value: unknown; problem?: undefined; blank?: undefined } | { value?: undefined; problem: Problem; blank: boolean } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    if (text.trim() === "") return { problem: { line, path: "", message: "expected one JSON event per line, found a blank line" }, blank: true };
    const reason = (err as Error).message;
    const short = reason.length > 160 ? `${reason.slice(0, 157)}...` : reason;
    return { problem: { line, path: "", message: `expected a JSON object (one event), found invalid JSON (${short})` }, blank: false };
  }
}

// A module-level copy: the compiled module reads imports through getters, too slow for a per-line path.
const fastEvent = fastPath.fastEvent;

/** "CreateType" → "a CreateType event"; other descriptions are kept as they are. */
function describeWhat(what: string): string {
  return isEventKind(what) ? `${/^[AEIOU]/.test(what) ? "an" : "a"} ${what} event` : what;
}

/** Validates a log one line at a time; see the module comment. */
export class LogValidator {
  private readonly reduction = new Reduction();
  private readonly errors: MutableError[] = [];
  private readonly pendingRefs: { error: MutableError; ref: Reference }[] = [];
  private readonly poisoned = new Set<string>();
  /** Processes an instance line meant for was rejected (malformed, or in an undeclared zone). */
  private readonly doubtfulProcesses = new Set<string>();
  /** True when a rejected instance line names no usable process (it could have been meant for any). */
  private anyProcessDoubtful = false;
  /** End-of-log errors that follow from other errors' state (reported after every root cause). */
  private readonly consequences = new Set<MutableError>();
  private readonly counts = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
  private readonly maxErrors: number;
  private errorCount = 0;
  private lines = 0;
  private events = 0;
  private endLine = 0;
  private afterEndReported = false;
  private lastWhat = "";

  private readonly zoneList: readonly string[] | undefined;
  private lastProcess: ProcessRecord | undefined;
  /** CreateInstance events taken by the hot path (the others are in `counts`). */
  private instances = 0;
  private readonly semantic: SemanticOptions;

  constructor(private readonly opts: ValidatorOptions) {
    this.maxErrors = Math.max(1, opts.maxErrors ?? DEFAULT_MAX_ERRORS);
    this.zoneList = opts.zones ? [...opts.zones] : undefined;
    this.semantic = { zones: opts.zones, zonesSource: opts.zonesSource, deferInstanceDuplicates: true };
  }

  private add(p: Problem, ref?: Reference): MutableError | undefined {
    this.errorCount++;
    if (this.errors.length >= this.maxErrors) return undefined;
    // Messages and paths echo the log's content: control and bidi characters are shown escaped, never obeyed.
    const path = escapeUnsafe(p.path);
    const message = escapeUnsafe(p.message);
    const e: MutableError = p.kind === undefined ? { file: this.opts.file, line: p.line, path, message } : { file: this.opts.file, line: p.line, kind: p.kind, path, message };
    this.errors.push(e);
    if (ref) this.pendingRefs.push({ error: e, ref });
    return e;
  }

  /**
   * Checks one line given as bytes (without its `\n`); `bytes` is null for a
   * line longer than the reader's cap, whose length is `length`.
   */
  pushBytes(bytes: Buffer | null, line: number, length: number, maxLineBytes: number): void {
    if (bytes !== null && line !== 1) {
      // Hot path: no BOM to look for; parse without allocating result objects. Decoding
      // replaces invalid UTF-8 with U+FFFD, so only a line containing one needs a check.
      const text = bytes.toString("utf8");
      if (text.indexOf("\uFFFD") !== -1 && !isUtf8(bytes)) {
        this.pushSlow(bytes, line, length, maxLineBytes);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        this.pushText(text, line);
        return;
      }
      this.checkDuplicates(text, value, line);
      this.pushValue(value, line);
      return;
    }
    this.pushSlow(bytes, line, length, maxLineBytes);
  }

  private pushSlow(bytes: Buffer | null, line: number, length: number, maxLineBytes: number): void {
    const decoded = decodeLine(bytes, line, length, maxLineBytes);
    for (const p of decoded.problems) this.add(p);
    if (decoded.text === null) {
      this.lines = line;
      this.lastWhat = "an over-long line";
      this.afterEnd(line, this.lastWhat);
      return;
    }
    this.pushText(decoded.text, line);
  }

  /** Checks one line given as text (without its line terminator). */
  pushText(text: string, line: number): void {
    const parsed = parseLine(text, line);
    if (parsed.problem) {
      this.lines = line;
      this.lastWhat = parsed.blank ? "a blank line" : "a line that is not JSON";
      this.add(parsed.problem);
      this.afterEnd(line, this.lastWhat);
      return;
    }
    this.checkDuplicates(text, parsed.value, line);
    this.pushValue(parsed.value, line);
  }

  /**
   * Reports every duplicate key of a line (JSON.parse kept the last one; the
   * event is still checked as parsed, so one mistake gives one error).
   */
  private checkDuplicates(text: string, value: unknown, line: number): void {
    if (value === null || typeof value !== "object") return;
    const problems = duplicateKeyProblems(text, value, line, undefined);
    if (problems.length === 0) return;
    const rawKind = Array.isArray(value) ? undefined : (value as { kind?: unknown }).kind;
    const kind = isEventKind(rawKind) ? rawKind : undefined;
    for (const p of problems) this.add(kind === undefined ? p : { ...p, kind });
  }

  /** Checks one line given as its parsed JSON value. */
  pushValue(value: unknown, line: number): void {
    this.lines = line;
    // Hot path: a valid-shaped event, decided by the fast check without allocating.
    const fast = fastEvent(value);
    if (fast !== null && line !== 1 && this.endLine === 0 && fast.kind !== "Header") {
      this.lastWhat = fast.kind;
      this.accept(fast, line);
      return;
    }
    const shape: ShapeResult = fast !== null ? { event: fast } : checkShape(value, line);
    const kind: EventKind | undefined = shape.event ? shape.event.kind : shape.kind;
    const what = kind ?? `${describeValue(value)}, not an event`;
    this.lastWhat = what;

    if (line === 1 && kind !== undefined && kind !== "Header") this.add({ line, kind, path: "", message: `expected a Header event on line 1, found ${describeWhat(what)}` });
    if (kind === "Header" && line !== 1) this.add({ line, kind, path: "", message: "expected the Header only on line 1, found another Header" });
    this.afterEnd(line, what, kind);

    if (shape.problems) {
      for (const p of shape.problems) this.add(p);
      const ns = kind ? NAMESPACE_OF[kind] : undefined;
      const name = ns ? (value as Record<string, unknown>)[ns.field] : undefined;
      if (ns && typeof name === "string" && Object.prototype.hasOwnProperty.call(value, ns.field)) this.poisoned.add(`${ns.namespace}:${name}`);
      if (kind === "CreateInstance") this.doubtInstanceOf((value as { process?: unknown }).process);
      return;
    }
    this.accept(shape.event, line);
  }

  /** Checks a well-formed event's semantics and folds it into the state. */
  private accept(event: BootstrapEvent, line: number): void {
    this.events++;
    const state = this.reduction.state;
    // The common case on big logs: an instance of a known process in an
    // allowed zone. It is appended with the shared process and zone names;
    // duplicate ids are found all at once in finish().
    if (event.kind === "CreateInstance") {
      // Instances repeat their process: look it up only when it changes.
      let process = this.lastProcess;
      if (process === undefined || process.name !== event.process) process = this.lastProcess = state.processes.get(event.process);
      const zone = this.zoneList === undefined ? event.zone : this.zoneList[this.zoneList.indexOf(event.zone)];
      if (process !== undefined && zone !== undefined) {
        this.instances++;
        this.reduction.applyInstance(event, line, process.name, zone);
        return;
      }
      this.doubtInstanceOf(process === undefined ? undefined : event.process);
    }
    this.counts[event.kind]++;
    for (const p of checkEvent(state, event, line, this.semantic)) {
      if (p.ref && this.poisoned.has(`${p.ref.namespace}:${p.ref.name}`)) continue;
      this.add(p, p.ref);
    }
    if (event.kind === "End" && this.endLine === 0) this.endLine = line;
    this.reduction.apply(event, line);
  }

  /**
   * Notes an instance line that was rejected: the end-of-log check that every
   * process has an instance in every zone would only repeat that mistake for
   * the process it names (or for every process, when it names none that exists).
   */
  private doubtInstanceOf(process: unknown): void {
    if (typeof process === "string" && this.reduction.state.processes.has(process)) this.doubtfulProcesses.add(process);
    else this.anyProcessDoubtful = true;
  }

  private afterEnd(line: number, what: string, kind?: string): void {
    if (this.endLine !== 0 && !this.afterEndReported) {
      this.afterEndReported = true;
      this.add({ line, kind, path: "", message: `expected nothing after the End event at line ${this.endLine}, found ${describeWhat(what)}` });
    }
  }

  /** Ends the log and returns the summary (errors sorted by line). */
  finish(): LogSummary {
    const state = this.reduction.state;
    if (this.lines === 0) {
      this.add({ line: 1, path: "", message: "expected a Header event on line 1, found an empty file" });
    } else if (this.endLine === 0) {
      this.add({ line: this.lines, path: "", message: `expected an End event on the last line, found ${describeWhat(this.lastWhat)} (is the log truncated?)` });
    }
    for (const d of this.reduction.settle()) this.add(duplicateInstanceProblem(d.id, d.position, d.firstPosition));
    if (!this.anyProcessDoubtful) {
      for (const p of checkComplete(state, { ...this.opts, exceptProcesses: this.doubtfulProcesses })) {
        const e = this.add(p);
        if (e) this.consequences.add(e);
      }
    }
    for (const { error, ref } of this.pendingRefs) {
      const later = lookup(state, ref);
      if (later !== undefined && later > error.line) error.message += ` (it is created later, at line ${later})`;
    }
    // Root causes by line, then what follows from the whole log (a process missing a zone).
    const rank = (e: MutableError) => (this.consequences.has(e) ? 1 : 0);
    const errors = this.errors.slice().sort((a, b) => rank(a) - rank(b) || a.line - b.line);
    return {
      ok: this.errorCount === 0,
      file: this.opts.file,
      errors,
      errorCount: this.errorCount,
      truncated: this.errorCount > errors.length,
      lines: this.lines,
      events: this.events,
      counts: { ...this.counts, CreateInstance: this.counts.CreateInstance + this.instances },
      lastPosition: this.endLine !== 0 ? this.endLine : this.lines,
      state,
    };
  }
}

function lookup(state: BootstrapState, ref: Reference): number | undefined {
  switch (ref.namespace) {
    case "type":
      return state.types.get(ref.name)?.position;
    case "gateway":
      return state.gateways.get(ref.name)?.position;
    case "stream":
      return state.streams.get(ref.name)?.position;
    case "process":
      return state.processes.get(ref.name)?.position;
  }
}
