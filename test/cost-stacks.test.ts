import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { register } from "../cli/commands/cost";
import { REPO_ROOT } from "../config/load";
import { extractCostDocs, renderCostDocs } from "../cost/docs";
import type { CostEstimate } from "../cost/model";
import { loadPriceTable } from "../cost/price-table";
import { estimateStack } from "../cost/stack";
import { KNOWN_STACKS } from "../layers/registry";
import { evaluateStack } from "../plan/stack";
import { runCommand } from "./helpers/cli";

/**
 * The committed stacks under the cost model: every resource type they declare
 * is priced or explicitly free, the generated estimates in docs/cost.md are
 * current, one more region of prod1 costs exactly that region's lines, and
 * the CLI prints what the model computes.
 */

const table = loadPriceTable();
const estimates = new Map<string, CostEstimate>();

beforeAll(async () => {
  for (const stack of KNOWN_STACKS) estimates.set(stack, (await estimateStack(stack, { table })).estimate);
}, 300_000);

describe("the committed stacks' resource types", () => {
  it("are each priced by a cost model or explicitly free in pricing/gcp.yaml (add a new type there)", async () => {
    const missing: string[] = [];
    for (const stack of KNOWN_STACKS) {
      const { resources } = await evaluateStack(stack, { preview: true });
      for (const r of resources) {
        if (!r.custom) continue;
        const entry = table.resourceTypes[r.type];
        if (!entry || "unknown" in entry) missing.push(`${stack}: ${r.type} (${r.name})`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  }, 300_000);

  it("include, ahead of the branches adding them, the types other work brings (priced, or free with a reason)", () => {
    for (const type of ["gcp:spanner/instance:Instance", "gcp:compute/securityPolicy:SecurityPolicy", "gcp:certificatemanager/certificate:Certificate"]) {
      expect(table.resourceTypes[type], type).toHaveProperty("model");
    }
    for (const type of ["gcp:projects/service:Service", "gcp:binaryauthorization/policy:Policy", "gcp:spanner/database:Database"]) {
      expect(table.resourceTypes[type], type).toHaveProperty("free");
    }
  });

  it("leave nothing unpriced because its type is missing from the table", () => {
    for (const [stack, e] of estimates) expect(e.unpriced.filter((u) => u.reason.includes("not in the price table")), stack).toEqual([]);
  });
});

describe("docs/cost.md", () => {
  it("holds the current estimates of every committed stack (run `npx spive cost --docs --write`)", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "cost.md"), "utf8");
    expect(extractCostDocs(doc)).toBe(renderCostDocs(KNOWN_STACKS.map((s) => estimates.get(s)!), table).trim());
  });
});

describe("adding one region to prod1", () => {
  it("raises its estimate by exactly that region's cost", async () => {
    const region = "asia-south2";
    const without = (
      await estimateStack("prod1", {
        table,
        mutate: (raw) => {
          const layer = raw["spive:layer"] as { regions: { name: string }[] };
          return { ...raw, "spive:layer": { ...layer, regions: layer.regions.filter((r) => r.name !== region) } };
        },
      })
    ).estimate;
    const withRegion = estimates.get("prod1")!;
    const regionCost = withRegion.byRegion.find((g) => g.key === region)!.monthly;
    expect(without.byRegion.find((g) => g.key === region)).toBeUndefined();
    // The region's cluster fee, node pool, NAT gateway and logs; nothing else moves.
    expect(new Set(withRegion.lines.filter((l) => l.region === region).map((l) => l.type))).toEqual(
      new Set(["gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool", "gcp:compute/routerNat:RouterNat"]),
    );
    expect(regionCost.min).toBeGreaterThan(400);
    expect(withRegion.total.min - without.total.min).toBeCloseTo(regionCost.min, 6);
    expect(withRegion.total.max - without.total.max).toBeCloseTo(regionCost.max, 6);
  }, 120_000);
});

describe("spive cost", () => {
  it("prints the estimate the model computes, as JSON", async () => {
    const run = await runCommand(register, ["cost", "prod2", "--json"]);
    expect(run.exitCode).toBe(0);
    const printed = JSON.parse(run.stdout) as CostEstimate;
    expect(printed.total).toEqual(estimates.get("prod2")!.total);
    expect(printed.total.max).toBeGreaterThan(printed.total.min);
    expect(printed.pools).toHaveLength(8);
  }, 120_000);

  it("prints types, regions, node pool capacity, unpriced resources and assumptions as text", async () => {
    const run = await runCommand(register, ["cost", "prod0"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^# spive cost prod0: \$\d+ per month \(1 resource\(s\) unpriced \(not included\); 1 region\(s\) at fallback prices\)\n/);
    expect(run.stdout).toContain("gcp:compute/instanceGroupManager:InstanceGroupManager");
    expect(run.stdout).toContain("europe-west1 *");
    expect(run.stdout).toMatch(/- gcp:spanner\/instance:Instance spive-prod0-events: compute \(regional-europe-west1\): Spanner compute .*: price unknown/);
    expect(run.stdout).toContain("Assumptions (stacks/Pulumi.prod0.yaml > spive:cost.assumptions):");
  }, 120_000);

  it.each([
    [["cost", "prod9"], /^spive cost: expected a stack name, one of prod0, prod1, prod2, prod3; got "prod9"\.\n$/],
    [["cost"], /^spive cost: expected a stack name \(one of .*\) or --docs, got neither\.\n$/],
    [["cost", "prod1", "--check"], /^spive cost: --write and --check go with --docs\.\n$/],
  ])("refuses %j with one sentence and exit code 1", async (args, message) => {
    const run = await runCommand(register, args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(message);
  });
});
