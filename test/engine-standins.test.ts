import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { changedPaths, decide, envNumber, parseGoDuration, readJournal, StandInCloud, UNKNOWN } from "../engine/standins/cloud";
import { requiredPlugins } from "../engine/langhost/main";
import { BEHAVIOURS, splitUrn } from "../engine/standins/packages";
import { standInProvider } from "../engine/standins/main";
import { cloudOpsSince, engineSummary, summaryResources } from "../engine/rehearse";
import { engineInstalled } from "./helpers/engine";
import { REPLACE_ON } from "../plan/replace-on";
import { evaluateStack } from "../plan/stack";

/**
 * The stand-in clouds and the rehearsal's parsing, without the engine (the
 * engine suite, npm run test:engine, drives them through the real one).
 */

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "spive-standin-test-"));
const URN = (type: string, name: string) => `urn:pulumi:prod1::spive-infra::spive:layer:GkeRegion$${type}::${name}`;

describe("update or replace, from the committed REPLACE_ON table", () => {
  it("lists every changed leaf, arrays by index, secrets by value, unknowns as changed", () => {
    expect(changedPaths({ a: { b: [1, 2] }, c: "x" }, { a: { b: [1, 3] }, c: "x" })).toEqual(["a.b[1]"]);
    const secret = (v: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: v });
    expect(changedPaths({ k: secret("s") }, { k: secret("s") })).toEqual([]);
    expect(changedPaths({ k: "a" }, { k: UNKNOWN })).toEqual(["k"]);
  });

  it("replaces a Deployment whose selector changes and updates one whose image changes", () => {
    const dep = { metadata: { name: "d", namespace: "spive" }, spec: { selector: { matchLabels: { app: "a" } }, template: { spec: { containers: [{ image: "i:1" }] } } } };
    const image = structuredClone(dep);
    image.spec.template.spec.containers[0]!.image = "i:2";
    expect(decide("kubernetes:apps/v1:Deployment", dep, image)).toEqual({ changed: ["spec.template.spec.containers[0].image"], replaces: [] });
    const selector = structuredClone(dep);
    selector.spec.selector.matchLabels.app = "b";
    expect(decide("kubernetes:apps/v1:Deployment", dep, selector).replaces).toEqual(["spec.selector"]);
  });

  it("replaces a bake Sleep when its triggers change, not when only its duration does", () => {
    expect(decide("time:index/sleep:Sleep", { createDuration: "300s", triggers: { version: "1" } }, { createDuration: "300s", triggers: { version: "2" } }).replaces).toEqual(["triggers"]);
    expect(decide("time:index/sleep:Sleep", { createDuration: "300s", triggers: { version: "1" } }, { createDuration: "600s", triggers: { version: "1" } }).replaces).toEqual([]);
  });

  it("names a table entry for every provider type the stacks declare", async () => {
    const types = new Set<string>();
    for (const stack of ["prod0", "prod2"]) {
      const ev = await evaluateStack(stack, { preview: true });
      for (const r of ev.resources) if (r.custom && !r.read && !r.type.startsWith("pulumi:")) types.add(r.type);
    }
    expect(types.size).toBeGreaterThan(30);
    expect([...types].filter((t) => !(t in REPLACE_ON))).toEqual([]);
  }, 120_000);
});

describe("the stand-in cloud", () => {
  it("keeps state across provider processes through its journal and journals every operation with its start and end", async () => {
    const dir = tmp();
    try {
      const p1 = standInProvider("gcp", "9.37.0", dir, {});
      const urn = URN("gcp:container/cluster:Cluster", "spive-prod1-europe-west1");
      const inputs = { project: "spive-prod1", name: "spive-prod1-europe-west1", location: "europe-west1", releaseChannel: { channel: "REGULAR" } };
      const created = await p1.create!(urn, inputs);
      expect(created.id).toBe("projects/spive-prod1/locations/europe-west1/clusters/spive-prod1-europe-west1");
      expect(created.outs.endpoint).toMatch(/^10\.\d+\.0\.2$/);
      expect(created.outs.selfLink).toContain("spive-prod1-europe-west1");
      // A new process (a later pulumi run) sees the cluster and diffs against its recorded inputs, not the outputs.
      const p2 = standInProvider("gcp", "9.37.0", dir, {});
      expect(await p2.diff!(created.id, urn, created.outs, inputs)).toMatchObject({ changes: false, replaces: [] });
      expect(await p2.diff!(created.id, urn, created.outs, { ...inputs, releaseChannel: { channel: "STABLE" } })).toMatchObject({ changes: true, replaces: [] });
      expect(await p2.diff!(created.id, urn, created.outs, { ...inputs, location: "us-central1" })).toMatchObject({ changes: true, replaces: ["location"] });
      // A second object with the same name is refused, as the API does (409).
      await expect(p2.create!(URN("gcp:container/cluster:Cluster", "other"), inputs)).rejects.toThrow(/409/);
      await p2.delete!(created.id, urn, created.outs);
      const j = readJournal(path.join(dir, "journal.jsonl"));
      expect(j.map((e) => `${e.pkg} ${e.op}`)).toEqual(["gcp create", "gcp delete"]);
      for (const e of j) expect(e.endMs).toBeGreaterThanOrEqual(e.startMs);
      expect(cloudOpsSince(j, 0)).toEqual({ "gcp create": 1, "gcp delete": 1 });
      expect(new StandInCloud("gcp", dir).all().size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers gcp:dns/getKeys with the DS record the offline plan uses, and refuses an unknown invoke by name", async () => {
    const { mockDsRecord } = await import("../plan/recorder");
    const keys = BEHAVIOURS.gcp.invoke("gcp:dns/getKeys:getKeys", { managedZone: "spive-prod2-public-zone", project: "p" }) as { keySigningKeys: { dsRecord: string }[] };
    expect(keys.keySigningKeys[0]!.dsRecord).toBe(mockDsRecord("spive-prod2-public-zone"));
    expect(() => BEHAVIOURS.gcp.invoke("gcp:compute/getZones:getZones", {})).toThrow(/getZones/);
  });

  it("really sleeps for a time:Sleep, scaled, and rolls a Deployment out for the configured time", async () => {
    const t0 = Date.now();
    await BEHAVIOURS.time.delay("create", "time:index/sleep:Sleep", { createDuration: "100s" }, { SPIVE_STANDIN_TIME_SCALE: "0.002" });
    const slept = Date.now() - t0;
    expect(slept).toBeGreaterThanOrEqual(195);
    const t1 = Date.now();
    await BEHAVIOURS.kubernetes.delay("update", "kubernetes:apps/v1:Deployment", {}, { SPIVE_STANDIN_ROLLOUT_MS: "50" });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(45);
    expect(parseGoDuration("1h30m5s", "x")).toBe(5_405_000);
    expect(() => parseGoDuration("5 minutes", "time:Sleep createDuration")).toThrow(/time:Sleep createDuration: expected a duration/);
    expect(() => envNumber({ X: "-1" }, "X", 1)).toThrow(/X: expected a non-negative number/);
  });

  it("runs a local.Command with its environment, fails with its exit status, and deletes a named Kubernetes object before replacing it", async () => {
    const dir = tmp();
    try {
      const p = standInProvider("command", "1.2.1", dir, { PATH: process.env.PATH });
      const urn = "urn:pulumi:prod0::spive-infra::command:local:Command::run";
      const ok = await p.create!(urn, { create: "echo hello $WHO", environment: { WHO: "tower" }, triggers: ["a"] });
      expect(ok.outs.stdout).toBe("hello tower");
      await expect(p.create!(urn, { create: "echo broken >&2; exit 3" })).rejects.toThrow(/exit status 3[\s\S]*broken/);
      expect(BEHAVIOURS.kubernetes.deleteBeforeReplace("kubernetes:apps/v1:Deployment", { metadata: { name: "d" } })).toBe(true);
      expect(splitUrn("urn:pulumi:s::p::a:b:C$kubernetes:apps/v1:Deployment::x")).toEqual({ type: "kubernetes:apps/v1:Deployment", name: "x" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the rehearsal's language host and summaries", () => {
  it("requests each resource plugin at the exact version its SDK asks for", () => {
    const byName = Object.fromEntries(requiredPlugins(path.join(__dirname, "..")).map((p) => [p.name, p.version]));
    expect(byName).toMatchObject({ gcp: "9.37.0", kubernetes: "4.34.2", time: "0.1.1", command: "1.2.1" });
  });

  it("reads the engine's Resources summary", () => {
    const out = "Outputs:\n    x: 1\n\nResources:\n    + 3 created\n    ~ 2 updated\n    +-1 replaced\n    10 unchanged\n\nDuration: 5s\n";
    expect(engineSummary(out)).toEqual(["+ 3 created", "~ 2 updated", "+-1 replaced", "10 unchanged"]);
    expect(summaryResources(engineSummary(out))).toBe(16);
  });

  it("says visibly whether the engine suite will run here", () => {
    // npm run test:engine runs the engine suite; this only checks the switch works both ways.
    const saved = process.env.SPIVE_ENGINE_BIN;
    const savedRequire = process.env.SPIVE_REQUIRE_ENGINE;
    process.env.SPIVE_ENGINE_BIN = path.join(os.tmpdir(), "spive-no-engine-here");
    delete process.env.SPIVE_REQUIRE_ENGINE;
    try {
      expect(engineInstalled()).toBe(false);
      process.env.SPIVE_REQUIRE_ENGINE = "1";
      expect(() => engineInstalled()).toThrow(/SPIVE_REQUIRE_ENGINE=1 but the real Pulumi engine is not installed/);
    } finally {
      if (savedRequire === undefined) delete process.env.SPIVE_REQUIRE_ENGINE;
      else process.env.SPIVE_REQUIRE_ENGINE = savedRequire;
      if (saved === undefined) delete process.env.SPIVE_ENGINE_BIN;
      else process.env.SPIVE_ENGINE_BIN = saved;
    }
  });
});

describe("the policy pack's stack rules under the real engine", () => {
  it("do not judge a resource the engine hands back with no properties (its provider's configuration is not known in the preview)", async () => {
    const { toPolicy } = await import("../policy/policies");
    const { k8sMinReplicas } = await import("../policy/rules/kubernetes");
    const policy = toPolicy(k8sMinReplicas) as { validateStack: (args: unknown, report: (m: string) => void) => void };
    const urn = "urn:pulumi:prod1::spive-infra::spive:layer:GkeRegion$spive:layer:SpiveWorkload$kubernetes:apps/v1:Deployment::spive-prod1-s0-europe-west1-b";
    const found: string[] = [];
    policy.validateStack({ resources: [{ urn, type: "kubernetes:apps/v1:Deployment", name: "spive-prod1-s0-europe-west1-b", props: {} }] }, (m) => found.push(m));
    expect(found).toEqual([]);
    policy.validateStack({ resources: [{ urn, type: "kubernetes:apps/v1:Deployment", name: "spive-prod1-s0-europe-west1-b", props: { metadata: { name: "d", namespace: "spive" }, spec: { replicas: 1 } } }] }, (m) => found.push(m));
    expect(found.join("\n")).toMatch(/expected at least 2 replicas, got 1/);
  });
});
