import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatLogError } from "../bootstrap/log/errors";
import type { LogSummary } from "../bootstrap/log/core";
import { DEFAULT_LOG_FILE, validateLogBuffer, validateLogFile } from "../bootstrap/log/validate";
import { propertyRuns } from "./helpers/budget";

/**
 * Fuzzing: mutated copies of the committed log (truncations, dropped,
 * duplicated and reordered lines, unknown kinds and fields, wrong types,
 * `__proto__` keys, invalid UTF-8, a BOM, blank and over-long lines, an
 * empty file) must each be rejected with line-numbered errors or, where the
 * mutation keeps the log valid, accepted — never a crash. The seed is printed
 * so a failure reproduces: `FUZZ_SEED=<seed> npx vitest run test/bootstrap-log-fuzz.test.ts`.
 */

const ZONES = ["europe-west1-b", "europe-west1-c"];
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
// 1,000 runs take about 1 s on a quiet 2-core machine; test:deep runs 10,000.
const RUNS = propertyRuns(1_000, 10_000);
/** A small line cap, so over-long lines are cheap to generate; the 10 MB case is in bootstrap-log.test.ts and below. */
const MAX_LINE = 600;
const base = fs.readFileSync(DEFAULT_LOG_FILE, "utf8").trimEnd().split("\n");
const kinds = base.map((l) => (JSON.parse(l) as { kind: string }).kind);

type Mutation =
  | { op: "truncate"; at: number }
  | { op: "cut"; lines: number }
  | { op: "drop"; i: number }
  | { op: "dup"; i: number }
  | { op: "swap"; i: number; j: number }
  | { op: "kind"; i: number; kind: string }
  | { op: "field"; i: number; key: string; value: unknown }
  | { op: "set"; i: number; pick: number; value: unknown }
  | { op: "proto"; i: number; value: unknown }
  | { op: "bytes"; at: number; bytes: number[] }
  | { op: "bom" }
  | { op: "empty" }
  | { op: "blank"; i: number; ws: string }
  | { op: "long"; i: number; n: number }
  | { op: "garbage"; i: number; text: string };

const lineIndex = fc.nat({ max: base.length - 1 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat({ max: base.join("\n").length }) }),
  fc.record({ op: fc.constant("cut" as const), lines: fc.nat({ max: base.length }) }),
  fc.record({ op: fc.constant("drop" as const), i: lineIndex }),
  fc.record({ op: fc.constant("dup" as const), i: lineIndex }),
  fc.record({ op: fc.constant("swap" as const), i: lineIndex, j: lineIndex }),
  fc.record({ op: fc.constant("kind" as const), i: lineIndex, kind: fc.oneof(fc.constantFrom("Header", "CreateType", "CreateGateway", "CreateStream", "CreateProcess", "CreateInstance", "End", "toString", "__proto__"), fc.string()) }),
  fc.record({ op: fc.constant("field" as const), i: lineIndex, key: fc.oneof(fc.string(), fc.constantFrom("constructor", "hasOwnProperty", "kind")), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ op: fc.constant("set" as const), i: lineIndex, pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ op: fc.constant("proto" as const), i: lineIndex, value: fc.jsonValue({ maxDepth: 2 }) }),
  // A lone continuation byte (0x80-0xBF) after ASCII is never valid UTF-8; the committed log is ASCII.
  fc.record({
    op: fc.constant("bytes" as const),
    at: fc.nat({ max: base.join("\n").length }),
    bytes: fc.tuple(fc.integer({ min: 0x80, max: 0xbf }), fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 3 })).map(([b, rest]) => [b, ...rest]),
  }),
  fc.record({ op: fc.constant("bom" as const) }),
  fc.record({ op: fc.constant("empty" as const) }),
  fc.record({ op: fc.constant("blank" as const), i: lineIndex, ws: fc.constantFrom("", " ", "\t", "\r") }),
  fc.record({ op: fc.constant("long" as const), i: lineIndex, n: fc.integer({ min: MAX_LINE, max: 3 * MAX_LINE }) }),
  fc.record({ op: fc.constant("garbage" as const), i: lineIndex, text: fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))) }),
);

/** Applies mutations to the committed log; returns the bytes and whether the result is known to be valid, invalid, or either. */
function apply(mutations: readonly Mutation[]): { data: Buffer; expect: "valid" | "invalid" | "either" } {
  let lines = base.slice();
  let lineKinds = kinds.slice();
  // Each mutation's effect on its own; two invalidating mutations may undo each other, so only a single one is "invalid" for sure.
  const effects: ("invalid" | "either")[] = [];
  const worse = (e: "invalid" | "either") => effects.push(e);
  let prefix: Buffer | null = null;
  let raw: Buffer | null = null;
  for (const m of mutations) {
    if (raw !== null) break; // byte-level mutations end the line-level ones
    const i = "i" in m ? m.i % Math.max(lines.length, 1) : 0;
    switch (m.op) {
      case "truncate": {
        const text = `${lines.join("\n")}\n`;
        const at = m.at % Math.max(text.length, 1);
        raw = Buffer.from(text.slice(0, at));
        // Every committed line is needed (and the End is last), so any cut short of the whole is invalid.
        worse(at < text.length - 1 ? "invalid" : "either");
        break;
      }
      case "cut":
        if (m.lines < lines.length) worse("invalid");
        lines = lines.slice(0, m.lines);
        lineKinds = lineKinds.slice(0, m.lines);
        break;
      case "drop":
        if (lines.length === 0) break;
        lines.splice(i, 1);
        lineKinds.splice(i, 1);
        worse("invalid");
        break;
      case "dup":
        if (lines.length === 0) break;
        lines.splice(i, 0, lines[i]!);
        lineKinds.splice(i, 0, lineKinds[i]!);
        worse("invalid");
        break;
      case "swap": {
        if (lines.length === 0) break;
        const j = m.j % lines.length;
        const sameKind = lineKinds[i] === lineKinds[j] && ["CreateType", "CreateGateway", "CreateStream", "CreateInstance"].includes(lineKinds[i]!);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        [lineKinds[i], lineKinds[j]] = [lineKinds[j]!, lineKinds[i]!];
        if (!sameKind && i !== j) worse("either");
        break;
      }
      case "kind":
      case "field":
      case "set":
      case "proto": {
        if (lines.length === 0) break;
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(lines[i]!) as Record<string, unknown>;
        } catch {
          break;
        }
        if (obj === null || typeof obj !== "object" || Array.isArray(obj)) break;
        if (m.op === "kind") {
          if (obj.kind === m.kind) break;
          obj.kind = m.kind;
          worse("invalid");
          lines[i] = JSON.stringify(obj);
        } else if (m.op === "field") {
          const had = Object.prototype.hasOwnProperty.call(obj, m.key);
          Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
          worse(had ? "either" : "invalid");
          lines[i] = JSON.stringify(obj);
        } else if (m.op === "set") {
          const keys = Object.keys(obj);
          const key = keys[m.pick % keys.length]!;
          if (JSON.stringify(obj[key]) === JSON.stringify(m.value)) break;
          obj[key] = m.value;
          worse("either");
          lines[i] = JSON.stringify(obj);
        } else {
          lines[i] = `{"__proto__":${JSON.stringify(m.value)},${lines[i]!.slice(1)}`;
          worse("invalid");
        }
        break;
      }
      case "bytes": {
        const text = Buffer.from(`${lines.join("\n")}\n`);
        const at = m.at % Math.max(text.length, 1);
        raw = Buffer.concat([text.subarray(0, at), Buffer.from(m.bytes), text.subarray(at)]);
        worse("invalid");
        break;
      }
      case "bom":
        prefix = Buffer.from([0xef, 0xbb, 0xbf]);
        worse("invalid");
        break;
      case "empty":
        lines = [];
        lineKinds = [];
        worse("invalid");
        break;
      case "blank":
        lines.splice(i, 0, m.ws);
        lineKinds.splice(i, 0, "blank");
        worse("invalid");
        break;
      case "long":
        lines.splice(i, 0, `{"kind":"CreateType","name":"${"A".repeat(m.n)}"}`);
        lineKinds.splice(i, 0, "long");
        worse("invalid");
        break;
      case "garbage":
        lines.splice(i, 0, m.text);
        lineKinds.splice(i, 0, "garbage");
        worse("invalid");
        break;
    }
  }
  const body = raw ?? Buffer.from(lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  const expectation = effects.length === 0 ? "valid" : mutations.length === 1 ? effects[0]! : "either";
  return { data: prefix ? Buffer.concat([prefix, body]) : body, expect: expectation };
}

/** The invariants of any validation result. */
function checkSummary(s: LogSummary, file: string): void {
  expect(s.ok).toBe(s.errorCount === 0);
  expect(s.errors.length).toBeLessThanOrEqual(s.errorCount);
  const maxLine = Math.max(s.lines, 1);
  for (const e of s.errors) {
    expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= maxLine).toBe(true);
    const text = formatLogError(e);
    expect(text.startsWith(`${file}:${e.line}`)).toBe(true);
    expect(e.message.length).toBeGreaterThan(0);
  }
  // Root causes by line, then the consequences drawn from the whole log (a process missing a zone), by line.
  const consequence = (e: LogSummary["errors"][number]) => / has no instance in zones? /.test(e.message);
  const firstConsequence = s.errors.findIndex(consequence);
  if (firstConsequence !== -1) expect(s.errors.slice(firstConsequence).every(consequence)).toBe(true);
  for (let k = 1; k < s.errors.length; k++) {
    if (k !== firstConsequence) expect(s.errors[k]!.line).toBeGreaterThanOrEqual(s.errors[k - 1]!.line);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-log-fuzz-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("fuzzing the bootstrap log", () => {
  it(`rejects every mutated log with line-numbered errors, accepts the valid ones, never crashes (${RUNS} runs)`, () => {
    console.log(`bootstrap log fuzz seed: ${SEED} (FUZZ_SEED=${SEED} reproduces)`);
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const { data, expect: expected } = apply(mutations);
        const s = validateLogBuffer(data, { zones: ZONES, maxLineBytes: MAX_LINE, maxErrors: 50, displayName: "fuzz.jsonl" });
        checkSummary(s, "fuzz.jsonl");
        if (expected === "valid") expect(s.errors.map(formatLogError)).toEqual([]);
        if (expected === "invalid") expect(s.ok).toBe(false);
        if (s.ok) valid++;
        else invalid++;
        // Nothing leaks into shared prototypes.
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(valid + invalid).toBe(RUNS);
    expect(invalid).toBeGreaterThan(RUNS / 2);
  });

  it("gives the same errors through the file path as in memory (a handful of mutated files)", async () => {
    const samples = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), { seed: SEED, numRuns: 25 });
    for (const [k, mutations] of samples.entries()) {
      const { data } = apply(mutations);
      const f = path.join(tmp, `m${k}.jsonl`);
      fs.writeFileSync(f, data);
      const fromFile = await validateLogFile(f, { zones: ZONES, maxLineBytes: MAX_LINE, displayName: "fuzz.jsonl" });
      const inMemory = validateLogBuffer(data, { zones: ZONES, maxLineBytes: MAX_LINE, displayName: "fuzz.jsonl" });
      checkSummary(fromFile, "fuzz.jsonl");
      expect(fromFile.errors.map(formatLogError)).toEqual(inMemory.errors.map(formatLogError));
    }
  });

  it("rejects a real 10 MB line through the file path with the default cap", async () => {
    const f = path.join(tmp, "ten-mb.jsonl");
    const line = `{"kind":"CreateType","name":"S","extension":{"package":"${"a".repeat(10 * 1024 * 1024)}","version":"1.0.0"}}`;
    fs.writeFileSync(f, `${base.slice(0, 1).join("\n")}\n${line}\n${base.slice(1).join("\n")}\n`);
    const s = await validateLogFile(f, { zones: ZONES, displayName: "fuzz.jsonl" });
    expect(s.errors.map(formatLogError)).toEqual([`fuzz.jsonl:2: expected a line of at most 1048576 bytes, found ${Buffer.byteLength(line)} bytes`]);
  });
});
