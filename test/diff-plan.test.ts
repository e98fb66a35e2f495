import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import { diffPlans, diffResource, isEmptyDiff } from "../plan/diff";
import { renderDiffMarkdown, type DiffReport } from "../plan/markdown";
import { childEnv, stackReports } from "../plan/revision";
import { snapshotOf, type PlannedResource, type PlanSnapshot } from "../plan/snapshot";
import { evaluateStack } from "../plan/stack";

type Raw = Record<string, any>;

async function plan(mutate?: (raw: Raw) => Raw): Promise<PlanSnapshot> {
  return snapshotOf("prod2", await evaluateStack("prod2", { preview: true, mutate }));
}

function report(diff: ReturnType<typeof diffPlans>): DiffReport {
  return {
    baseRef: "main",
    baseCommit: "0123456789abcdef0123",
    headLabel: "this revision (working tree)",
    stacks: [{ stack: "prod2", base: { status: "ok", resources: 1 }, head: { status: "ok", resources: 1 }, diff }],
    command: "npx spive diff prod2 --base main",
  };
}

describe("a config change shows up as exactly that change (prod2 on the mock engine)", () => {
  let base: PlanSnapshot;
  beforeAll(async () => {
    base = await plan();
  });

  it("a version bump changes exactly the resources that carry the version, and only by the version", async () => {
    const from = loadStackConfig("prod2")["spive:layer"].version;
    const to = "2099.1.0";
    const head = await plan((raw) => {
      raw["spive:layer"].version = to;
      return raw;
    });
    const d = diffPlans(base, head);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    // Exactly the resources whose base inputs mention the old version changed...
    const carriers = base.resources.filter((r) => JSON.stringify(r.inputs).includes(from)).map((r) => r.urn);
    expect(carriers.length).toBeGreaterThan(0);
    expect(d.changed.map((c) => c.urn)).toEqual(carriers);
    // ...every changed value is the old one with the version replaced, and nothing else moved.
    for (const c of d.changed) {
      for (const ch of c.changes) {
        expect(ch.before, `${c.name} ${ch.path}`).toBeDefined();
        expect(JSON.stringify(ch.after)).toBe(JSON.stringify(ch.before).split(from).join(to));
      }
    }
    expect(d.counts.find((c) => c.type === "kubernetes:apps/v1:Deployment")).toEqual({ type: "kubernetes:apps/v1:Deployment", added: 0, removed: 0, changed: 16 });
    const md = renderDiffMarkdown(report(d));
    expect(md).toContain("| `kubernetes:apps/v1:Deployment` | 0 | 0 | 16 |");
    expect(md).toContain(
      `- \`spec.template.spec.containers[0].image\`: \`"europe-docker.pkg.dev/spive-artifacts/spive/spive-prod2:${from}"\` → \`"europe-docker.pkg.dev/spive-artifacts/spive/spive-prod2:${to}"\``,
    );
  });

  it("a node pool size change changes exactly the node pools' max node count", async () => {
    const head = await plan((raw) => {
      raw["spive:layer"].nodePool.maxNodesPerZone = 12;
      return raw;
    });
    const d = diffPlans(base, head);
    expect(d.added.length + d.removed.length).toBe(0);
    expect(new Set(d.changed.map((c) => c.type))).toEqual(new Set(["gcp:container/nodePool:NodePool"]));
    expect(d.changed).toHaveLength(base.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool").length);
    for (const c of d.changed) expect(c.changes).toEqual([{ path: "autoscaling.maxNodeCount", before: 10, after: 12 }]);
  });

  it("the same revision diffs empty", () => {
    const d = diffPlans(base, structuredClone(base));
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.unchanged).toBe(base.resources.length);
    expect(renderDiffMarkdown(report(d))).toContain(`### prod2: no changes (${base.resources.length} resources)`);
  });
});

describe("resource diff rules", () => {
  const r = (name: string, inputs: Record<string, any>, extra: Partial<PlannedResource> = {}): PlannedResource => ({
    urn: `urn:pulumi:prod9::spive-infra::t:m:R::${name}`,
    type: "t:m:R",
    name,
    custom: true,
    read: false,
    protect: false,
    ignoreChanges: [],
    dependsOn: [],
    inputs,
    ...extra,
  });
  const snap = (resources: PlannedResource[]): PlanSnapshot => ({ format: "spive-plan", version: 1, stack: "prod9", resources });

  it("matches by URN: added, removed, changed (inputs and options) and unchanged", () => {
    const d = diffPlans(snap([r("a", { x: 1 }), r("b", { x: 1 }), r("c", { x: [1, 2] })]), snap([r("a", { x: 1 }, { protect: true }), r("c", { x: [1], y: "new" }), r("d", {})]));
    expect(d.added.map((x) => x.name)).toEqual(["d"]);
    expect(d.removed.map((x) => x.name)).toEqual(["b"]);
    expect(d.unchanged).toBe(0);
    expect(d.changed).toEqual([
      { urn: expect.stringContaining("::a"), type: "t:m:R", name: "a", changes: [{ path: "@protect", after: true }] },
      { urn: expect.stringContaining("::c"), type: "t:m:R", name: "c", changes: [{ path: "y", after: "new" }, { path: "x[1]", before: 2 }] },
    ]);
    expect(d.counts).toEqual([{ type: "t:m:R", added: 1, removed: 1, changed: 2 }]);
  });

  it("an absent base means every resource is added", () => {
    const d = diffPlans(undefined, snap([r("a", {}), r("b", {})]));
    expect(d.added).toHaveLength(2);
    expect(diffResource(r("a", { k: { z: 1 } }), r("a", { k: { z: 1 } }))).toEqual([]);
  });

  it("pairs the two sides: a stack absent at the base diffs against nothing, a failing side is reported without a diff", () => {
    const ok = (stack: string) => ({ stack, status: "ok" as const, snapshot: { ...snap([r("a", {})]), stack } });
    const reports = stackReports(
      ["prod0", "prod1", "prod2"],
      [{ stack: "prod0", status: "absent", reason: "this revision has no stacks/Pulumi.prod0.yaml" }, ok("prod1"), { stack: "prod2", status: "failed", error: "boom" }],
      [ok("prod0"), { stack: "prod1", status: "failed", error: "Invalid config" }, ok("prod2")],
    );
    expect(reports[0]!.diff?.added).toHaveLength(1);
    expect(reports[1]).toEqual({ stack: "prod1", base: { status: "ok", resources: 1 }, head: { status: "failed", error: "Invalid config" } });
    expect(reports[2]!.diff).toBeUndefined();
    const md = renderDiffMarkdown({ ...report(diffPlans(undefined, undefined)), stacks: reports });
    expect(md).toContain("### prod0: 1 added, 0 removed, 0 changed (0 unchanged)");
    expect(md).toContain("- Base: this revision has no stacks/Pulumi.prod0.yaml");
    expect(md).toContain("### prod1: not compared\n\n- This revision: could not be planned offline: `Invalid config`");
    expect(md).toContain("### prod2: not compared\n\n- Base: could not be planned offline: `boom`");
  });
});

describe("planning children", () => {
  it("do not inherit the variables a surrounding Pulumi run steers the runtime with", () => {
    const env = childEnv({ PATH: "/bin", PULUMI_CONFIG: "{}", PULUMI_DRY_RUN: "true", PULUMI_ACCESS_TOKEN: "kept", NODE_OPTIONS: "--max-old-space-size=4096" });
    expect(env).toEqual({ PATH: "/bin", PULUMI_ACCESS_TOKEN: "kept", NODE_OPTIONS: "--max-old-space-size=4096" });
  });
});
