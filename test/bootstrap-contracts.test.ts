import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostForInstance, parseBinding, type Binding } from "../bootstrap/contracts/binding";
import { httpEventStoreClient, httpInstanceClient, httpRunnerClient } from "../bootstrap/contracts/clients";
import { ContractCallError } from "../bootstrap/contracts/http";
import { driverTimeouts } from "../bootstrap/driver/target";
import { BootstrapInstanceDouble, faultPosition, instanceFaultFor } from "../doubles/bootstrap-instance";
import { EventStoreDouble } from "../doubles/event-store";
import { generateLog } from "../doubles/generate-log";
import { RunnerHostDouble } from "../doubles/runner-host";
import { credentialFor, tokenAuthenticator, writeInstallationToken } from "../bootstrap/contracts/auth";
import { loadStackConfig } from "../config/load";

// The contracts and the doubles in one process: every runner call is
// idempotent, the event store is durable, the instance's long poll answers as
// soon as the position moves, and the binding and knobs fail with sentences.

const ZONES = ["europe-west1-b", "europe-west1-c"];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-contracts-"));
// The doubles refuse state changes without the installation's token (docs/contracts.md, Authentication).
const token = writeInstallationToken(tmp);
const auth = tokenAuthenticator(token.token);
const cred = credentialFor({ kind: "token-file", file: token.file });
const runner = new RunnerHostDouble({ name: "h0", zones: [ZONES[0]!], stopGraceMs: 500, auth });
let url: string;

beforeAll(async () => {
  url = await runner.start();
});
afterAll(async () => {
  await runner.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("runner API (double)", () => {
  it("every call is idempotent and a wipe of an empty host succeeds", async () => {
    const c = httpRunnerClient(url, cred);
    expect(await c.wipe()).toEqual({ host: "h0", deleted: 0, remaining: 0 });
    const spec = { process: "SpiveProd0", zone: ZONES[0]!, args: ["--x"] };
    const first = await c.start("a-0", spec);
    expect(first.created).toBe(true);
    expect(first.instance).toMatchObject({ id: "a-0", state: "running", host: "h0", args: ["--x"] });
    const again = await c.start("a-0", spec);
    expect(again).toEqual({ created: false, instance: first.instance });
    await expect(c.start("a-0", { ...spec, args: [] })).rejects.toThrow(/answered 409: Instance a-0 already runs on h0 with another spec/);
    await expect(c.start("a-1", { ...spec, zone: ZONES[1]! })).rejects.toThrow(/answered 422: Runner host h0 serves zone europe-west1-b; instance a-1 asks for zone europe-west1-c/);
    await expect(c.start("Not_A_Label", spec)).rejects.toThrow(/answered 400/);
    expect((await c.list()).instances.map((i) => i.id)).toEqual(["a-0"]);
    const pid = first.instance.pid!;
    expect(await c.stop("a-0")).toEqual({ id: "a-0", deleted: true });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await c.stop("a-0")).toEqual({ id: "a-0", deleted: false });
    await c.start("a-2", spec);
    expect(await c.wipe()).toEqual({ host: "h0", deleted: 1, remaining: 0 });
    expect(await c.wipe()).toEqual({ host: "h0", deleted: 0, remaining: 0 });
    expect((await c.health()).instances).toBe(0);
  });

  it("an unreachable host is reported as such, with the URL", async () => {
    const err = await httpRunnerClient("http://127.0.0.1:9").health({ timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractCallError);
    expect((err as ContractCallError).unreachable).toBe(true);
    expect((err as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/v1\/health could not reach the host/);
  });
});

describe("local event store (double)", () => {
  it("creates streams idempotently and keeps them across a restart", async () => {
    const dir = path.join(tmp, "store");
    const a = new EventStoreDouble(dir, auth);
    const c = httpEventStoreClient(await a.start(), cred);
    const s = await c.createStream("gid:prod0/spive", { store: "S", durable: true });
    expect(s.created).toBe(true);
    expect((await c.createStream("gid:prod0/spive", { store: "S", durable: true })).created).toBe(false);
    await expect(c.createStream("gid:prod0/spive", { store: "T", durable: true })).rejects.toThrow(/answered 409/);
    await a.close();
    const b = new EventStoreDouble(dir, auth);
    const c2 = httpEventStoreClient(await b.start(), cred);
    expect((await c2.list()).streams).toEqual([s.stream]);
    await b.close();
  });
});

describe("bootstrap instance API (double)", () => {
  it("long-polls: answers as soon as the position moves, and reports done at the last position", async () => {
    const log = path.join(tmp, "log.jsonl");
    fs.writeFileSync(log, generateLog({ instances: 2, zones: [ZONES[0]!] }));
    const store = new EventStoreDouble(path.join(tmp, "store-2"), auth);
    const binding: Binding = { target: "t", runnerHosts: [{ name: "h0", zones: [ZONES[0]!], url }], eventStore: { kind: "local", url: await store.start() }, gateways: {}, auth: { kind: "token-file", file: token.file } };
    const lines: string[] = [];
    const inst = new BootstrapInstanceDouble({ logFile: log, binding, listen: { host: "127.0.0.1", port: 0 }, crash: () => undefined, print: (l) => lines.push(l) });
    const c = httpInstanceClient(await inst.start());
    expect(lines[0]).toMatch(/^SPIVE_INSTANCE_LISTENING http:\/\/127\.0\.0\.1:\d+$/);
    let p = await c.progress(0, 10_000);
    expect(p.position).toBeGreaterThan(0);
    while (p.state !== "done") p = await c.progress(p.position, 10_000);
    expect(p).toMatchObject({ state: "done", position: 9, lastPosition: 9, errors: [] });
    expect(p.doneAt).not.toBeNull();
    // Terminal: a poll past the end answers at once.
    const t0 = Date.now();
    await c.progress(9, 10_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await httpRunnerClient(url, cred).list()).instances.map((i) => i.id).sort()).toEqual(["spive-prod0-0", "spive-prod0-1"]);
    await inst.close();
    await store.close();
    await httpRunnerClient(url, cred).wipe();
  });
});

describe("binding and knobs", () => {
  it("a bad binding names the source and every bad key", () => {
    expect(() => parseBinding({ target: "x", runnerHosts: [{ name: "a", zones: [], url: "ftp://x" }], eventStore: { kind: "s3" } }, "b.json")).toThrow(
      /^b\.json: the bootstrap binding is invalid: runnerHosts\[0\]\.zones: .*; runnerHosts\[0\]\.url: .*; eventStore\.kind: /,
    );
  });

  it("places every instance of a zone on one of that zone's hosts, the same one every time", () => {
    const b = parseBinding(
      { target: "x", runnerHosts: [0, 1, 2].map((i) => ({ name: `h${i}`, zones: [ZONES[i % 2]!], url: `http://127.0.0.1:${7000 + i}` })), eventStore: { kind: "local", url: "http://127.0.0.1:1" } },
      "b",
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.constantFrom(...ZONES), (id, zone) => {
        const h = hostForInstance(b, zone, id)!;
        expect(h.zones).toContain(zone);
        expect(hostForInstance(b, zone, id)).toBe(h);
      }),
    );
    expect(hostForInstance(b, "us-east1-b", "x")).toBeUndefined();
  });

  it.each([
    ["run:crash@0.5", "prod0", { kind: "crash", fraction: 0.5 }],
    ["run:crash@0.5", "dry-replay", undefined],
    ["dry-replay:hang@1", "dry-replay", { kind: "hang", fraction: 1 }],
    [undefined, "dev-0", undefined],
  ])("SPIVE_FAULT_INSTANCE=%s for target %s", (spec, target, fault) => {
    expect(instanceFaultFor(spec, target)).toEqual(fault);
  });

  it.each([
    [0.01, 20, 1],
    [0.5, 20, 10],
    [0.99, 20, 19],
    [1, 20, 20],
    [0.01, 1007, 10],
  ])("a fault at %s of a log ending at %s fires at position %s", (fraction, last, position) => {
    expect(faultPosition(fraction, last)).toBe(position);
  });

  it("rejects malformed fault knobs and timeout overrides with sentences", () => {
    expect(() => instanceFaultFor("run:explode@0.5", "x")).toThrow(/expected <run\|dry-replay>:<crash\|hang\|fail>@<fraction>/);
    expect(() => instanceFaultFor("run:crash@0", "x")).toThrow(/expected a fraction in \(0, 1\]/);
    const config = loadStackConfig("prod0")["spive:bootstrap"]!;
    expect(driverTimeouts(config, ["wait=3"]).consumeSeconds).toBe(3);
    expect(() => driverTimeouts(config, ["nap=3"])).toThrow(/--timeout: expected <phase>=<seconds> with a phase among validate, lease, dry-replay, preflight, wipe, start, wait, stop, verify/);
  });
});
