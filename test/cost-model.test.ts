import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { CostConfig } from "../config/schema";
import { costDelta } from "../cost/delta";
import { estimateCost, gkeAllocatable, nodePoolNodes, parseCpu, parseMemoryGiB } from "../cost/model";
import { COST_MODELS, loadPriceTable, parsePriceTable, PRICE_TABLE_PATH, resolveRate } from "../cost/price-table";
import { costBlocks, DIFF_COMMENT_MARKER, renderDiffMarkdown, type DiffReport } from "../plan/markdown";
import type { JsonValue, PlannedResource } from "../plan/snapshot";

const table = loadPriceTable();
const defaults = CostConfig.parse({}).assumptions;

function res(type: string, name: string, inputs: Record<string, JsonValue>, extra: Partial<PlannedResource> = {}): PlannedResource {
  return { urn: `urn:pulumi:fixture::spive-infra::${type}::${name}`, type, name, custom: true, read: false, protect: false, ignoreChanges: [], dependsOn: [], inputs, ...extra };
}

const REGION_COMPONENT = "urn:pulumi:fixture::spive-infra::spive:layer:GkeRegion::fx-us-central1";
const PROVIDER = "urn:pulumi:fixture::spive-infra::pulumi:providers:kubernetes::fx-us-central1";

/** A one-region GKE layer, small enough to price by hand (see the test below). */
function fixture(pool: Record<string, JsonValue> = { nodeCount: 1 }): PlannedResource[] {
  return [
    res("gcp:container/cluster:Cluster", "fx-us-central1", { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b"] }, { parent: REGION_COMPONENT }),
    res("gcp:container/nodePool:NodePool", "fx-us-central1-pool", { location: "us-central1", nodeLocations: ["us-central1-a", "us-central1-b"], nodeConfig: { machineType: "e2-standard-4", diskSizeGb: 50, diskType: "pd-balanced" }, ...pool }, { parent: REGION_COMPONENT }),
    res("gcp:compute/routerNat:RouterNat", "fx-us-central1-nat", { region: "us-central1" }),
    res("gcp:compute/router:Router", "fx-us-central1-router", { region: "us-central1" }),
    res("gcp:dns/managedZone:ManagedZone", "fx-private", { visibility: "private" }),
    res("pulumi:providers:kubernetes", "fx-us-central1", {}, { urn: PROVIDER, parent: REGION_COMPONENT }),
    res(
      "kubernetes:apps/v1:Deployment",
      "fx-app",
      { metadata: { name: "fx-app" }, spec: { replicas: 2, template: { spec: { containers: [{ resources: { requests: { cpu: "500m", memory: "512Mi" } } }] } } } },
      { provider: PROVIDER },
    ),
    // A component is not a cloud resource: skipped, neither priced nor free.
    { ...res("spive:layer:GkeRegion", "fx-us-central1", {}), urn: REGION_COMPONENT, custom: false },
  ];
}

describe("the committed price table", () => {
  it("parses, and every price names a public https source with the date it was read (not in the future)", () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(Object.keys(table.sources).length).toBeGreaterThan(5);
    for (const [id, s] of Object.entries(table.sources)) {
      expect(s.url, id).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]+\//);
      expect(s.read <= today, `${id} read ${s.read}`).toBe(true);
    }
    for (const [id, r] of Object.entries(table.rates)) expect(table.sources[r.source], `rate ${id}`).toBeDefined();
    // Google's own pages are the sources of the prices.
    for (const r of Object.values(table.rates)) expect(table.sources[r.source]!.url).toMatch(/^https:\/\/cloud\.google\.com\//);
  });

  it("names only cost models that exist, and prices something with each", () => {
    const used = new Set(Object.values(table.resourceTypes).flatMap((e) => ("model" in e ? [e.model] : [])));
    for (const m of used) expect(COST_MODELS).toContain(m);
    expect([...used].sort()).toEqual([...COST_MODELS].sort());
  });

  it("says unknown rather than inventing a price, and falls back to the named region and says so", () => {
    expect(resolveRate(table, "bigtable.nodeHour", "europe-west1")).toMatchObject({ known: false });
    expect(resolveRate(table, "e2.vcpuHour", "us-central1")).toEqual({ known: true, price: 0.021811, fallback: false, rateId: "e2.vcpuHour" });
    expect(resolveRate(table, "e2.vcpuHour", "asia-south2")).toEqual({ known: true, price: 0.021811, fallback: true, rateId: "e2.vcpuHour" });
    expect(table.regionFallback.region).toBe("us-central1");
  });

  it("rejects a bad table with file:line, key path, what was expected and what was given", () => {
    const text = fs.readFileSync(PRICE_TABLE_PATH, "utf8");
    const badDate = text.replace("read: 2026-11-29", "read: last week");
    expect(() => parsePriceTable(badDate)).toThrow(/^Invalid price table.*pricing\/gcp\.yaml:\d+ > sources\.gce-vm\.read: expected a date such as 2026-11-29, got "last week"\./s);
    expect(() => parsePriceTable(text.replace("read: 2026-11-29", "read: 2026-13-01"))).toThrow(/sources\.gce-vm\.read: expected a real calendar date, got "2026-13-01"/);
    expect(() => parsePriceTable(text.replace("read: 2026-11-29", "read: 2026-02-30"))).toThrow(/sources\.gce-vm\.read: expected a real calendar date, got "2026-02-30"/);
    const badSource = text.replace("source: gce-vm\n    regions: { us-central1: 0.021811 }", "source: nowhere\n    regions: { us-central1: 0.021811 }");
    expect(() => parsePriceTable(badSource)).toThrow(/rates\.e2\.vcpuHour\.source: expected a source listed under sources .*, got "nowhere"/);
    const invented = text.replace("    source: bigtable\n    price: unknown", "    source: bigtable\n    price: cheap");
    expect(() => parsePriceTable(invented)).toThrow(/rates\.bigtable\.nodeHour\.price: expected .*, got "cheap"/);
  });
});

describe("the cost model", () => {
  it("prices a hand-worked one-region GKE layer exactly", () => {
    // By hand, with the committed prices (730 hours a month, us-central1):
    //   cluster management fee   1 × 730 h × $0.10                     =  73.00
    //   node vCPU                2 nodes × 4 vCPU × 730 h × $0.021811   = 127.37624
    //   node memory              2 nodes × 16 GiB × 730 h × $0.002923   =  68.28128
    //   boot disks               2 × 50 GiB × $0.10                     =  10.00
    //   NAT gateway              2 VMs × 730 h × $0.0014                =   2.044
    //   NAT IP (assumed 1)       730 h × $0.005                         =   3.65
    //   NAT data (assumed 100)   100 GiB × $0.045                       =   4.50
    //   logs (assumed 30 GiB)    30 × $0.50 = 15.00, all within the free 50 GiB: −15.00 = 0
    //   private zone             730 h × $0.000273973                   =   0.20000029
    //   DNS queries (assumed 1M) 1 × $0.40                              =   0.40
    //   total                                                           = 289.45152029
    const e = estimateCost("fixture", fixture(), table, defaults);
    expect(e.total.min).toBeCloseTo(289.45152029, 6);
    expect(e.total.max).toBeCloseTo(289.45152029, 6);
    expect(e.fallbackRegions).toEqual([]);
    expect(e.unpriced).toEqual([]);
    const byType = Object.fromEntries(e.byType.map((g) => [g.key, g.monthly.min]));
    expect(byType["gcp:container/nodePool:NodePool"]).toBeCloseTo(127.37624 + 68.28128 + 10, 6);
    expect(byType["usage:loggingGiBPerRegion"]).toBeCloseTo(0, 9);
    expect(e.free.map((f) => f.type)).toEqual(["gcp:compute/router:Router", "kubernetes:apps/v1:Deployment", "pulumi:providers:kubernetes"]);
    // Capacity: e2-standard-4 keeps 4 − (0.06 + 0.01 + 2 × 0.005) = 3.92 vCPU and
    // 16 − (1 + 0.8 + 0.8) − 100 MiB = 13.30234375 GiB allocatable; the Deployment asks 2 × (0.5 vCPU, 0.5 GiB).
    expect(e.pools).toEqual([
      expect.objectContaining({ name: "fx-us-central1-pool", nodes: { min: 2, max: 2 }, allocatableCpu: { min: 7.84, max: 7.84 }, requestedCpu: { min: 1, max: 1 }, requestedMemoryGiB: { min: 1, max: 1 }, pods: { min: 2, max: 2 }, verdict: "oversized" }),
    ]);
    expect(e.pools[0]!.allocatableMemoryGiB!.min).toBeCloseTo(26.6046875, 9);
  });

  it("prices hand-worked runner hosts: instances from per-instance configs, shape and disk from their template", () => {
    const parent = "urn:pulumi:fixture::spive-infra::spive:layer:BasicRunner::fx-runner";
    const hosts: PlannedResource[] = [
      res("gcp:compute/instanceTemplate:InstanceTemplate", "fx-template", { machineType: "e2-standard-2", disks: [{ boot: true, diskSizeGb: 20, diskType: "pd-balanced" }] }, { parent }),
      ...["europe-west1-b", "europe-west1-c"].flatMap((zone) => [
        res("gcp:compute/instanceGroupManager:InstanceGroupManager", `fx-${zone}`, { name: `fx-${zone}`, zone, targetSize: 0, versions: [{ instanceTemplate: "<known after apply>" }] }, { parent }),
        res("gcp:compute/perInstanceConfig:PerInstanceConfig", `fx-${zone}-0`, { instanceGroupManager: `fx-${zone}`, zone }),
      ]),
      res("gcp:compute/routerNat:RouterNat", "fx-nat", { region: "europe-west1" }),
    ];
    // By hand: europe-west1 has no E2 price of its own, so us-central1's applies (fallback).
    //   per host: 2 vCPU × 730 h × $0.021811 = 31.84406; 8 GiB × 730 h × $0.002923 = 17.07032; 20 GiB × $0.10 = 2.00
    //   2 hosts (target size 0 + one per-instance config each)          = 101.82876
    //   NAT: 2 VMs × 730 h × $0.0014 = 2.044; 1 IP × 730 h × $0.005 = 3.65; 100 GiB × $0.045 = 4.50
    //   logs: 30 GiB for the one region, within the free 50 GiB        =   0
    //   total                                                          = 112.02276
    const e = estimateCost("fixture", hosts, table, defaults);
    expect(e.total.min).toBeCloseTo(112.02276, 6);
    expect(e.fallbackRegions).toEqual(["europe-west1"]);
    expect(e.lines.filter((l) => l.assumption === "loggingGiBPerRegion" && l.urn)).toHaveLength(1);
    expect(e.free).toEqual([{ type: "gcp:compute/instanceTemplate:InstanceTemplate", count: 1 }, { type: "gcp:compute/perInstanceConfig:PerInstanceConfig", count: 2 }]);
  });

  it("prices an autoscaled pool as a range from the autoscaler's minimum to its maximum", () => {
    const fixedCost = estimateCost("fixture", fixture(), table, defaults);
    const e = estimateCost("fixture", fixture({ autoscaling: { minNodeCount: 1, maxNodeCount: 3 } }), table, defaults);
    expect(e.pools[0]!.nodes).toEqual({ min: 2, max: 6 });
    expect(e.total.min).toBeCloseTo(fixedCost.total.min, 6);
    // Four more nodes at the maximum: their vCPU, memory, disk, and four more VMs on the NAT gateway.
    const perNode = 4 * 730 * 0.021811 + 16 * 730 * 0.002923 + 50 * 0.1 + 730 * 0.0014;
    expect(e.total.max - e.total.min).toBeCloseTo(4 * perNode, 6);
  });

  it("lists what it cannot price instead of inventing a price, and leaves it out of the total", () => {
    const base = estimateCost("fixture", fixture(), table, defaults);
    const e = estimateCost(
      "fixture",
      [
        ...fixture(),
        res("gcp:bigtable/instance:Instance", "fx-events", { clusters: [{ clusterId: "fx-a", zone: "us-central1-a", numNodes: 1, storageType: "SSD" }] }),
        res("gcp:example/brandNew:Thing", "fx-new", {}),
      ],
      table,
      defaults,
    );
    expect(e.total).toEqual(base.total);
    expect(e.unpriced.map((u) => [u.name, u.reason])).toEqual([
      ["fx-events", expect.stringMatching(/^nodes of cluster fx-a: Bigtable node: price unknown/)],
      ["fx-events", expect.stringMatching(/storage .*price unknown/)],
      ["fx-new", "its type gcp:example/brandNew:Thing is not in the price table (pricing/gcp.yaml > resourceTypes)"],
    ]);
    const line = e.lines.find((l) => l.name === "fx-events" && l.rates.includes("bigtable.nodeHour"))!;
    expect(line.quantity).toEqual({ min: 730, max: 730 });
    expect(line.monthly).toBeUndefined();
  });

  it("uses the fallback region for regions without their own price, and marks them", () => {
    const moved = fixture().map((r) => ({ ...r, inputs: JSON.parse(JSON.stringify(r.inputs).replace(/us-central1/g, "asia-south2")) as Record<string, JsonValue> }));
    const e = estimateCost("fixture", moved, table, defaults);
    expect(e.fallbackRegions).toEqual(["asia-south2"]);
    expect(e.total.min).toBeCloseTo(289.45152029, 6);
  });

  it("takes usage from the stack's assumptions", () => {
    const more = CostConfig.parse({ assumptions: { natDataGiBPerRegion: 1100 } }).assumptions;
    const e = estimateCost("fixture", fixture(), table, more);
    expect(e.total.min - 289.45152029).toBeCloseTo(1000 * 0.045, 6);
    expect(e.lines.find((l) => l.assumption === "natDataGiBPerRegion")!.quantity).toEqual({ min: 1100, max: 1100 });
  });

  it.each([
    ["500m", 0.5],
    ["2", 2],
    ["0.25", 0.25],
  ])("reads CPU %s as %d cores", (q, cores) => expect(parseCpu(q)).toBe(cores));

  it.each([
    ["512Mi", 0.5],
    ["2Gi", 2],
    ["1073741824", 1],
  ])("reads memory %s as %d GiB", (q, gib) => expect(parseMemoryGiB(q)).toBe(gib));

  it("counts nodes per zone of the pool, or its total bounds", () => {
    expect(nodePoolNodes({ nodeLocations: ["a-b1-a", "a-b1-b"], nodeCount: 2 })).toEqual({ min: 4, max: 4 });
    expect(nodePoolNodes({ nodeLocations: ["a-b1-a", "a-b1-b"], autoscaling: { minNodeCount: 1, maxNodeCount: 10 } })).toEqual({ min: 2, max: 20 });
    expect(nodePoolNodes({ autoscaling: { totalMinNodeCount: 3, totalMaxNodeCount: 9 } })).toEqual({ min: 3, max: 9 });
    expect(gkeAllocatable(2, 8).cpu).toBeCloseTo(2 - 0.07, 9);
  });
});

describe("cost in the pull-request diff", () => {
  const threshold = 100;
  const before = estimateCost("prod1", fixture(), table, defaults);
  const grown = [...fixture(), ...fixture().map((r) => ({ ...r, urn: r.urn.replace(/fx-/g, "fy-"), name: r.name.replace(/fx-/g, "fy-") }))];
  const after = estimateCost("prod1", grown, table, defaults);

  it("gives before, after, change and the resources that cause it, largest first", () => {
    const d = costDelta(before, after, threshold);
    expect(d.before).toEqual(before.total);
    expect(d.change.min).toBeCloseTo(after.total.min - before.total.min, 9);
    expect(d.top[0]).toMatchObject({ name: "fy-us-central1-pool", status: "added" });
    expect(d.top[0]!.change.min).toBeCloseTo(127.37624 + 68.28128 + 10, 6);
    expect(d.overThreshold).toBe(true);
    expect(costDelta(before, before, threshold)).toMatchObject({ change: { min: 0, max: 0 }, top: [], overThreshold: false });
  });

  function report(change: boolean): DiffReport {
    return {
      baseRef: "origin/main",
      baseCommit: "0123456789abcdef",
      headLabel: "this revision",
      stacks: [
        { stack: "prod1", base: { status: "ok", resources: 1 }, head: { status: "ok", resources: 2 }, cost: costDelta(before, change ? after : before, threshold) },
        { stack: "prod2", base: { status: "ok", resources: 1 }, head: { status: "ok", resources: 1 }, cost: { error: "pricing/gcp.yaml:3 > rates: broken" } },
      ],
      command: "npx spive diff --all --base origin/main",
    };
  }

  it("shows the estimate in the comment's first lines and calls out a change above the stack's threshold at the top", () => {
    const md = renderDiffMarkdown(report(true));
    const lines = md.split("\n");
    expect(lines[0]).toBe(DIFF_COMMENT_MARKER);
    expect(lines[3]).toMatch(/^> \*\*Cost alert: prod1 \+\$\d+ per month\*\* \(\$289 → \$\d+\), above this stack's threshold of \$100 \(`stacks\/Pulumi\.prod1\.yaml > spive:cost\.thresholdUsdPerMonth`\)\.$/);
    expect(md.indexOf("#### Monthly cost estimate")).toBeLessThan(md.indexOf("Base `origin/main`"));
    expect(md).toMatch(/\| prod1 \| \$289 \| \$583 \| \+\$294 ⚠ \| `NodePool` `fy-us-central1-pool` \+\$206 \(added\); `Cluster` `fy-us-central1` \+\$73\.00 \(added\); `RouterNat` `fy-us-central1-nat` \+\$12\.24 \(added\); \d more \|$/m);
    expect(md).toContain("| prod2 | | | not estimated: pricing/gcp.yaml:3 \\> rates: broken | |");
  });

  it("has no call-out when no stack passes its threshold", () => {
    const md = renderDiffMarkdown(report(false));
    expect(md).not.toContain("Cost alert");
    expect(costBlocks(report(false)).map((b) => b.text).join("\n")).toContain("| prod1 | $289 | $289 | $0 |");
  });
});
