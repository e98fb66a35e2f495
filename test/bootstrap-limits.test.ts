import * as http from "node:http";
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialFor, tokenAuthenticator, writeInstallationToken } from "../bootstrap/contracts/auth";
import { httpRunnerClient } from "../bootstrap/contracts/clients";
import { jsonBytes, LINUX_MAX_ARG_STRLEN, MAX_INSTANCE_ARGS_BYTES, MAX_REQUEST_BODY_BYTES } from "../bootstrap/contracts/limits";
import { escapeUnsafe } from "../bootstrap/contracts/text";
import { formatLogError } from "../bootstrap/log/errors";
import { DEFAULT_LOG_FILE, validateLogBuffer } from "../bootstrap/log/validate";
import { EventStoreDouble } from "../doubles/event-store";
import { RunnerHostDouble } from "../doubles/runner-host";

/**
 * Issue 13, must-have 4: the validator's limits agree with what the runner
 * API and the OS can carry, duplicate keys are errors, control and bidi
 * characters are refused and shown escaped, and the doubles answer 413 and
 * 400 instead of resetting the connection or failing with 500.
 */

const ZONES = ["europe-west1-b", "europe-west1-c"];
const committed = fs.readFileSync(DEFAULT_LOG_FILE, "utf8").trimEnd().split("\n");
const instanceLine = committed.findIndex((l) => l.includes('"kind":"CreateInstance"'));
const gatewayLine = committed.findIndex((l) => l.includes('"kind":"CreateGateway"'));

/** The committed log with line `index` (0-based) replaced. */
function withLine(index: number, line: string): string {
  const lines = committed.slice();
  lines[index] = line;
  return `${lines.join("\n")}\n`;
}

/** The committed log's first instance with `args`. */
function withArgs(args: unknown): string {
  const event = JSON.parse(committed[instanceLine]!) as Record<string, unknown>;
  return withLine(instanceLine, JSON.stringify({ ...event, args }));
}

function errors(text: string): string[] {
  return validateLogBuffer(text, { zones: ZONES, displayName: "SpiveProdBootstrap.jsonl" }).errors.map(formatLogError);
}

/** The errors of the committed log's first instance line (a rejected instance also leaves its zone without one, reported on its process). */
function instanceErrors(text: string): string[] {
  return errors(text).filter((e) => e.startsWith(`SpiveProdBootstrap.jsonl:${instanceLine + 1} `));
}

/** ASCII args whose JSON array takes exactly `bytes` bytes, in strings of at most 4096 characters. */
function argsOfBytes(bytes: number): string[] {
  const args: string[] = [];
  let size = 2; // []
  while (size < bytes) {
    const overhead = args.length === 0 ? 2 : 3; // quotes, and a comma after the first
    const len = Math.min(4096, bytes - size - overhead);
    args.push("a".repeat(len));
    size += len + overhead;
  }
  expect(jsonBytes(args)).toBe(bytes);
  return args;
}

const tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-limits-token-"));
const token = writeInstallationToken(tokenDir);
const auth = tokenAuthenticator(token.token);
const cred = credentialFor({ kind: "token-file", file: token.file });
afterAll(() => fs.rmSync(tokenDir, { recursive: true, force: true }));

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

describe("the validator's limits are the transport's", () => {
  it("derives the args budget from the runner body limit and Linux's MAX_ARG_STRLEN", () => {
    expect(MAX_INSTANCE_ARGS_BYTES).toBeLessThan(MAX_REQUEST_BODY_BYTES);
    expect(MAX_INSTANCE_ARGS_BYTES + "SPIVE_INSTANCE_ARGS=".length + 1).toBeLessThanOrEqual(LINUX_MAX_ARG_STRLEN);
  });

  it.each([
    ["40 args of 4000 characters (past Linux's argument-string limit)", 40, 4000],
    ["64 args of 4096 characters (past the runner's body limit)", 64, 4096],
  ])("rejects %s, naming the limit and the size", (_what, count, length) => {
    const args = Array.from({ length: count }, () => "x".repeat(length));
    const errs = instanceErrors(withArgs(args));
    expect(errs).toEqual([
      `SpiveProdBootstrap.jsonl:${instanceLine + 1} CreateInstance.args: expected args of at most ${MAX_INSTANCE_ARGS_BYTES} bytes as JSON (the runner API's body limit and Linux's argument-string limit, docs/contracts.md), found ${jsonBytes(args)} bytes`,
    ]);
  });

  it("rejects a gateway config past the same budget", () => {
    const event = JSON.parse(committed[gatewayLine]!) as Record<string, unknown>;
    const config = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v".repeat(4000)]));
    const errs = errors(withLine(gatewayLine, JSON.stringify({ ...event, config })));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain(`CreateGateway.config: expected a config of at most ${MAX_INSTANCE_ARGS_BYTES} bytes as JSON`);
  });

  it("accepts args exactly at the budget, and the runner double carries them to a running instance", async () => {
    const args = argsOfBytes(MAX_INSTANCE_ARGS_BYTES);
    expect(errors(withArgs(args))).toEqual([]);
    expect(instanceErrors(withArgs(argsOfBytes(MAX_INSTANCE_ARGS_BYTES + 1)))).toHaveLength(1);
    const runner = new RunnerHostDouble({ name: "limits", zones: ZONES, stopGraceMs: 500, auth });
    const url = await runner.start();
    try {
      const res = await httpRunnerClient(url, cred).start("at-the-limit", { process: "SpiveProd0", zone: ZONES[0]!, args }, { timeoutMs: 30_000 });
      expect(res.created).toBe(true);
      expect(res.instance.args).toEqual(args);
      const listed = await httpRunnerClient(url, cred).list({ timeoutMs: 30_000 });
      // The process really started (no E2BIG): it is alive with a pid.
      expect(listed.instances.find((i) => i.id === "at-the-limit")).toMatchObject({ state: "running" });
      expect(runner.livePids()).toHaveLength(1);
    } finally {
      await runner.close();
    }
  }, 60_000);
});

describe("duplicate keys", () => {
  it("are an error naming the key, at the top level", () => {
    const line = committed[instanceLine]!.replace('"kind":"CreateInstance",', '"kind":"CreateInstance","zone":"europe-west1-b",');
    expect(line).not.toBe(committed[instanceLine]);
    const errs = errors(withLine(instanceLine, line));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(new RegExp(`^SpiveProdBootstrap\\.jsonl:${instanceLine + 1} CreateInstance\\.zone: duplicate key "zone" \\(at columns \\d+ and \\d+\\); expected each key once`));
  });

  it("are an error naming the key inside a nested object, also when written with escapes", () => {
    const line = committed[gatewayLine]!.replace('"version":', '"\\u0076ersion":"1.0.0","version":');
    const errs = errors(withLine(gatewayLine, line));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain('CreateGateway.extension.version: duplicate key "version"');
  });

  it("are found on line 1 too, and colons inside strings are not mistaken for keys", () => {
    const header = committed[0]!.replace('"layer":"prod0"', '"layer":"prod0","layer":"prod1"');
    expect(errors(withLine(0, header))[0]).toContain('SpiveProdBootstrap.jsonl:1 Header.layer: duplicate key "layer"');
    expect(errors(withArgs(["--a=b:c", '"x":"y"', "\\\\:"]))).toEqual([]);
  });
});

describe("control and bidi characters", () => {
  it.each([
    ["NUL", "\u0000"],
    ["escape", "\u001b[2J"],
    ["right-to-left override", "\u202e"],
    ["first-strong isolate", "\u2068"],
    ["C1 control", "\u0085"],
  ])("rejects a %s in an arg and shows it escaped", (_what, bad) => {
    const errs = instanceErrors(withArgs(["--ok", `--name=${bad}evil`]));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain(`CreateInstance.args[1]: expected text without control or bidirectional-formatting characters`);
    expect(errs[0]).toContain(escapeUnsafe(bad));
    expect(errs[0]).not.toMatch(UNSAFE);
  });

  it("shows a file name with a bidi override escaped in every error", () => {
    const summary = validateLogBuffer(withArgs(["a\u0000"]), { zones: ZONES, displayName: "log\u202etxt.jsonl" });
    expect(summary.errors.length).toBeGreaterThan(0);
    for (const e of summary.errors.map(formatLogError)) {
      expect(e.startsWith("log\\u202etxt.jsonl:")).toBe(true);
      expect(e).not.toMatch(UNSAFE);
    }
  });

  it("rejects them in a gateway config value and escapes them in unknown keys and JSON errors", () => {
    const event = JSON.parse(committed[gatewayLine]!) as Record<string, unknown>;
    const config = withLine(gatewayLine, JSON.stringify({ ...event, config: { tablePrefix: "prod\u202e0" } }));
    const cfgErrs = errors(config);
    expect(cfgErrs).toHaveLength(1);
    expect(cfgErrs[0]).toContain("CreateGateway.config.tablePrefix: expected text without control or bidirectional-formatting characters");
    const key = withLine(gatewayLine, JSON.stringify({ ...event, "note\u202e": 1 }));
    const bad = withLine(gatewayLine, `{"kind":"CreateGateway" \u2067}`);
    for (const e of [...cfgErrs, ...errors(key), ...errors(bad)]) expect(e).not.toMatch(UNSAFE);
    expect(errors(key).join("\n")).toContain("note\\u202e");
  });
});

describe("the doubles' answers at the limits", () => {
  const runner = new RunnerHostDouble({ name: "limits-http", zones: ZONES, stopGraceMs: 500, auth });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-limits-"));
  const store = new EventStoreDouble(dir, auth);
  let runnerUrl = "";
  let storeUrl = "";
  beforeAll(async () => {
    runnerUrl = await runner.start();
    storeUrl = await store.start();
  });
  afterAll(async () => {
    await runner.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One raw request; resolves with the status and the parsed body (a reset rejects). */
  function raw(base: string, method: string, pathname: string, body?: Buffer): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(pathname, base), { method, agent: false, headers: { authorization: `Bearer ${token.token}`, ...(body ? { "content-type": "application/json", "content-length": body.length } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, text });
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error("test: no answer within 30 s")));
      req.on("error", reject);
      req.end(body);
    });
  }

  it("answers 413 with the limit to a body past it (not a reset)", async () => {
    const args = Array.from({ length: 64 }, () => "x".repeat(4096));
    const body = Buffer.from(JSON.stringify({ process: "SpiveProd0", zone: ZONES[0], args }));
    expect(body.length).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    const res = await raw(runnerUrl, "PUT", "/v1/instances/too-big", body);
    expect(res.status).toBe(413);
    expect(res.body.limitBytes).toBe(MAX_REQUEST_BODY_BYTES);
    expect(res.body.error).toBe(`The request body is ${body.length} bytes; the limit is ${MAX_REQUEST_BODY_BYTES} bytes (docs/contracts.md).`);
  }, 60_000);

  it("refuses args past the budget and a NUL in args with 400, before starting anything", async () => {
    const big = await raw(runnerUrl, "PUT", "/v1/instances/big-args", Buffer.from(JSON.stringify({ process: "SpiveProd0", zone: ZONES[0], args: Array.from({ length: 40 }, () => "x".repeat(4000)) })));
    expect(big.status).toBe(400);
    expect(big.body.error).toContain(`args of at most ${MAX_INSTANCE_ARGS_BYTES} bytes as JSON`);
    const nul = await raw(runnerUrl, "PUT", "/v1/instances/nul-arg", Buffer.from(JSON.stringify({ process: "SpiveProd0", zone: ZONES[0], args: ["a\u0000b"] })));
    expect(nul.status).toBe(400);
    expect(runner.livePids()).toEqual([]);
  }, 60_000);

  it("answers 400, not 500, to malformed percent-encoding, and escapes what it echoes", async () => {
    for (const [base, p] of [
      [runnerUrl, "/v1/instances/%E0%A4%A"],
      [runnerUrl, "/v1/instances/%ZZ"],
      [storeUrl, "/v1/streams/gid%3Aprod0%2F%FF"],
    ] as const) {
      const res = await raw(base, p.startsWith("/v1/streams") ? "PUT" : "DELETE", p, p.startsWith("/v1/streams") ? Buffer.from('{"store":"X","durable":true}') : undefined);
      expect(res.status, p).toBe(400);
      expect(String(res.body.error), p).toContain("is not valid percent-encoding");
    }
    const bidi = await raw(runnerUrl, "DELETE", `/v1/instances/${encodeURIComponent("abc\u202edef")}`);
    expect(bidi.status).toBe(400);
    expect(bidi.text).not.toMatch(UNSAFE);
    expect(String(bidi.body.error)).toContain("abc\\u202edef");
  }, 60_000);

  it("stores only gids of the log's pattern", async () => {
    const bad = await raw(storeUrl, "PUT", `/v1/streams/${encodeURIComponent("anything at all")}`, Buffer.from('{"store":"LocalEventStoreGateway","durable":true}'));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("is not a stream gid; expected gid:<layer>/<segment>");
    const good = await raw(storeUrl, "PUT", `/v1/streams/${encodeURIComponent("gid:prod0/limits")}`, Buffer.from('{"store":"LocalEventStoreGateway","durable":true}'));
    expect(good.status).toBe(201);
  }, 60_000);
});
