import { jsonBytes, jsonBytesBound } from "../contracts/limits";
import { SAFE_TEXT as SAFE_TEXT_PATTERN } from "../contracts/text";
import * as schema from "./schema";
import type { BootstrapEvent } from "./schema";

/**
 * A hand-written check equivalent to the zod schemas in `schema.ts`, used on
 * the hot path: it accepts exactly the values the schemas accept (a property
 * test in `test/bootstrap-log-fast-path.test.ts` cross-checks both on
 * generated and mutated events) and returns the value itself, uncopied. It
 * only decides validity; the zod schema explains a rejection.
 */

type Obj = Record<string, unknown>;

// Module-level copies: the compiled module reads imports through getters, too slow for a per-line path.
const CONFIG_KEY_PATTERN = schema.CONFIG_KEY_PATTERN;
const GID_PATTERN = schema.GID_PATTERN;
const LAYER_PATTERN = schema.LAYER_PATTERN;
const LOG_FORMAT = schema.LOG_FORMAT;
const LOG_FORMAT_VERSION = schema.LOG_FORMAT_VERSION;
const MAX_LIST_LENGTH = schema.MAX_LIST_LENGTH;
const MAX_STRING_LENGTH = schema.MAX_STRING_LENGTH;
const MAX_ARGS_BYTES = schema.MAX_ARGS_BYTES;
const MAX_CONFIG_BYTES = schema.MAX_CONFIG_BYTES;
const SAFE_TEXT = SAFE_TEXT_PATTERN;
const NAME_PATTERN = schema.NAME_PATTERN;
const PACKAGE_PATTERN = schema.PACKAGE_PATTERN;
const VERSION_PATTERN = schema.VERSION_PATTERN;
const ZONE_PATTERN = schema.ZONE_PATTERN;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function matches(v: unknown, pattern: RegExp): boolean {
  return typeof v === "string" && pattern.test(v);
}

function isStringList(v: unknown, pattern: RegExp | null, min: number, maxLen: number): boolean {
  if (!Array.isArray(v) || v.length < min || v.length > MAX_LIST_LENGTH) return false;
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== "string" || s.length > maxLen) return false;
    if (pattern !== null && !pattern.test(s)) return false;
  }
  return true;
}

/** True when `o` has only keys from `allowed` and every key from `required` (own, enumerable keys). */
function hasKeys(o: Obj, required: readonly string[], optional: readonly string[]): boolean {
  let seen = 0;
  for (const k in o) {
    if (required.includes(k)) seen++;
    else if (!optional.includes(k)) return false;
  }
  return seen === required.length;
}

function isExtension(v: unknown): boolean {
  return isObject(v) && hasKeys(v, EXTENSION_KEYS, NONE) && matches(v.package, PACKAGE_PATTERN) && matches(v.version, VERSION_PATTERN);
}

function isConfig(v: unknown): boolean {
  if (!isObject(v)) return false;
  let bound = 2;
  for (const k in v) {
    if (!CONFIG_KEY_PATTERN.test(k)) return false;
    const x = v[k];
    if (typeof x === "string") {
      if (x.length > MAX_STRING_LENGTH || !SAFE_TEXT.test(x)) return false;
      bound += 3 * x.length;
    } else if (typeof x === "number") {
      if (!Number.isFinite(x)) return false;
      bound += 24;
    } else if (typeof x !== "boolean") return false;
    bound += k.length + 8;
  }
  return bound <= MAX_CONFIG_BYTES || jsonBytes(v) <= MAX_CONFIG_BYTES;
}

/** Valid instance args: at most MAX_LIST_LENGTH safe strings of at most MAX_STRING_LENGTH, within MAX_ARGS_BYTES as JSON. */
function isArgs(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > MAX_LIST_LENGTH) return false;
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== "string" || s.length > MAX_STRING_LENGTH || !SAFE_TEXT.test(s)) return false;
  }
  return jsonBytesBound(v as string[]) <= MAX_ARGS_BYTES || jsonBytes(v) <= MAX_ARGS_BYTES;
}

/**
 * `INSTANCE_ID_PATTERN.test(v)` as a loop (no regex call per instance): 1 to
 * 63 characters from a-z, 0-9 and "-", not starting or ending with "-".
 */
export function isInstanceId(v: unknown): boolean {
  if (typeof v !== "string") return false;
  const n = v.length;
  if (n < 1 || n > 63) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c === 45 && i !== 0 && i !== n - 1))) return false;
  }
  return true;
}

/** `hasKeys(o, INSTANCE_KEYS, INSTANCE_OPTIONAL)`, unrolled: instances are most of a big log. */
function hasInstanceKeys(o: Obj): boolean {
  let seen = 0;
  for (const k in o) {
    if (k === "kind" || k === "id" || k === "process" || k === "zone") seen++;
    else if (k !== "args") return false;
  }
  return seen === 4;
}

const NONE: readonly string[] = [];
const EXTENSION_KEYS = ["package", "version"];
const HEADER_KEYS = ["kind", "format", "version", "layer"];
const TYPE_KEYS = ["kind", "name", "extension"];
const GATEWAY_KEYS = ["kind", "name", "role", "extension"];
const GATEWAY_OPTIONAL = ["config"];
const STREAM_KEYS = ["kind", "gid", "store", "durable"];
const PROCESS_KEYS = ["kind", "name", "types", "runner", "gateways", "streams"];
const END_KEYS = ["kind"];

// The last process and zone names that passed their pattern: instances repeat them, so the regex runs once.
let lastProcess = "";
let lastZone = "";

/**
 * The event if `v` is a valid event exactly as the zod schema defines it,
 * else null. It never accepts a `__proto__` key anywhere: every object it
 * accepts has only known keys (events, extensions) or pattern-checked keys
 * (gateway config), and `__proto__` is neither.
 */
export function fastEvent(v: unknown): BootstrapEvent | null {
  if (!isObject(v)) return null;
  let ok: boolean;
  switch (v.kind) {
    case "CreateInstance":
      ok =
        hasInstanceKeys(v) &&
        isInstanceId(v.id) &&
        (v.process === lastProcess || (matches(v.process, NAME_PATTERN) && ((lastProcess = v.process as string), true))) &&
        (v.zone === lastZone || (matches(v.zone, ZONE_PATTERN) && ((lastZone = v.zone as string), true))) &&
        (v.args === undefined || isArgs(v.args));
      break;
    case "Header":
      ok = hasKeys(v, HEADER_KEYS, NONE) && v.format === LOG_FORMAT && v.version === LOG_FORMAT_VERSION && matches(v.layer, LAYER_PATTERN);
      break;
    case "CreateType":
      ok = hasKeys(v, TYPE_KEYS, NONE) && matches(v.name, NAME_PATTERN) && isExtension(v.extension);
      break;
    case "CreateGateway":
      ok =
        hasKeys(v, GATEWAY_KEYS, GATEWAY_OPTIONAL) &&
        matches(v.name, NAME_PATTERN) &&
        (v.role === "event-store" || v.role === "runner" || v.role === "alerting") &&
        isExtension(v.extension) &&
        (v.config === undefined || isConfig(v.config));
      break;
    case "CreateStream":
      ok = hasKeys(v, STREAM_KEYS, NONE) && matches(v.gid, GID_PATTERN) && matches(v.store, NAME_PATTERN) && typeof v.durable === "boolean";
      break;
    case "CreateProcess":
      ok =
        hasKeys(v, PROCESS_KEYS, NONE) &&
        matches(v.name, NAME_PATTERN) &&
        isStringList(v.types, NAME_PATTERN, 1, Infinity) &&
        matches(v.runner, NAME_PATTERN) &&
        isStringList(v.gateways, NAME_PATTERN, 0, Infinity) &&
        isStringList(v.streams, GID_PATTERN, 0, Infinity);
      break;
    case "End":
      ok = hasKeys(v, END_KEYS, NONE);
      break;
    default:
      ok = false;
  }
  return ok ? (v as unknown as BootstrapEvent) : null;
}
