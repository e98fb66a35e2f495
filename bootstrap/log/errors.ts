import { escapeUnsafe } from "../contracts/text";

/**
 * Errors of the bootstrap log: each names the file and line, the event kind,
 * the field path, what was expected and what was found, and renders as one
 * line such as
 * `SpiveProdBootstrap.jsonl:17 CreateProcess.streams[1]: stream "gid:prod0/inventory" is not created before this line`.
 */

/** One problem in the log. */
export interface LogError {
  /** The log file as the user named it (relative to the repository root where possible). */
  readonly file: string;
  /** The 1-based line number (the event's position). */
  readonly line: number;
  /** The event kind, when the line has a recognisable one. */
  readonly kind?: string;
  /** The field path inside the event, e.g. `streams[1]`; empty for the whole line or event. */
  readonly path: string;
  /** The full sentence after the location: what is wrong, what was expected, what was found. */
  readonly message: string;
}

/** A problem without its file: what the line-level checks produce before the validator adds the file. */
export interface Problem {
  /** The 1-based line number. */
  readonly line: number;
  /** The event kind, when known. */
  readonly kind?: string;
  /** The field path inside the event; empty for the whole event. */
  readonly path: string;
  /** The sentence after the location. */
  readonly message: string;
}

/** Renders the location part of an error: `file:line Kind.path`, `file:line Kind` or `file:line`. */
export function formatLocation(e: { readonly file: string; readonly line: number; readonly kind?: string; readonly path: string }): string {
  const where = e.kind ? (e.path ? `${e.kind}.${e.path}` : e.kind) : e.path;
  // The file name is the user's input too: shown escaped, like everything a message echoes.
  const file = escapeUnsafe(e.file);
  return where ? `${file}:${e.line} ${where}` : `${file}:${e.line}`;
}

/** Renders one error as a single line: `file:line Kind.path: message`. */
export function formatLogError(e: LogError): string {
  return `${formatLocation(e)}: ${e.message}`;
}

/** Renders a field path from its parts: `streams[1]`, `extension.version`, `config.region`. */
export function formatFieldPath(parts: readonly PropertyKey[]): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Describes a JSON value for a message, e.g. `"abc"`, `42`, `an array`, `nothing`; long values are cut. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "an empty array" : `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  // JSON.stringify escapes control characters but not bidi controls: escapeUnsafe shows those too.
  const s = escapeUnsafe(JSON.stringify(v));
  return s.length > 80 ? `${s.slice(0, 77)}..."` : s;
}

/** Thrown by `assertLogValid` and friends: one message listing every error (up to the cap). */
export class LogValidationError extends Error {
  /** Every reported error. */
  readonly errors: readonly LogError[];
  /** How many errors the log has in total (may exceed `errors.length` when capped). */
  readonly errorCount: number;

  constructor(file: string, errors: readonly LogError[], errorCount: number) {
    const lines = errors.map(formatLogError);
    if (errorCount > errors.length) lines.push(`... and ${errorCount - errors.length} more error(s) not shown`);
    super(
      errorCount === 1
        ? `Invalid bootstrap log ${escapeUnsafe(file)}: ${lines[0]}`
        : `Invalid bootstrap log ${escapeUnsafe(file)} (${errorCount} errors):\n  ${lines.join("\n  ")}`,
    );
    this.name = "LogValidationError";
    this.errors = errors;
    this.errorCount = errorCount;
  }
}
