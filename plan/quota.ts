import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * Quota preflight: what a stack's plan needs from its project's quotas, per
 * region, zone and project, compared with the figures committed in
 * `stacks/quotas.yaml` (the documented or conservative new-project defaults
 * where a project commits none). Pure planning over recorded resources: no
 * Pulumi import. `spive quota <stack>` prints it (docs/layers.md).
 */

/** A resource as the offline evaluator records it (structurally `RecordedResource`). */
export interface QuotaResource {
  /** The type token. */
  readonly type: string;
  /** The logical name. */
  readonly name: string;
  /** The inputs. */
  readonly inputs: Record<string, unknown>;
  /** False for components. */
  readonly custom: boolean;
}

/** Where a quota applies. */
export type QuotaScope = "project" | "region" | "zone";

/** One need: how much of one quota metric the plan uses at its peak in one place. */
export interface QuotaNeed {
  /** Project, region or zone. */
  readonly scope: QuotaScope;
  /** The region or zone name (`global` for project scope). */
  readonly location: string;
  /** The quota metric, as Google names it (`CPUS`, `N2_CPUS`, `SSD_TOTAL_GB`, …) or a Spive name for a documented limit. */
  readonly metric: string;
  /** The peak amount needed. */
  readonly need: number;
  /** How the figure was reached, in one phrase. */
  readonly why: string;
}

/** A need compared with a quota. */
export interface QuotaLine extends QuotaNeed {
  /** The quota figure compared with (undefined when neither the project nor the defaults give one). */
  readonly quota?: number;
  /** Where the figure comes from. */
  readonly source: "committed" | "default" | "none";
  /** True when the need exceeds the quota. */
  readonly exceeds: boolean;
}

/** The preflight of one stack. */
export interface QuotaReport {
  /** The stack. */
  readonly stack: string;
  /** The GCP project. */
  readonly project: string;
  /** Every need, with its quota. */
  readonly lines: readonly QuotaLine[];
  /** The lines that exceed their quota: what to request before deploying. */
  readonly requests: readonly QuotaLine[];
}

const Figures = z.record(z.string().regex(/^[A-Z0-9_]+$/, "quota metrics are upper-case, e.g. CPUS"), z.number().int().nonnegative()).describe("Quota metric -> limit.");

/** The committed quota figures (`stacks/quotas.yaml`). */
export const QuotasFile = z
  .strictObject({
    defaults: z
      .strictObject({
        project: Figures.default({}).describe("Project-wide figures of a new project."),
        region: Figures.default({}).describe("Per-region figures of a new project (every region)."),
        zone: Figures.default({}).describe("Per-zone figures of a new project (every zone)."),
      })
      .describe("Figures used where a project commits none: Google's documented defaults and limits, or conservative new-project figures (docs/layers.md)."),
    projects: z
      .record(
        z.string().min(1),
        z.strictObject({
          project: Figures.default({}).describe("Project-wide figures granted to this project."),
          region: z.record(z.string().min(1), Figures).default({}).describe('Per-region figures; the key "*" applies to every region not listed.'),
          zone: z.record(z.string().min(1), Figures).default({}).describe('Per-zone figures; the key "*" applies to every zone not listed.'),
        }),
      )
      .default({})
      .describe("Figures granted to each project, as `gcloud compute regions describe` or the Quotas page shows them."),
  })
  .describe("Committed quota figures for the quota preflight.");

/** The parsed quotas file. */
export type QuotasFile = z.infer<typeof QuotasFile>;

/** Reads and validates a quotas file; a bad file fails with its path and the offending key. */
export function loadQuotas(file: string): QuotasFile {
  const text = fs.readFileSync(file, "utf8");
  const parsed = QuotasFile.safeParse(parseYaml(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = `${file} > ${issue.path.join(".") || "(root)"}`;
    if (issue.code === "invalid_key") throw new Error(`${where}: expected an upper-case quota metric such as CPUS or SSD_TOTAL_GB, got the key ${JSON.stringify(String(issue.path[issue.path.length - 1]))}.`);
    throw new Error(`${where}: ${issue.message.replace(/\.$/, "")}.`);
  }
  return parsed.data;
}

/** The quota metric that counts a machine family's vCPUs (E2 and N1 count against CPUS). */
export function cpuMetric(machineType: string): string {
  const family = machineType.split("-")[0]!.toUpperCase();
  if (family === "E2" || family === "N1" || family === "F1" || family === "G1") return "CPUS";
  return `${family}_CPUS`;
}

/** The vCPUs of a machine type (`e2-standard-4` = 4, `n2-custom-6-24576` = 6, `e2-medium` = 2). */
export function machineVcpus(machineType: string, where: string): number {
  const shared: Record<string, number> = { "e2-micro": 2, "e2-small": 2, "e2-medium": 2, "f1-micro": 1, "g1-small": 1 };
  if (shared[machineType] !== undefined) return shared[machineType]!;
  const m = /^[a-z0-9]+-(?:standard|highmem|highcpu|custom|highgpu|megamem|ultramem)-(\d+)/.exec(machineType);
  if (!m) throw new Error(`${where}: expected a machine type such as e2-standard-4 or n2-custom-6-24576, got ${JSON.stringify(machineType)}.`);
  return Number(m[1]);
}

/** The disk quota metric of a persistent disk type: SSD-backed types count against SSD_TOTAL_GB, standard against DISKS_TOTAL_GB. */
export function diskMetric(diskType: string): string {
  return diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB";
}

/** A GKE node pool's or default pool's defaults (GKE: e2-medium, 100 GB pd-balanced). */
const GKE_DEFAULT_MACHINE = "e2-medium";
const GKE_DEFAULT_DISK_GB = 100;
const GKE_DEFAULT_DISK_TYPE = "pd-balanced";
/** Ports a NAT IP offers, and the default minimum per VM: one auto-allocated IP serves 1,008 VMs. */
const NAT_VMS_PER_IP = Math.floor(64512 / 64);

const num = (v: unknown, fallback: number): number => (typeof v === "number" ? v : fallback);
const str = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);
const regionOfZone = (zone: string): string => zone.replace(/-[a-z]$/, "");

/**
 * The peak needs of a stack's resources. Node pools count their maximum
 * (fixed size, or the autoscaler's maximum per zone) plus the surge nodes of
 * an upgrade in every zone; a cluster's temporary default pool counts when it
 * is larger (it is removed before the pool is created). Hosts count as many
 * as their per-instance configs. Bigtable counts nodes per zone; Spanner
 * counts processing units per regional instance configuration.
 */
export function quotaNeeds(resources: readonly QuotaResource[]): QuotaNeed[] {
  const acc = new Map<string, QuotaNeed>();
  const add = (scope: QuotaScope, location: string, metric: string, need: number, why: string): void => {
    if (need <= 0) return;
    const key = `${scope}|${location}|${metric}`;
    const prev = acc.get(key);
    acc.set(key, prev ? { ...prev, need: prev.need + need, why: `${prev.why}; ${why}` } : { scope, location, metric, need, why });
  };
  const custom = resources.filter((r) => r.custom);
  const clusters = new Map(custom.filter((r) => r.type === "gcp:container/cluster:Cluster").map((c) => [c.name, c]));

  for (const pool of custom.filter((r) => r.type === "gcp:container/nodePool:NodePool")) {
    const where = `node pool ${pool.name}`;
    const region = str(pool.inputs.location, "unknown");
    const zones = Array.isArray(pool.inputs.nodeLocations) ? pool.inputs.nodeLocations.length : 3;
    const nc = (pool.inputs.nodeConfig ?? {}) as Record<string, unknown>;
    const machine = str(nc.machineType, GKE_DEFAULT_MACHINE);
    const autoscaling = pool.inputs.autoscaling as Record<string, unknown> | undefined;
    const perZone = autoscaling ? num(autoscaling.maxNodeCount, 0) || Math.ceil(num(autoscaling.totalMaxNodeCount, 0) / zones) : num(pool.inputs.nodeCount, num(pool.inputs.initialNodeCount, 1));
    const surge = num((pool.inputs.upgradeSettings as Record<string, unknown> | undefined)?.maxSurge, 1);
    const nodes = (perZone + surge) * zones;
    const vcpus = machineVcpus(machine, where);
    // The cluster's default pool exists only while the cluster is created, before this pool.
    const cluster = [...clusters.values()].find((c) => str(c.inputs.location, "") === region);
    const defaultNodes = cluster ? num(cluster.inputs.initialNodeCount, 0) * (Array.isArray(cluster.inputs.nodeLocations) ? cluster.inputs.nodeLocations.length : 3) : 0;
    const defaultCpus = defaultNodes * machineVcpus(GKE_DEFAULT_MACHINE, `cluster ${cluster?.name ?? region}`);
    const poolWhy = `${pool.name}: ${zones} zones × (${perZone} ${autoscaling ? "autoscaler max" : "nodes"} + ${surge} surge) × ${machine} (${vcpus} vCPUs)`;
    const cpus = Math.max(nodes * vcpus, defaultCpus);
    add("region", region, cpuMetric(machine), cpus, poolWhy);
    add("project", "global", "CPUS_ALL_REGIONS", cpus, `${region}: ${pool.name}`);
    const diskGb = num(nc.diskSizeGb, GKE_DEFAULT_DISK_GB);
    const diskType = str(nc.diskType, GKE_DEFAULT_DISK_TYPE);
    add("region", region, diskMetric(diskType), Math.max(nodes * diskGb, defaultNodes * GKE_DEFAULT_DISK_GB), `${pool.name}: ${nodes} nodes × ${diskGb} GB ${diskType}`);
  }
  for (const c of clusters.values()) {
    add("region", str(c.inputs.location, "unknown"), "GKE_REGIONAL_CLUSTERS", 1, c.name);
  }

  // GCE hosts: each per-instance config is one host of its group's template.
  const template = custom.find((r) => r.type === "gcp:compute/instanceTemplate:InstanceTemplate");
  for (const pic of custom.filter((r) => r.type === "gcp:compute/perInstanceConfig:PerInstanceConfig")) {
    if (!template) break;
    const zone = str(pic.inputs.zone, "unknown");
    const region = regionOfZone(zone);
    const machine = str(template.inputs.machineType, "");
    const vcpus = machineVcpus(machine, `instance template ${template.name}`);
    add("region", region, cpuMetric(machine), vcpus, `host ${pic.name}: ${machine}`);
    add("project", "global", "CPUS_ALL_REGIONS", vcpus, `${region}: host ${pic.name}`);
    for (const d of (template.inputs.disks ?? []) as Record<string, unknown>[]) {
      const gb = num(d.diskSizeGb, 10);
      const type = str(d.diskType, "pd-standard");
      add("region", region, diskMetric(type), gb, `host ${pic.name}: ${gb} GB ${type}`);
    }
  }

  // Cloud Router and NAT: routers per region (5 per network per region is a limit) and per project; one auto-allocated IP per NAT.
  for (const router of custom.filter((r) => r.type === "gcp:compute/router:Router")) {
    const region = str(router.inputs.region, "unknown");
    add("region", region, "ROUTERS_PER_NETWORK", 1, router.name);
    add("project", "global", "ROUTERS", 1, router.name);
  }
  for (const nat of custom.filter((r) => r.type === "gcp:compute/routerNat:RouterNat")) {
    if (nat.inputs.natIpAllocateOption !== "AUTO_ONLY") continue;
    const region = str(nat.inputs.region, "unknown");
    // Every layer runs far fewer VMs per region than one IP serves.
    add("region", region, "IN_USE_ADDRESSES", 1, `${nat.name}: one auto-allocated NAT IP (serves up to ${NAT_VMS_PER_IP} VMs at 64 ports each)`);
  }
  for (const a of custom.filter((r) => r.type === "gcp:compute/globalAddress:GlobalAddress")) {
    add("project", "global", "STATIC_ADDRESSES_GLOBAL", 1, a.name);
  }
  for (const n of custom.filter((r) => r.type === "gcp:compute/network:Network")) add("project", "global", "NETWORKS", 1, n.name);
  for (const f of custom.filter((r) => r.type === "gcp:compute/firewall:Firewall")) add("project", "global", "FIREWALLS", 1, f.name);

  for (const bt of custom.filter((r) => r.type === "gcp:bigtable/instance:Instance")) {
    for (const cl of (bt.inputs.clusters ?? []) as Record<string, unknown>[]) {
      const zone = str(cl.zone, "unknown");
      const metric = str(cl.storageType, "SSD") === "HDD" ? "BIGTABLE_HDD_NODES" : "BIGTABLE_SSD_NODES";
      add("zone", zone, metric, num(cl.numNodes, 1), `${bt.name} cluster ${str(cl.clusterId, zone)}`);
    }
  }
  // Spanner's node quota is per instance configuration per project; a regional configuration is one region.
  for (const sp of custom.filter((r) => r.type === "gcp:spanner/instance:Instance")) {
    const config = str(sp.inputs.config, "unknown");
    const region = config.replace(/^regional-/, "");
    const units = typeof sp.inputs.processingUnits === "number" ? sp.inputs.processingUnits : num(sp.inputs.numNodes, 1) * 1000;
    add("region", region, "SPANNER_PROCESSING_UNITS", units, `${sp.name}: ${units} processing units in ${config}`);
  }
  const order: Record<QuotaScope, number> = { project: 0, region: 1, zone: 2 };
  return [...acc.values()].sort((a, b) => order[a.scope] - order[b.scope] || a.location.localeCompare(b.location) || a.metric.localeCompare(b.metric));
}

/** The committed figure for one need: the project's own (exact location, then `*`), else the defaults. */
export function quotaFor(quotas: QuotasFile, project: string, need: Pick<QuotaNeed, "scope" | "location" | "metric">): { quota?: number; source: QuotaLine["source"] } {
  const own = quotas.projects[project];
  const pick = (figs: Record<string, number> | undefined): number | undefined => figs?.[need.metric];
  let committed: number | undefined;
  if (own) {
    if (need.scope === "project") committed = pick(own.project);
    else {
      const byLocation = need.scope === "region" ? own.region : own.zone;
      committed = pick(byLocation[need.location]) ?? pick(byLocation["*"]);
    }
  }
  if (committed !== undefined) return { quota: committed, source: "committed" };
  const fallback = pick(quotas.defaults[need.scope]);
  return fallback !== undefined ? { quota: fallback, source: "default" } : { source: "none" };
}

/** Compares every need of a stack with its quotas. */
export function quotaReport(stack: string, project: string, resources: readonly QuotaResource[], quotas: QuotasFile): QuotaReport {
  const lines = quotaNeeds(resources).map((n) => {
    const q = quotaFor(quotas, project, n);
    return { ...n, ...q, exceeds: q.quota !== undefined && n.need > q.quota };
  });
  return { stack, project, lines, requests: lines.filter((l) => l.exceeds) };
}

/** A reason of many parts, cut to its first two and a count (the JSON report keeps all). */
function shortWhy(why: string): string {
  const parts = why.split("; ");
  return parts.length <= 3 ? why : `${parts.slice(0, 2).join("; ")}; and ${parts.length - 2} more`;
}

/** The report as text: a table of every need, then what to request (or that nothing is needed). */
export function formatQuotaReport(r: QuotaReport): string {
  const rows = r.lines.map((l) => [l.scope, l.location, l.metric, String(l.need), l.quota === undefined ? "-" : String(l.quota), l.source, l.exceeds ? "REQUEST" : "ok"]);
  const head = ["SCOPE", "LOCATION", "METRIC", "NEED", "QUOTA", "SOURCE", "STATUS"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out = [`spive quota ${r.stack} (project ${r.project}): ${r.lines.length} needs, ${r.requests.length} above quota.`, "", fmt(head), ...rows.map(fmt), ""];
  if (r.requests.length === 0) {
    out.push("Nothing to request: every need fits its quota.");
  } else {
    out.push(`Request before deploying (project ${r.project}, Quotas page or \`gcloud beta quotas preferences create\`):`);
    for (const l of r.requests) out.push(`  ${l.metric} ${l.scope === "project" ? "(project-wide)" : `in ${l.location}`}: ${l.need} needed, ${l.quota} ${l.source === "committed" ? "committed" : "by default"} (${shortWhy(l.why)}).`);
  }
  return `${out.join("\n")}\n`;
}
