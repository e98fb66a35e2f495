import * as fs from "node:fs";
import * as path from "node:path";
import { displayPath, loadStackConfig, REPO_ROOT, STACKS_DIR } from "../../config/load";
import { decodeLine, DEFAULT_MAX_ERRORS, LogValidator, parseLine, type LogSummary } from "./core";
import { LogValidationError, type Problem } from "./errors";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from "./lines";
import type { BootstrapState } from "./reducer";
import type { BootstrapEvent } from "./schema";
import { checkShape } from "./shape";

/**
 * The entry points of bootstrap log validation: a file (streamed line by
 * line, never read whole), an in-memory buffer (tests, fuzzing), parsed events
 * (the local doubles), and the assertion the prod0 program runs when it is
 * evaluated, so `pulumi preview -s prod0` fails on a bad log.
 */

/** The committed bootstrap log. */
export const DEFAULT_LOG_FILE = path.join(REPO_ROOT, "SpiveProdBootstrap.jsonl");

/** The zones instances may run in, and where they come from (for messages). */
export interface AllowedZones {
  /** The zones, in config order. */
  readonly zones: readonly string[];
  /** e.g. `stacks/Pulumi.prod0.yaml > spive:layer.regions[0].zones`. */
  readonly source: string;
}

/** Options of a file or buffer validation. */
export interface ValidateOptions {
  /** Allowed instance zones; default: the prod0 stack's (see `prod0Zones`). */
  readonly zones?: readonly string[];
  /** Where `zones` come from, for messages. */
  readonly zonesSource?: string;
  /** Most errors reported (all are counted); default 100. */
  readonly maxErrors?: number;
  /** Lines longer than this are rejected unread; default 1 MiB. */
  readonly maxLineBytes?: number;
  /** The name used in errors; default: the path relative to the repository root (or as given, outside it). */
  readonly displayName?: string;
}

/** The zones of the prod0 stack (`stacks/Pulumi.prod0.yaml > spive:layer.regions[0].zones`); throws a ConfigError on a bad config. */
export function prod0Zones(dir: string = STACKS_DIR): AllowedZones {
  const cfg = loadStackConfig("prod0", dir);
  const source = displayPath(path.join(dir, "Pulumi.prod0.yaml"));
  return { zones: cfg["spive:layer"].regions[0]!.zones, source: `${source} > spive:layer.regions[0].zones` };
}

/** The name of `file` in errors: as given when relative, relative to the repository root when an absolute path inside it. */
export function displayNameOf(file: string): string {
  return displayPath(file);
}

function zonesOf(opts: ValidateOptions): { zones: readonly string[]; zonesSource: string | undefined } {
  if (opts.zones) return { zones: opts.zones, zonesSource: opts.zonesSource };
  const z = prod0Zones();
  return { zones: z.zones, zonesSource: z.source };
}

function makeValidator(name: string, opts: ValidateOptions): { validator: LogValidator; splitter: LineSplitter } {
  const { zones, zonesSource } = zonesOf(opts);
  const validator = new LogValidator({ file: name, zones, zonesSource, maxErrors: opts.maxErrors ?? DEFAULT_MAX_ERRORS });
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const splitter = new LineSplitter((bytes, line, length) => validator.pushBytes(bytes, line, length, max), max);
  return { validator, splitter };
}

/**
 * Validates a log file, streaming it line by line. Resolves with the summary
 * (valid or not); rejects only when the file cannot be read.
 */
export async function validateLogFile(file: string = DEFAULT_LOG_FILE, opts: ValidateOptions = {}): Promise<LogSummary> {
  const name = opts.displayName ?? displayNameOf(file);
  const { validator, splitter } = makeValidator(name, opts);
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) splitter.push(chunk as Buffer);
  } catch (err) {
    throw new Error(`Cannot read the bootstrap log ${name}: ${(err as Error).message}; expected a readable file.`);
  }
  splitter.end();
  return validator.finish();
}

/**
 * Validates a log given as a stream of byte chunks (the driver's pinned read:
 * each chunk is hashed and copied as it is validated, so what is validated is
 * exactly what is kept). Resolves with the summary; rejects when the stream does.
 */
export async function validateLogChunks(chunks: AsyncIterable<Buffer>, opts: ValidateOptions & { readonly displayName: string }): Promise<LogSummary> {
  const { validator, splitter } = makeValidator(opts.displayName, opts);
  for await (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return validator.finish();
}

/** Validates a whole log held in memory (bytes or text), through the same line core as files. */
export function validateLogBuffer(data: Buffer | string, opts: ValidateOptions = {}): LogSummary {
  const { validator, splitter } = makeValidator(opts.displayName ?? "SpiveProdBootstrap.jsonl", opts);
  splitter.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  splitter.end();
  return validator.finish();
}

/**
 * Validates a log file and throws one LogValidationError listing every error
 * (up to the cap) if it is invalid. The prod0 program awaits this when it is
 * evaluated, so a bad log fails `pulumi preview` and `pulumi up` before any
 * resource is touched. `zones` default to the prod0 stack's.
 */
export async function assertLogValid(file: string = DEFAULT_LOG_FILE, zones?: readonly string[], opts: Omit<ValidateOptions, "zones"> = {}): Promise<LogSummary> {
  const summary = await validateLogFile(file, { ...opts, zones });
  if (!summary.ok) throw new LogValidationError(summary.file, summary.errors, summary.errorCount);
  return summary;
}

/**
 * Validates events given as values (position = index + 1) and returns what
 * they create; throws one LogValidationError if they are not a valid log.
 */
export function reduceValidLog(events: Iterable<unknown>, opts: ValidateOptions = {}): BootstrapState {
  const { zones, zonesSource } = zonesOf(opts);
  const name = opts.displayName ?? "(events)";
  const validator = new LogValidator({ file: name, zones, zonesSource, maxErrors: opts.maxErrors });
  let line = 0;
  for (const e of events) validator.pushValue(e, ++line);
  const summary = validator.finish();
  if (!summary.ok) throw new LogValidationError(name, summary.errors, summary.errorCount);
  return summary.state;
}

/** One event read back from a log, with its position. */
export interface PositionedEvent {
  /** The event's position: its 1-based line number. */
  readonly position: number;
  /** The event. */
  readonly event: BootstrapEvent;
}

/**
 * Streams the events of a log file with their positions, e.g. for a
 * bootstrap instance consuming the log. It checks each line's encoding, JSON
 * and shape, and throws a LogValidationError at the first bad line; validate
 * the whole log first (`assertLogValid`) for references and order.
 */
export async function* readLogEvents(file: string = DEFAULT_LOG_FILE, opts: Pick<ValidateOptions, "displayName" | "maxLineBytes"> = {}): AsyncGenerator<PositionedEvent> {
  const name = opts.displayName ?? displayNameOf(file);
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let pending: PositionedEvent[] = [];
  let failure: LogValidationError | null = null;
  const fail = (problems: readonly Problem[]): void => {
    const errors = problems.map((p) => ({ file: name, ...p }));
    failure = new LogValidationError(name, errors, errors.length);
  };
  const splitter = new LineSplitter((bytes, line, length) => {
    if (failure) return;
    const decoded = decodeLine(bytes, line, length, max);
    if (decoded.problems.length > 0 || decoded.text === null) return fail(decoded.problems);
    const parsed = parseLine(decoded.text, line);
    if (parsed.problem) return fail([parsed.problem]);
    const shape = checkShape(parsed.value, line);
    if (!shape.event) return fail(shape.problems);
    pending.push({ position: line, event: shape.event });
  }, max);
  // Events before a bad line are still yielded, in order; then the error is thrown.
  const flush = function* (): Generator<PositionedEvent> {
    const out = pending;
    pending = [];
    yield* out;
    if (failure) throw failure;
  };
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 64 * 1024 })) {
    splitter.push(chunk as Buffer);
    yield* flush();
  }
  splitter.end();
  yield* flush();
}
