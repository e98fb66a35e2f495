import type { z } from "zod";
import { describeValue, formatFieldPath, type Problem } from "./errors";
import { fastEvent } from "./fast-path";
import { EVENT_KINDS, EVENT_SCHEMAS, ExtensionRef, isEventKind, type BootstrapEvent, type EventKind } from "./schema";

/**
 * The shape check of one parsed line: is it a strict event object of a known
 * kind? A hand-written fast path (`fast-path.ts`, property-tested to accept
 * exactly what the zod schemas accept) handles valid events; anything it
 * rejects goes through the zod schema of its kind, whose issues become
 * full-sentence problems with field paths.
 */

/** The result of a shape check: the event, or the problems of the line. */
export type ShapeResult = { readonly event: BootstrapEvent; readonly problems?: undefined } | { readonly event?: undefined; readonly problems: Problem[]; readonly kind?: EventKind };

const KIND_LIST = EVENT_KINDS.join(", ");

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part as string];
  }
  return cur;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function found(v: unknown): string {
  return v === undefined ? "nothing (the field is missing)" : describeValue(v);
}

function knownFields(kind: EventKind, path: readonly PropertyKey[]): string {
  const shape = path.length === 1 && path[0] === "extension" ? ExtensionRef.shape : EVENT_SCHEMAS[kind].shape;
  return Object.keys(shape).join(", ");
}

function lengthOf(v: unknown): string {
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? "" : "s"}`;
  if (typeof v === "string") return `${v.length} characters`;
  return describeValue(v);
}

/** Turns one zod issue of a `kind` event into problems (one per unknown key). */
function issueProblems(kind: EventKind, raw: unknown, issue: z.core.$ZodIssue, line: number): Problem[] {
  const v = valueAt(raw, issue.path);
  const at = (path: readonly PropertyKey[], message: string): Problem => ({ line, kind, path: formatFieldPath(path), message });
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys
        .filter((k) => k !== "__proto__")
        .map((k) => at([...issue.path, k], `unknown field "${k}"; expected only the fields ${knownFields(kind, issue.path)}`));
    case "invalid_type":
      return [at(issue.path, `expected ${article(issue.expected)}, found ${found(v)}`)];
    case "invalid_value":
      return [
        at(
          issue.path,
          issue.values.length === 1
            ? `expected ${JSON.stringify(issue.values[0])}, found ${found(v)}`
            : `expected one of ${issue.values.map((x) => JSON.stringify(x)).join(", ")}, found ${found(v)}`,
        ),
      ];
    case "invalid_format":
      return [at(issue.path, `expected ${issue.message}, found ${found(v)}`)];
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      const unit = issue.origin === "string" ? "characters" : "items";
      const expected = /^(Too|Invalid)/.test(issue.message) ? `${bound} ${unit}` : issue.message;
      return [at(issue.path, `expected ${expected}, found ${lengthOf(v)}`)];
    }
    case "invalid_key": {
      const key = issue.path[issue.path.length - 1];
      const inner = issue.issues[0];
      const expected = inner && inner.code === "invalid_format" ? inner.message : "a valid key";
      return [at(issue.path, `expected ${expected}, found key ${JSON.stringify(String(key))}`)];
    }
    case "invalid_union": {
      // A string that breaks the string branch (too long, unsafe characters) is reported by that branch's issue.
      const branch = typeof v === "string" ? issue.errors.find((errs) => errs.length > 0 && errs[0]!.code !== "invalid_type") : undefined;
      if (branch) return issueProblems(kind, raw, { ...branch[0]!, path: [...issue.path, ...branch[0]!.path] } as z.core.$ZodIssue, line);
      return [at(issue.path, `expected a string, a number or a boolean, found ${found(v)}`)];
    }
    case "custom": {
      const given = (issue.params as { found?: unknown } | undefined)?.found;
      return [at(issue.path, `expected ${issue.message}, found ${typeof given === "string" ? given : found(v)}`)];
    }
    default:
      return [at(issue.path, `expected ${issue.message.replace(/^Invalid input: /, "")}, found ${found(v)}`)];
  }
}

/**
 * Reports every own `__proto__` key in a parsed value (JSON.parse makes them
 * own properties, and some validators silently drop them inside records).
 */
function protoKeys(value: unknown, kind: string | undefined, line: number, path: PropertyKey[], out: Problem[]): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => protoKeys(item, kind, line, [...path, i], out));
    return;
  }
  for (const key of Object.keys(value)) {
    if (key === "__proto__") {
      out.push({ line, kind, path: formatFieldPath([...path, key]), message: `unknown field "__proto__"; expected no "__proto__" key anywhere in an event (it could rewrite an object's prototype)` });
    } else {
      protoKeys((value as Record<string, unknown>)[key], kind, line, [...path, key], out);
    }
  }
}

/**
 * Checks the shape of one parsed line: the event, or every problem with it
 * (including `__proto__` keys, which the fast check never accepts and zod
 * would silently drop inside records).
 */
export function checkShape(value: unknown, line: number): ShapeResult {
  const fast = fastEvent(value);
  if (fast !== null) return { event: fast };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { problems: [{ line, path: "", message: `expected a JSON object (one event), found ${describeValue(value)}` }] };
  }
  const rawKind = Object.prototype.hasOwnProperty.call(value, "kind") ? (value as { kind?: unknown }).kind : undefined;
  if (!isEventKind(rawKind)) {
    return { problems: [{ line, path: "kind", message: `expected one of ${KIND_LIST}, found ${found(rawKind)}` }] };
  }
  const kind = rawKind;
  const problems: Problem[] = [];
  protoKeys(value, kind, line, [], problems);
  const res = EVENT_SCHEMAS[kind].safeParse(value);
  if (res.success) {
    if (problems.length === 0) return { event: res.data as BootstrapEvent };
    return { problems, kind };
  }
  const issues = mergeMisspellings(kind, value, res.error.issues, line, problems);
  for (const issue of issues) problems.push(...issueProblems(kind, value, issue, line));
  return { problems, kind };
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short strings. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** True when `key` reads as a misspelling of `field` (a case change, or at most two edits on a name of 4+ letters, one on a shorter one). */
function looksLike(key: string, field: string): boolean {
  const a = key.toLowerCase();
  const b = field.toLowerCase();
  if (a === b) return true;
  return editDistance(a, b) <= (Math.min(a.length, b.length) >= 4 ? 2 : 1);
}

/**
 * One mistake, one error: a misspelled field (`"proces"` for `"process"`)
 * makes zod report both an unknown key and a missing field. Each unknown key
 * that reads as a misspelling of a field missing at the same place becomes
 * one problem naming both, and the missing-field issue is dropped. Returns
 * the issues left to report.
 */
function mergeMisspellings(kind: EventKind, raw: unknown, issues: readonly z.core.$ZodIssue[], line: number, out: Problem[]): z.core.$ZodIssue[] {
  const missing = issues.filter((i) => i.code === "invalid_type" && i.path.length > 0 && valueAt(raw, i.path) === undefined && typeof i.path[i.path.length - 1] === "string");
  if (missing.length === 0) return [...issues];
  const dropped = new Set<z.core.$ZodIssue>();
  const rest: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") {
      rest.push(issue);
      continue;
    }
    const parent = formatFieldPath(issue.path);
    const unmatched: string[] = [];
    for (const key of issue.keys) {
      const field = missing.find((m) => !dropped.has(m) && formatFieldPath(m.path.slice(0, -1)) === parent && looksLike(key, String(m.path[m.path.length - 1])));
      if (key === "__proto__" || field === undefined) {
        unmatched.push(key);
        continue;
      }
      dropped.add(field);
      const name = String(field.path[field.path.length - 1]);
      out.push({
        line,
        kind,
        path: formatFieldPath([...issue.path, key]),
        message: `unknown field "${key}"; did you mean "${name}", which is missing? Expected only the fields ${knownFields(kind, issue.path)}`,
      });
    }
    if (unmatched.length > 0) rest.push({ ...issue, keys: unmatched });
  }
  return rest.filter((i) => !dropped.has(i));
}
