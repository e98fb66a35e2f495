import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatLogError, LogValidationError } from "../bootstrap/log/errors";
import { emptyState, instancesByZone, reduceEvent, reduceLog } from "../bootstrap/log/reducer";
import type { BootstrapEvent } from "../bootstrap/log/schema";
import { assertLogValid, DEFAULT_LOG_FILE, prod0Zones, readLogEvents, reduceValidLog, validateLogBuffer, validateLogFile } from "../bootstrap/log/validate";

const ZONES = ["europe-west1-b", "europe-west1-c"];
const committedText = fs.readFileSync(DEFAULT_LOG_FILE, "utf8");
const committed = committedText.trimEnd().split("\n");

/** The committed log with `edit` applied to its lines (as text). */
function variant(edit: (lines: string[]) => string[]): string {
  return `${edit(committed.slice()).join("\n")}\n`;
}

/** The 1-based line of the first committed line containing `needle`. */
function lineOf(needle: string): number {
  const i = committed.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`test: no committed line contains ${needle}`);
  return i + 1;
}

/** This runtime's JSON.parse message for `text` (it differs between Node versions). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`test: expected ${text} not to be JSON`);
}

function messages(text: string | Buffer): string[] {
  return validateLogBuffer(text, { zones: ZONES, displayName: "SpiveProdBootstrap.jsonl" }).errors.map(formatLogError);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-log-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function tmpFile(name: string, data: string | Buffer): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, data);
  return f;
}

describe("the committed bootstrap log", () => {
  it("validates against the prod0 stack's zones, with its End as the last position", async () => {
    const s = await validateLogFile();
    expect(s.errors.map(formatLogError)).toEqual([]);
    expect(s.ok).toBe(true);
    expect(s.file).toBe("SpiveProdBootstrap.jsonl");
    expect(s.lastPosition).toBe(committed.length);
    expect(s.events).toBe(committed.length);
  });

  it("describes a complete prod-0: SpiveProd0 alone, active-active in both prod0 zones", async () => {
    const { state } = await validateLogFile();
    expect([...state.processes.keys()]).toEqual(["SpiveProd0"]);
    expect(prod0Zones().zones).toEqual(ZONES);
    const byZone = instancesByZone(state);
    expect([...byZone.keys()].sort()).toEqual(ZONES);
    for (const zone of ZONES) expect(byZone.get(zone)!.map((i) => i.process)).toEqual(["SpiveProd0"]);
    expect([...state.types.keys()]).toEqual(expect.arrayContaining(["Spive", "SpiveScaler", "SpiveInventory"]));
    expect(new Set([...state.gateways.values()].map((g) => g.role))).toEqual(new Set(["event-store", "runner", "alerting"]));
    expect([...state.gateways.keys()]).toEqual(expect.arrayContaining(["BigtableEventStoreGateway", "PagerDutyGateway"]));
    for (const s of state.streams.values()) {
      expect(s.gid).toMatch(/^gid:prod0\//);
      expect(s.durable).toBe(true);
      expect(state.gateways.get(s.store)!.role).toBe("event-store");
    }
    expect(state.processes.get("SpiveProd0")!.streams).toEqual([...state.streams.keys()]);
  });

  it("streams back event by event with positions equal to line numbers", async () => {
    const read: number[] = [];
    for await (const { position, event } of readLogEvents()) {
      read.push(position);
      expect(event.kind).toBe((JSON.parse(committed[position - 1]!) as BootstrapEvent).kind);
    }
    expect(read).toEqual(committed.map((_, i) => i + 1));
  });

  it("passes assertLogValid, which the prod0 program awaits", async () => {
    await expect(assertLogValid()).resolves.toMatchObject({ ok: true, lastPosition: committed.length });
  });
});

const procLine = lineOf('"CreateProcess"');
const invLine = lineOf('"gid:prod0/inventory"');
const firstInstance = lineOf('"CreateInstance"');
const endLine = committed.length;

/** A table of invalid logs, each with its exact errors. */
const invalid: { name: string; text: () => string | Buffer; errors: string[] }[] = [
  {
    name: "a stream referenced before it is created",
    text: () =>
      variant((l) => {
        const [inv] = l.splice(invLine - 1, 1);
        l.splice(procLine - 1, 0, inv!);
        return l;
      }),
    errors: [`SpiveProdBootstrap.jsonl:${procLine - 1} CreateProcess.streams[1]: stream "gid:prod0/inventory" is not created before this line (it is created later, at line ${procLine})`],
  },
  {
    name: "an instance in a zone prod0 does not declare",
    text: () => variant((l) => l.map((x, i) => (i === firstInstance - 1 ? x.replace('"zone":"europe-west1-b"', '"zone":"us-east1-b"') : x))),
    // One mistake, one error: the process then missing that zone follows from it.
    errors: [`SpiveProdBootstrap.jsonl:${firstInstance} CreateInstance.zone: zone "us-east1-b" is not declared by the prod0 stack; expected one of europe-west1-b, europe-west1-c`],
  },
  {
    name: "a duplicated instance line",
    text: () => variant((l) => [...l.slice(0, firstInstance), l[firstInstance - 1]!, ...l.slice(firstInstance)]),
    errors: [`SpiveProdBootstrap.jsonl:${firstInstance + 1} CreateInstance.id: instance "spive-prod0-europe-west1-b-0" is already created at line ${firstInstance}; expected a unique id`],
  },
  {
    name: "a duplicated type",
    text: () => variant((l) => [l[0]!, l[1]!, l[1]!, ...l.slice(2)]),
    errors: [`SpiveProdBootstrap.jsonl:3 CreateType.name: type "SpiveScaler" is already created at line 2; expected a unique name`],
  },
  {
    name: "a core type created again",
    text: () => variant((l) => [l[0]!, l[1]!.replace('"SpiveScaler"', '"Spive"'), ...l.slice(2)]),
    errors: [
      `SpiveProdBootstrap.jsonl:2 CreateType.name: type "Spive" is a core type, built into every process; expected the name of a non-core type`,
      `SpiveProdBootstrap.jsonl:${procLine} CreateProcess.types[1]: type "SpiveScaler" is not created before this line`,
    ],
  },
  {
    name: "an unknown kind",
    text: () => variant((l) => [...l.slice(0, 2), '{"kind":"CreateWidget","name":"X"}', ...l.slice(2)]),
    errors: [`SpiveProdBootstrap.jsonl:3 kind: expected one of Header, CreateType, CreateGateway, CreateStream, CreateProcess, CreateInstance, End, found "CreateWidget"`],
  },
  {
    name: "an unknown field",
    text: () => variant((l) => [l[0]!, l[1]!.replace('{"kind":"CreateType",', '{"kind":"CreateType","colour":"red",'), ...l.slice(2)]),
    errors: [`SpiveProdBootstrap.jsonl:2 CreateType.colour: unknown field "colour"; expected only the fields kind, name, extension`],
  },
  {
    name: "wrong types, a malformed gid and a missing field on one line",
    text: () =>
      variant((l) => [
        ...l.slice(0, invLine - 1),
        '{"kind":"CreateStream","gid":"prod0/inventory","store":42}',
        ...l.slice(invLine),
      ]),
    errors: [
      `SpiveProdBootstrap.jsonl:${invLine} CreateStream.gid: expected a stream gid such as gid:prod0/inventory (gid:<layer>/ then lowercase path segments), found "prod0/inventory"`,
      `SpiveProdBootstrap.jsonl:${invLine} CreateStream.store: expected a string, found 42`,
      `SpiveProdBootstrap.jsonl:${invLine} CreateStream.durable: expected a boolean, found nothing (the field is missing)`,
      `SpiveProdBootstrap.jsonl:${procLine} CreateProcess.streams[1]: stream "gid:prod0/inventory" is not created before this line`,
    ],
  },
  {
    name: "a gid of another layer and a store that is not an event store",
    text: () => variant((l) => l.map((x, i) => (i === invLine - 1 ? x.replace("gid:prod0/inventory", "gid:prod1/inventory").replace("BigtableEventStoreGateway", "PagerDutyGateway") : x))),
    errors: [
      `SpiveProdBootstrap.jsonl:${invLine} CreateStream.gid: gid "gid:prod1/inventory" is not of this log's layer; expected a gid starting with gid:prod0/ (the Header's layer)`,
      `SpiveProdBootstrap.jsonl:${invLine} CreateStream.store: gateway "PagerDutyGateway" (line ${lineOf('"PagerDutyGateway"')}) has role alerting; expected an event-store gateway`,
      `SpiveProdBootstrap.jsonl:${procLine} CreateProcess.streams[1]: stream "gid:prod0/inventory" is not created before this line`,
    ].sort(),
  },
  {
    name: "a __proto__ key",
    text: () => variant((l) => [l[0]!, l[1]!.replace('{"kind":"CreateType",', '{"kind":"CreateType","__proto__":{"polluted":true},'), ...l.slice(2)]),
    errors: [`SpiveProdBootstrap.jsonl:2 CreateType.__proto__: unknown field "__proto__"; expected no "__proto__" key anywhere in an event (it could rewrite an object's prototype)`],
  },
  {
    name: "a __proto__ key in a gateway's config (which zod alone would silently drop)",
    text: () => variant((l) => l.map((x) => x.replace('"config":{"tablePrefix":"prod0"}', '"config":{"tablePrefix":"prod0","__proto__":{"polluted":true}}'))),
    errors: [`SpiveProdBootstrap.jsonl:${lineOf("tablePrefix")} CreateGateway.config.__proto__: unknown field "__proto__"; expected no "__proto__" key anywhere in an event (it could rewrite an object's prototype)`],
  },
  {
    name: "a blank line",
    text: () => variant((l) => [...l.slice(0, 3), "", ...l.slice(3)]),
    errors: ["SpiveProdBootstrap.jsonl:4: expected one JSON event per line, found a blank line"],
  },
  {
    name: "a log truncated mid-line",
    text: () => `${committed.slice(0, 5).join("\n")}\n${committed[5]!.slice(0, 20)}`,
    errors: [
      `SpiveProdBootstrap.jsonl:6: expected a JSON object (one event), found invalid JSON (${jsonError(committed[5]!.slice(0, 20))})`,
      "SpiveProdBootstrap.jsonl:6: expected an End event on the last line, found a line that is not JSON (is the log truncated?)",
    ],
  },
  {
    name: "a log truncated at a line boundary",
    text: () => `${committed.slice(0, endLine - 1).join("\n")}\n`,
    errors: [`SpiveProdBootstrap.jsonl:${endLine - 1}: expected an End event on the last line, found a CreateInstance event (is the log truncated?)`],
  },
  {
    name: "events after the End",
    text: () => variant((l) => [...l, l[endLine - 2]!]),
    errors: [
      `SpiveProdBootstrap.jsonl:${endLine + 1} CreateInstance: expected nothing after the End event at line ${endLine}, found a CreateInstance event`,
      `SpiveProdBootstrap.jsonl:${endLine + 1} CreateInstance.id: instance "spive-prod0-europe-west1-c-0" is already created at line ${endLine - 1}; expected a unique id`,
    ],
  },
  {
    name: "no Header",
    text: () => variant((l) => l.slice(1)),
    errors: ["SpiveProdBootstrap.jsonl:1 CreateType: expected a Header event on line 1, found a CreateType event"],
  },
  {
    name: "a second Header and an unknown format version",
    text: () => variant((l) => [l[0]!.replace('"version":1', '"version":2'), l[0]!, ...l.slice(1)]),
    errors: [
      "SpiveProdBootstrap.jsonl:1 Header.version: expected 1, found 2",
      "SpiveProdBootstrap.jsonl:2 Header: expected the Header only on line 1, found another Header",
    ],
  },
  {
    name: "an empty file",
    text: () => "",
    errors: ["SpiveProdBootstrap.jsonl:1: expected a Header event on line 1, found an empty file"],
  },
  {
    name: "a BOM",
    text: () => `\uFEFF${committedText}`,
    errors: ["SpiveProdBootstrap.jsonl:1: expected UTF-8 text without a byte-order mark, found a BOM (EF BB BF) at the start of the file"],
  },
  {
    name: "invalid UTF-8",
    text: () => Buffer.concat([Buffer.from(`${committed.slice(0, 2).join("\n")}\n`), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from(`${committed.slice(2).join("\n")}\n`)]),
    errors: [
      "SpiveProdBootstrap.jsonl:3: expected UTF-8 text, found an invalid byte sequence at byte 2 of the line",
      `SpiveProdBootstrap.jsonl:3: expected a JSON object (one event), found invalid JSON (${jsonError("{\uFFFD\uFFFD}")})`,
    ],
  },
  {
    name: "a JSON value that is not an object",
    text: () => variant((l) => [...l.slice(0, 2), "[1,2]", "null", ...l.slice(2)]),
    errors: ["SpiveProdBootstrap.jsonl:3: expected a JSON object (one event), found an array of 2", "SpiveProdBootstrap.jsonl:4: expected a JSON object (one event), found null"],
  },
];

describe("invalid logs", () => {
  it.each(invalid)("$name", ({ text, errors }) => {
    expect(messages(text()).sort()).toEqual(errors.slice().sort());
  });

  it("reports every error, up to the cap, and counts the rest", () => {
    const text = variant((l) => [...l.slice(0, 2), ...Array.from({ length: 30 }, () => "[]"), ...l.slice(2)]);
    const s = validateLogBuffer(text, { zones: ZONES, maxErrors: 10 });
    expect(s.errors).toHaveLength(10);
    expect(s.errorCount).toBe(30);
    expect(s.truncated).toBe(true);
    expect(s.errors.map((e) => e.line)).toEqual(Array.from({ length: 10 }, (_, i) => i + 3));
  });

  it("errors carry file, line, kind, field path and message separately", () => {
    const s = validateLogBuffer(invalid[0]!.text() as string, { zones: ZONES, displayName: "x.jsonl" });
    expect(s.errors[0]).toMatchObject({ file: "x.jsonl", line: procLine - 1, kind: "CreateProcess", path: "streams[1]" });
  });
});

describe("the file path", () => {
  it("rejects a file with a BOM, invalid UTF-8, or nothing, naming the file and line", async () => {
    for (const c of invalid.filter((x) => ["a BOM", "invalid UTF-8", "an empty file"].includes(x.name))) {
      const f = tmpFile(`${c.name.replace(/\W+/g, "-")}.jsonl`, c.text());
      const s = await validateLogFile(f, { zones: ZONES, displayName: "SpiveProdBootstrap.jsonl" });
      expect(s.errors.map(formatLogError).sort()).toEqual(c.errors.slice().sort());
    }
  });

  it("rejects a 10 MB line by its length without holding it, and goes on after it", async () => {
    const huge = `{"kind":"CreateType","name":"${"A".repeat(10 * 1024 * 1024)}"}`;
    const f = tmpFile("huge.jsonl", variant((l) => [...l.slice(0, 2), huge, ...l.slice(2)]));
    const s = await validateLogFile(f, { zones: ZONES, displayName: "big.jsonl" });
    expect(s.errors.map(formatLogError)).toEqual([`big.jsonl:3: expected a line of at most 1048576 bytes, found ${huge.length} bytes`]);
    expect(s.lines).toBe(committed.length + 1);
  });

  it("splits lines across read chunks correctly", async () => {
    const many = variant((l) => [
      ...l.slice(0, -1),
      ...Array.from({ length: 5000 }, (_, i) => JSON.stringify({ kind: "CreateInstance", id: `spive-prod0-x-${i}`, process: "SpiveProd0", zone: ZONES[i % 2], args: ["é".repeat(i % 7)] })),
      l[l.length - 1]!,
    ]);
    const s = await validateLogFile(tmpFile("many.jsonl", many), { zones: ZONES });
    expect(s.errors).toEqual([]);
    expect(s.state.instances.size).toBe(5002);
    expect(s.state.instances.get("spive-prod0-x-4999")).toMatchObject({ zone: "europe-west1-c", args: ["é".repeat(4999 % 7)], position: committed.length + 4999 });
  });

  it("says so when the file cannot be read", async () => {
    await expect(validateLogFile(path.join(tmp, "missing.jsonl"), { zones: ZONES })).rejects.toThrow(/^Cannot read the bootstrap log .*missing\.jsonl: ENOENT.*expected a readable file\.$/);
  });

  it("assertLogValid throws one error listing every problem", async () => {
    const f = tmpFile("two.jsonl", invalid.find((x) => x.name === "a core type created again")!.text());
    const err = await assertLogValid(f, ZONES).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogValidationError);
    expect((err as Error).message.split("\n")[0]).toMatch(/^Invalid bootstrap log .*two\.jsonl \(2 errors\):$/);
    expect((err as LogValidationError).errors).toHaveLength(2);
  });

  it("readLogEvents stops at the first malformed line with its location", async () => {
    const f = tmpFile("bad-shape.jsonl", invalid.find((x) => x.name === "an unknown field")!.text());
    const seen: number[] = [];
    const err = await (async () => {
      for await (const e of readLogEvents(f, { displayName: "b.jsonl" })) seen.push(e.position);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1]);
    expect((err as Error).message).toBe('Invalid bootstrap log b.jsonl: b.jsonl:2 CreateType.colour: unknown field "colour"; expected only the fields kind, name, extension');
  });
});

describe("the reducer", () => {
  const events = committed.map((l) => JSON.parse(l) as BootstrapEvent);

  it("folds events one by one without changing its input, and agrees with reduceLog", () => {
    let state = emptyState();
    const snapshots: string[] = [];
    for (const e of events) {
      const before = JSON.stringify([...state.instances.keys(), state.types.size, state.gateways.size, state.streams.size, state.processes.size, state.position]);
      const next = reduceEvent(state, e);
      expect(JSON.stringify([...state.instances.keys(), state.types.size, state.gateways.size, state.streams.size, state.processes.size, state.position])).toBe(before);
      snapshots.push(before);
      state = next;
    }
    const whole = reduceLog(events);
    expect([...state.instances.values()]).toEqual([...whole.instances.values()]);
    expect([...state.types.entries()]).toEqual([...whole.types.entries()]);
    expect(state.position).toBe(events.length);
    expect(whole.endPosition).toBe(events.length);
    expect(new Set(snapshots).size).toBe(events.length);
  });

  it("keeps the first creation of a duplicated id", () => {
    const inst = events.find((e) => e.kind === "CreateInstance")!;
    const again = { ...inst, zone: "europe-west1-c", args: ["--other"] } as BootstrapEvent;
    for (const state of [reduceLog([...events, again]), [...events, again].reduce((s, e) => reduceEvent(s, e), emptyState())]) {
      expect(state.instances.size).toBe(2);
      expect(state.instances.get((inst as { id: string }).id)).toMatchObject({ zone: "europe-west1-b", position: firstInstance });
    }
  });

  it("reduceValidLog validates the events it reduces", () => {
    expect(reduceValidLog(events, { zones: ZONES }).instances.size).toBe(2);
    expect(() => reduceValidLog(events.slice(1), { zones: ZONES })).toThrow("Invalid bootstrap log (events): (events):1 CreateType: expected a Header event on line 1, found a CreateType event");
  });
});
