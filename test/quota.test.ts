import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cpuMetric, formatQuotaReport, loadQuotas, machineVcpus, quotaFor, quotaNeeds, quotaReport, type QuotasFile } from "../plan/quota";
import type { RecordedResource } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { register } from "../cli/commands/quota";
import { runCommand } from "./helpers/cli";

const runCli = (args: string[]) => runCommand(register, args);

/** The quota preflight: needs from the offline plan, compared with committed figures (issue 12, item 5). */

const rec: Record<string, RecordedResource[]> = {};
const quotas = loadQuotas(path.join(__dirname, "..", "stacks", "quotas.yaml"));

beforeAll(async () => {
  for (const s of ["prod0", "prod2"]) rec[s] = (await evaluateStack(s)).resources;
}, 120_000);

const need = (stack: string, scope: string, location: string, metric: string) => quotaNeeds(rec[stack]!).find((n) => n.scope === scope && n.location === location && n.metric === metric);

describe("machine types", () => {
  it("counts vCPUs by family: E2 and N1 against CPUS, other families against their own metric", () => {
    expect([machineVcpus("e2-standard-4", "x"), machineVcpus("n2-custom-6-24576", "x"), machineVcpus("e2-medium", "x"), machineVcpus("c3-highmem-22", "x")]).toEqual([4, 6, 2, 22]);
    expect([cpuMetric("e2-standard-4"), cpuMetric("n1-standard-8"), cpuMetric("n2d-standard-4"), cpuMetric("c3-standard-8")]).toEqual(["CPUS", "CPUS", "N2D_CPUS", "C3_CPUS"]);
    expect(() => machineVcpus("big-box", "node pool p")).toThrow(/^node pool p: expected a machine type such as e2-standard-4 .*got "big-box"\.$/);
  });
});

describe("needs from the plan", () => {
  it("prod2: each region needs 2 zones × (10 autoscaler max + 1 surge) × 4 vCPUs and 22 × 50 GB of SSD", () => {
    expect(need("prod2", "region", "europe-west1", "CPUS")).toMatchObject({ need: 88 });
    expect(need("prod2", "region", "europe-west1", "CPUS")!.why).toMatch(/2 zones × \(10 autoscaler max \+ 1 surge\) × e2-standard-4 \(4 vCPUs\)/);
    expect(need("prod2", "region", "europe-west1", "SSD_TOTAL_GB")).toMatchObject({ need: 1100 });
    expect(need("prod2", "region", "europe-west1", "GKE_REGIONAL_CLUSTERS")).toMatchObject({ need: 1 });
    expect(need("prod2", "region", "europe-west1", "IN_USE_ADDRESSES")).toMatchObject({ need: 1 });
    expect(need("prod2", "project", "global", "CPUS_ALL_REGIONS")).toMatchObject({ need: 8 * 88 });
    expect(need("prod2", "project", "global", "ROUTERS")).toMatchObject({ need: 8 });
  });

  it("prod0: two e2-standard-2 hosts, 2 × 20 GB, and the event store's Spanner processing units in its regional configuration", () => {
    expect(need("prod0", "region", "europe-west1", "CPUS")).toMatchObject({ need: 4 });
    expect(need("prod0", "region", "europe-west1", "SSD_TOTAL_GB")).toMatchObject({ need: 40 });
    expect(need("prod0", "region", "europe-west1", "SPANNER_PROCESSING_UNITS")).toMatchObject({ need: 100, why: expect.stringContaining("regional-europe-west1") });
    expect(need("prod0", "zone", "europe-west1-b", "BIGTABLE_SSD_NODES")).toBeUndefined();
  });
});

describe("comparison with committed figures", () => {
  const committed: QuotasFile = {
    ...quotas,
    projects: { "spive-prod2": { project: { CPUS_ALL_REGIONS: 1000, ROUTERS: 20 }, region: { "*": { CPUS: 96, SSD_TOTAL_GB: 4096 }, "europe-west1": { CPUS: 64 } }, zone: {} } },
  };

  it("prefers the project's figure for the exact location, then its '*', then the defaults", () => {
    expect(quotaFor(committed, "spive-prod2", { scope: "region", location: "europe-west1", metric: "CPUS" })).toEqual({ quota: 64, source: "committed" });
    expect(quotaFor(committed, "spive-prod2", { scope: "region", location: "us-east4", metric: "CPUS" })).toEqual({ quota: 96, source: "committed" });
    expect(quotaFor(committed, "spive-prod2", { scope: "region", location: "us-east4", metric: "IN_USE_ADDRESSES" })).toEqual({ quota: 8, source: "default" });
    expect(quotaFor(committed, "spive-prod2", { scope: "region", location: "us-east4", metric: "NOPE" })).toEqual({ source: "none" });
  });

  it("reports exactly the needs above quota, and says what to request", () => {
    const r = quotaReport("prod2", "spive-prod2", rec["prod2"]!, committed);
    expect(r.requests.map((l) => `${l.location} ${l.metric}`)).toEqual(["europe-west1 CPUS"]);
    const text = formatQuotaReport(r);
    expect(text).toContain("CPUS in europe-west1: 88 needed, 64 committed");
    const fine = quotaReport("prod2", "spive-prod2", rec["prod2"]!, { ...committed, projects: { "spive-prod2": { ...committed.projects["spive-prod2"]!, region: { "*": { CPUS: 96, SSD_TOTAL_GB: 4096 } } } } });
    expect(fine.requests).toEqual([]);
    expect(formatQuotaReport(fine)).toContain("Nothing to request");
  });

  it("a bad quotas file fails with its path and the offending key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-quota-"));
    const file = path.join(dir, "quotas.yaml");
    fs.writeFileSync(file, "defaults:\n  region:\n    cpus: 24\n");
    expect(() => loadQuotas(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} > defaults\\.region\\.cpus: expected an upper-case quota metric such as CPUS or SSD_TOTAL_GB, got the key "cpus"\\.$`));
  });
});

describe("spive quota", () => {
  it("exits 0 for prod0 on the defaults and 1 for prod1, naming what to request", async () => {
    const ok = await runCli(["quota", "prod0"]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain("Nothing to request");
    const over = await runCli(["quota", "prod1", "--json"]);
    expect(over.exitCode).toBe(1);
    const report = JSON.parse(over.stdout) as { requests: { metric: string; scope: string }[] };
    expect(report.requests.map((r) => r.metric)).toEqual(expect.arrayContaining(["CPUS_ALL_REGIONS", "ROUTERS"]));
  }, 120_000);

  it("exits 2 with one sentence for an unknown stack", async () => {
    const bad = await runCli(["quota", "prod9"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^spive quota: expected a stack name, one of .*got "prod9"\.\n$/);
  }, 60_000);
});
