import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installationStatus } from "../../bootstrap/driver/status";
import { readDevState } from "../../doubles/dev";
import { doublesDown, doublesUp } from "../../engine/rehearse";
import { initStack, stopStandIns } from "../../engine/workspace";
import { editStack, engineInstalled, output, prepareSuite, theEngine, type Suite } from "../helpers/engine";

/**
 * The mission's promises on the real Pulumi engine (docs/real-engine.md):
 * one deployment history on a file backend with stand-in clouds, step by
 * step. Runs with `npm run test:engine` (CI: .ci/run, with
 * SPIVE_REQUIRE_ENGINE=1 so a missing engine fails instead of skipping).
 */

const installed = engineInstalled();
const POLICY = ["--policy-pack", "policy"];
const runId = (n: number) => ({ SPIVE_BOOTSTRAP_RUN_ID: `engine-suite-run-${n}` });

describe.skipIf(!installed)("the tower on the real Pulumi engine", () => {
  let s: Suite;
  const logFile = () => path.join(s.project, "SpiveProdBootstrap.jsonl");
  const logInstances = () =>
    fs
      .readFileSync(logFile(), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as { kind: string; id?: string })
      .filter((e) => e.kind === "CreateInstance")
      .map((e) => e.id!)
      .sort();
  const devInstances = async () => {
    const state = readDevState("dev-0", s.ws.doublesDir);
    if (!state) throw new Error("the dev-0 doubles of the suite are not running");
    const st = await installationStatus(state.binding);
    expect(st.hosts.every((h) => h.reachable)).toBe(true);
    return st.instances.filter((i) => i.state === "running").map((i) => i.id).sort();
  };
  const commandOps = () => s.journal().filter((e) => e.pkg === "command");

  beforeAll(async () => {
    s = await prepareSuite(await theEngine(), { prod1: ["europe-west1", "us-central1"], prod2: ["europe-west1"], prod3: ["europe-west1"] });
    for (const stack of ["prod0", "prod1", "prod2", "prod3"]) await initStack(s.ws, s.project, stack);
    await doublesUp(s.ws, s.project);
  }, 300_000);

  afterAll(async () => {
    if (!s) return;
    await doublesDown(s.ws, s.project).catch(() => undefined);
    stopStandIns(s.ws);
    if (process.env.SPIVE_KEEP_ENGINE_SUITE !== "1") fs.rmSync(s.ws.root, { recursive: true, force: true });
    else process.stderr.write(`engine suite kept in ${s.ws.root}\n`);
  });

  it("pulumi preview -s prod0 fails before anything when the bootstrap log is invalid", async () => {
    const good = fs.readFileSync(logFile(), "utf8");
    const lines = good.trimEnd().split("\n").length;
    fs.writeFileSync(logFile(), `${good.trimEnd()}\n{"kind":"CreateInstance","id":"x"}\n`);
    try {
      const r = await s.pulumi(["preview", "-s", "prod0"]);
      expect(r.code, output(r)).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`SpiveProdBootstrap\\.jsonl:${lines + 1}`));
      expect(s.journal(), "nothing may be created").toEqual([]);
    } finally {
      fs.writeFileSync(logFile(), good);
    }
  }, 600_000);

  it("pulumi preview -s prod0 runs the policy pack and no bootstrap: the doubles see no call", async () => {
    const r = await s.pulumi(["preview", "-s", "prod0", ...POLICY], runId(0));
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/spive-guardrails/);
    expect(r.stdout).toMatch(/command:local:Command\s+spive-prod0-bootstrap-run\s+create/);
    expect(commandOps()).toEqual([]);
    expect(fs.existsSync(path.join(s.ws.cloudDir, "command.log"))).toBe(false);
    expect(await devInstances()).toEqual([]);
  }, 600_000);

  it("pulumi up -s prod0 runs the bootstrap through the command provider: dev-0 ends with exactly the log's instances", async () => {
    const r = await s.pulumi(["up", "-s", "prod0", "--yes", "--skip-preview"], runId(1));
    expect(r.code, output(r)).toBe(0);
    expect(commandOps().map((e) => e.op)).toEqual(["create"]);
    expect(await devInstances()).toEqual(logInstances());
  }, 600_000);

  it("a second pulumi up -s prod0 with no change runs the bootstrap again", async () => {
    const r = await s.pulumi(["up", "-s", "prod0", "--yes", "--skip-preview"], runId(2));
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/1 replaced/);
    const ops = commandOps();
    expect(ops.filter((e) => e.op === "create")).toHaveLength(2);
    expect(ops.at(-1)?.op, "the previous run's resource is deleted after its replacement ran").toBe("delete");
    expect(fs.readFileSync(path.join(s.ws.cloudDir, "command.log"), "utf8").match(/bootstrap of prod0 done/g)).toHaveLength(2);
    expect(await devInstances()).toEqual(logInstances());
  }, 600_000);

  it("a failed bootstrap fails the update and leaves the previous run recorded", async () => {
    const r = await s.pulumi(["up", "-s", "prod0", "--yes", "--skip-preview"], { ...runId(3), SPIVE_FAULT_INSTANCE: "run:fail@0.5" });
    expect(r.code, output(r)).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/bootstrap failed in phase/);
    const commands = (await s.exported("prod0")).filter((x) => x.type === "command:local:Command");
    expect(commands).toHaveLength(1);
    expect(commands[0]!.inputs?.triggers?.[0]).toBe("engine-suite-run-2");
  }, 600_000);

  it("pulumi up -s prod1, prod2, prod3 resolve the layer below through real StackReferences on the file backend", async () => {
    const prod0Email = (await s.exported("prod0")).find((x) => x.type === "pulumi:pulumi:Stack")!.outputs!.managerServiceAccountEmail as string;
    for (const [stack, below] of [["prod1", "prod0"], ["prod2", "prod1"], ["prod3", "prod2"]] as const) {
      const r = await s.pulumi(["up", "-s", stack, "--yes", "--skip-preview"]);
      expect(r.code, output(r)).toBe(0);
      const res = await s.exported(stack);
      const ref = res.find((x) => x.type === "pulumi:pulumi:StackReference");
      expect(ref?.outputs?.name).toBe(`organization/spive-infra/${below}`);
      expect(Object.keys(ref?.outputs?.outputs ?? {})).toContain("managerServiceAccountEmail");
      if (stack === "prod1") {
        const grants = res.filter((x) => x.type === "gcp:projects/iAMMember:IAMMember" && x.urn.includes("managed-by-prod0"));
        expect(grants.length).toBeGreaterThan(0);
        for (const g of grants) expect(g.inputs?.member).toBe(`serviceAccount:${prod0Email}`);
      }
    }
  }, 900_000);

  it("a version bump of prod1: the preview lists exactly the Deployments and bake steps; the update rolls out wave by wave", async () => {
    editStack(s.project, "prod1", (doc) => doc.setIn(["config", "spive:layer", "version"], "2026.12.0"));
    const p = await s.pulumi(["preview", "-s", "prod1", "--json"]);
    expect(p.code, output(p)).toBe(0);
    const steps = (JSON.parse(p.stdout) as { steps: { op: string; urn: string }[] }).steps.filter((x) => x.op !== "same" && x.op !== "read"); // every preview reads the StackReference again; it changes nothing
    const typeOf = (urn: string) => urn.split("::")[2]!.split("$").pop()!;
    const changedTypes = new Set(steps.map((x) => typeOf(x.urn)));
    expect([...changedTypes].sort()).toEqual(["kubernetes:apps/v1:Deployment", "time:index/sleep:Sleep"]);
    const deployments = (await s.exported("prod1")).filter((x) => x.type === "kubernetes:apps/v1:Deployment");
    expect(steps.filter((x) => typeOf(x.urn) === "kubernetes:apps/v1:Deployment" && x.op === "update").map((x) => x.urn).sort()).toEqual(deployments.map((d) => d.urn).sort());
    expect(steps.filter((x) => typeOf(x.urn) === "time:index/sleep:Sleep").every((x) => /replace/.test(x.op))).toBe(true);

    const since = Date.now();
    const r = await s.pulumi(["up", "-s", "prod1", "--yes", "--skip-preview"]);
    expect(r.code, output(r)).toBe(0);
    const entries = s.journal().filter((e) => e.startMs >= since);
    const updates = entries.filter((e) => e.type === "kubernetes:apps/v1:Deployment" && e.op === "update");
    expect(updates).toHaveLength(deployments.length);
    const waveOf = (e: (typeof updates)[number]) => Number(e.inputs!.metadata.labels["spive.dev/wave"]);
    const waves = [...new Set(updates.map(waveOf))].sort((a, b) => a - b);
    expect(waves.length).toBeGreaterThan(1);
    const bakes = entries.filter((e) => e.type === "time:index/sleep:Sleep" && e.op === "create");
    for (const w of waves.slice(1)) {
      const prevEnd = Math.max(...updates.filter((e) => waveOf(e) === w - 1).map((e) => e.endMs));
      const start = Math.min(...updates.filter((e) => waveOf(e) === w).map((e) => e.startMs));
      const bake = bakes.find((b) => b.urn.endsWith(`-bake-after-wave-${w - 1}`));
      expect(start, `wave ${w} starts after wave ${w - 1} finished`).toBeGreaterThanOrEqual(prevEnd);
      if (bake) {
        expect(bake.startMs, `the bake after wave ${w - 1} starts after it`).toBeGreaterThanOrEqual(prevEnd);
        expect(start, `wave ${w} starts after the bake`).toBeGreaterThanOrEqual(bake.endMs);
      }
    }
  }, 900_000);

  it("removing a region from prod1 is refused by protect until the documented retirement step", async () => {
    const stackFile = path.join(s.project, "stacks", "Pulumi.prod1.yaml");
    const before = fs.readFileSync(stackFile, "utf8");
    editStack(s.project, "prod1", (doc) => {
      const regions = (doc.getIn(["config", "spive:layer", "regions"]) as { toJSON(): { name: string }[] }).toJSON();
      doc.setIn(["config", "spive:layer", "regions"], regions.filter((r) => r.name !== "us-central1"));
    });
    const r = await s.pulumi(["up", "-s", "prod1", "--yes", "--skip-preview"]);
    expect(r.code, output(r)).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/protected/);
    const clusters = (await s.exported("prod1")).filter((x) => x.type === "gcp:container/cluster:Cluster");
    expect(clusters.map((c) => c.inputs?.location).sort()).toEqual(["europe-west1", "us-central1"]);

    // The retirement step of docs/adding-a-region.md: list the region in
    // spive:layer.retiringRegions (keeping it in regions) and deploy, which lifts
    // `protect` and deletion protection from that region's cluster only; then
    // the config change that removes it applies.
    fs.writeFileSync(stackFile, before);
    editStack(s.project, "prod1", (doc) => {
      doc.setIn(["config", "spive:layer", "retiringRegions"], ["us-central1"]);
    });
    try {
      const lift = await s.pulumi(["up", "-s", "prod1", "--yes", "--skip-preview"]);
      expect(lift.code, output(lift)).toBe(0);
      const urn = clusters.find((c) => c.inputs?.location === "us-central1")!.urn;
      const lifted = (await s.exported("prod1")).filter((x) => x.type === "gcp:container/cluster:Cluster");
      expect(lifted.find((c) => c.urn === urn)?.inputs?.deletionProtection).toBe(false);
      expect(lifted.find((c) => c.inputs?.location === "europe-west1")?.inputs?.deletionProtection).not.toBe(false);
      editStack(s.project, "prod1", (doc) => {
        doc.deleteIn(["config", "spive:layer", "retiringRegions"]);
        const regions = (doc.getIn(["config", "spive:layer", "regions"]) as { toJSON(): { name: string }[] }).toJSON();
        doc.setIn(["config", "spive:layer", "regions"], regions.filter((r) => r.name !== "us-central1"));
      });
      const retire = await s.pulumi(["up", "-s", "prod1", "--yes", "--skip-preview"]);
      expect(retire.code, output(retire)).toBe(0);
      const left = (await s.exported("prod1")).filter((x) => x.type === "gcp:container/cluster:Cluster");
      expect(left.map((c) => c.inputs?.location)).toEqual(["europe-west1"]);
      expect(s.journal().some((e) => e.op === "delete" && e.urn === urn)).toBe(true);
    } finally {
      fs.writeFileSync(stackFile, before);
    }
  }, 900_000);

  it("the policy pack runs inside the real engine's preview and a violating change fails it", async () => {
    const file = path.join(s.project, "layers", "components", "gke-region.ts");
    const good = fs.readFileSync(file, "utf8");
    expect(good).toContain("deletionProtection: !args.retiring,");
    // A cluster of a region that is not retiring loses its deletion protection.
    fs.writeFileSync(file, good.replace("deletionProtection: !args.retiring,", "deletionProtection: false,"));
    try {
      const r = await s.pulumi(["preview", "-s", "prod1", ...POLICY]);
      expect(r.code, output(r)).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/deletion-protection/);
    } finally {
      fs.writeFileSync(file, good);
    }
  }, 600_000);
});
