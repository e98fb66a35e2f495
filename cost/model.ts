import type { CostAssumptions } from "../config/schema";
import type { JsonValue, PlannedResource } from "../plan/snapshot";
import { resolveRate, type CostModelName, type PriceTable, type ResolvedRate } from "./price-table";

/**
 * The cost model: a pure function from one stack's plan snapshot, the price
 * table and the stack's usage assumptions to a monthly estimate. No Pulumi,
 * no I/O: the same plan always yields the same estimate, so the estimate of
 * a base revision and of the working tree can be compared line by line.
 *
 * Every amount is a range (minimum → maximum): fixed resources have equal
 * ends, autoscaled ones span their autoscaler's bounds. A line whose rate is
 * unknown keeps its quantity but has no amount and is listed as unpriced.
 */

/** A monthly amount or quantity, minimum → maximum (equal for fixed resources). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** One priced (or unpriceable) part of a resource, e.g. a node pool's vCPUs. */
export interface CostLine {
  /** The resource's URN; absent for stack-level lines (the logging free allotment). */
  readonly urn?: string;
  /** The resource's logical name, or a label for stack-level lines. */
  readonly name: string;
  /** The resource type token, or `usage:<what>` for stack-level usage lines. */
  readonly type: string;
  /** The region the line is billed in, or `global`. */
  readonly region: string;
  /** What is charged, e.g. `vCPU`, `management fee`, `data processed (assumed)`. */
  readonly item: string;
  /** The monthly quantity in `unit`s. */
  readonly quantity: Range;
  /** The unit of the quantity, e.g. `vCPU-hour`, `GiB`. */
  readonly unit: string;
  /** The rates used (one, or two where a tier changes inside the range). */
  readonly rates: readonly string[];
  /** The monthly amount; absent when a rate is unknown. */
  readonly monthly?: Range;
  /** True when a rate was taken from the fallback region. */
  readonly fallback: boolean;
  /** The assumption (key of `spive:cost.assumptions`) the quantity comes from, for usage-based lines. */
  readonly assumption?: keyof CostAssumptions;
  /** Why the line has no amount. */
  readonly unpriced?: string;
}

/** A resource that could not be priced at all (its type is not in the table, or the table says unknown). */
export interface UnpricedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly reason: string;
}

/** Provisioned against requested capacity of one node pool (or runner instance group). */
export interface PoolCapacity {
  /** The pool's logical name. */
  readonly name: string;
  /** The pool's type token. */
  readonly type: string;
  /** The pool's region. */
  readonly region: string;
  /** The machine type. */
  readonly machineType: string;
  /** Nodes, minimum → maximum. */
  readonly nodes: Range;
  /** Allocatable vCPU over all nodes (capacity minus GKE's reservation), or undefined for an unknown machine type. */
  readonly allocatableCpu?: Range;
  /** Allocatable memory in GiB over all nodes, or undefined for an unknown machine type. */
  readonly allocatableMemoryGiB?: Range;
  /** vCPU requested by the workloads scheduled on the pool (replicas, or their HPA's bounds). */
  readonly requestedCpu: Range;
  /** Memory requested in GiB. */
  readonly requestedMemoryGiB: Range;
  /** Pods of the workloads, minimum → maximum. */
  readonly pods: Range;
  /** `oversized` when even at its minimum the pool's allocatable is more than twice what is requested; `undersized` when requests exceed allocatable; `ok` otherwise; `unknown` without a machine shape. */
  readonly verdict: "ok" | "oversized" | "undersized" | "unknown";
}

/** Totals of one group (a resource type, or a region). */
export interface GroupTotal {
  /** The type token or region. */
  readonly key: string;
  /** Resources in the group with at least one line. */
  readonly resources: number;
  /** The sum of its priced lines. */
  readonly monthly: Range;
  /** Lines in the group without an amount. */
  readonly unpricedLines: number;
}

/** The monthly estimate of one stack. */
export interface CostEstimate {
  /** The stack. */
  readonly stack: string;
  /** The currency of every amount. */
  readonly currency: string;
  /** Hours billed for a month. */
  readonly hoursPerMonth: number;
  /** The sum of every priced line. */
  readonly total: Range;
  /** Every line, in snapshot order of their resources, stack-level lines last. */
  readonly lines: readonly CostLine[];
  /** Totals per resource type (usage lines under their `usage:` type), largest maximum first. */
  readonly byType: readonly GroupTotal[];
  /** Totals per region, largest maximum first. */
  readonly byRegion: readonly GroupTotal[];
  /** Resources that could not be priced at all, plus the resources of unpriced lines. */
  readonly unpriced: readonly UnpricedResource[];
  /** Resources that cost nothing of their own, counted per type. */
  readonly free: readonly { readonly type: string; readonly count: number }[];
  /** Regions whose regional rates came from the fallback region. */
  readonly fallbackRegions: readonly string[];
  /** Provisioned against requested capacity of each node pool. */
  readonly pools: readonly PoolCapacity[];
  /** The assumptions the usage lines used. */
  readonly assumptions: CostAssumptions;
}

const ZONE = /^([a-z]+-[a-z]+[0-9]+)-[a-z]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;

/** The region of a zone or region name (`europe-west1-b` → `europe-west1`); `global` for anything else. */
export function regionOf(location: unknown): string {
  if (typeof location !== "string") return "global";
  const zone = ZONE.exec(location);
  if (zone) return zone[1]!;
  return REGION.test(location) ? location : "global";
}

function obj(v: JsonValue | undefined): Record<string, JsonValue> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
}

function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

const fixed = (n: number): Range => ({ min: n, max: n });
const scale = (r: Range, k: number): Range => ({ min: r.min * k, max: r.max * k });
const add = (a: Range, b: Range): Range => ({ min: a.min + b.min, max: a.max + b.max });
const ZERO: Range = fixed(0);

/** Parses a Kubernetes CPU quantity (`500m`, `2`, `0.5`) into cores; undefined when it is not one. */
export function parseCpu(q: JsonValue | undefined): number | undefined {
  if (typeof q === "number") return q;
  if (typeof q !== "string") return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] === "m" ? Number(m[1]) / 1000 : Number(m[1]);
}

/** Parses a Kubernetes memory quantity (`512Mi`, `1Gi`, `1G`, bytes) into GiB; undefined when it is not one. */
export function parseMemoryGiB(q: JsonValue | undefined): number | undefined {
  if (typeof q === "number") return q / 2 ** 30;
  if (typeof q !== "string") return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return undefined;
  const factor: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(m[1]) * factor[m[2] ?? ""]!) / 2 ** 30;
}

/**
 * What GKE leaves allocatable to pods on one Standard node: capacity minus
 * the kubelet and system reservation (CPU: 6 % of the first core, 1 % of the
 * second, 0.5 % of the next two, 0.25 % above four; memory: 25 % of the
 * first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112,
 * 2 % above 128, or 255 MiB below 1 GiB) minus the 100 MiB eviction
 * threshold. Source: "About GKE node sizing", memory and CPU reservations
 * (docs/cost.md).
 */
export function gkeAllocatable(vcpu: number, memoryGiB: number): { cpu: number; memoryGiB: number } {
  const cpuTiers: [number, number][] = [[1, 0.06], [1, 0.01], [2, 0.005], [Infinity, 0.0025]];
  let left = vcpu;
  let cpuReserved = 0;
  for (const [size, share] of cpuTiers) {
    const part = Math.min(left, size);
    cpuReserved += part * share;
    left -= part;
    if (left <= 0) break;
  }
  let memReserved: number;
  if (memoryGiB < 1) memReserved = 255 / 1024;
  else {
    const memTiers: [number, number][] = [[4, 0.25], [4, 0.2], [8, 0.1], [112, 0.06], [Infinity, 0.02]];
    let rest = memoryGiB;
    memReserved = 0;
    for (const [size, share] of memTiers) {
      const part = Math.min(rest, size);
      memReserved += part * share;
      rest -= part;
      if (rest <= 0) break;
    }
  }
  return { cpu: vcpu - cpuReserved, memoryGiB: memoryGiB - memReserved - 100 / 1024 };
}

/** Everything a model may read: the whole plan, indexed. */
interface Context {
  readonly table: PriceTable;
  readonly assumptions: CostAssumptions;
  readonly resources: readonly PlannedResource[];
  readonly byUrn: ReadonlyMap<string, PlannedResource>;
  /** Nodes (or runner hosts) per region, for the NAT gateway's per-VM price. */
  readonly vmsByRegion: ReadonlyMap<string, Range>;
  /** Index of each global forwarding rule among the stack's, for the first-five tier. */
  readonly forwardingRuleIndex: ReadonlyMap<string, number>;
  /** The first external forwarding rule, which carries the load balancer's usage lines. */
  readonly firstExternalRule?: string;
  /** Per region, the resource (its first cluster or instance group) that carries the region's assumed logs. */
  readonly loggingAnchor: ReadonlyMap<string, string>;
}

type LineDraft = Omit<CostLine, "urn" | "name" | "type" | "region" | "monthly" | "fallback" | "unpriced" | "rates"> & { readonly rate: string };

function priced(ctx: Context, r: PlannedResource, region: string, d: LineDraft): CostLine {
  const resolved: ResolvedRate = resolveRate(ctx.table, d.rate, region === "global" ? undefined : region);
  const { rate, ...rest } = d;
  const base = { urn: r.urn, name: r.name, type: r.type, region, ...rest, rates: [rate] };
  if (!resolved.known) return { ...base, fallback: false, unpriced: resolved.reason };
  return { ...base, monthly: scale(d.quantity, resolved.price), fallback: resolved.fallback };
}

function machine(ctx: Context, machineType: string | undefined): { family: string; vcpu: number; memoryGiB: number } | undefined {
  return machineType ? ctx.table.machineTypes.types[machineType] : undefined;
}

function vmLines(ctx: Context, r: PlannedResource, region: string, machineType: string | undefined, nodes: Range, disk: { sizeGb: number; type: string } | undefined): CostLine[] {
  const hours = ctx.table.hoursPerMonth;
  const shape = machine(ctx, machineType);
  const lines: CostLine[] = [];
  if (!shape) {
    lines.push({
      urn: r.urn, name: r.name, type: r.type, region, item: `${machineType ?? "unknown machine type"} instances`,
      quantity: scale(nodes, hours), unit: "instance-hour", rates: [], fallback: false,
      unpriced: `machine type ${JSON.stringify(machineType ?? null)} is not in the price table's machineTypes`,
    });
  } else {
    lines.push(priced(ctx, r, region, { item: `vCPU (${machineType})`, quantity: scale(nodes, shape.vcpu * hours), unit: "vCPU-hour", rate: `${shape.family}.vcpuHour` }));
    lines.push(priced(ctx, r, region, { item: `memory (${machineType})`, quantity: scale(nodes, shape.memoryGiB * hours), unit: "GiB-hour", rate: `${shape.family}.memoryGiBHour` }));
  }
  if (disk) lines.push(priced(ctx, r, region, { item: `boot disk (${disk.type}, ${disk.sizeGb} GiB)`, quantity: scale(nodes, disk.sizeGb), unit: "GiB-month", rate: `disk.${disk.type}.GiBMonth` }));
  return lines;
}

/** Nodes of a GKE node pool: fixed count or autoscaler bounds, per zone × zones (or total bounds). */
export function nodePoolNodes(inputs: Record<string, JsonValue>): Range {
  const zones = Array.isArray(inputs.nodeLocations) && inputs.nodeLocations.length > 0 ? inputs.nodeLocations.length : ZONE.test(String(inputs.location ?? "")) ? 1 : 3;
  const auto = obj(inputs.autoscaling);
  if (auto) {
    const totalMin = num(auto.totalMinNodeCount);
    const totalMax = num(auto.totalMaxNodeCount);
    if (totalMin !== undefined || totalMax !== undefined) return { min: totalMin ?? 0, max: totalMax ?? totalMin ?? 0 };
    const min = num(auto.minNodeCount) ?? 0;
    const max = num(auto.maxNodeCount) ?? min;
    return { min: min * zones, max: max * zones };
  }
  const count = num(inputs.nodeCount) ?? num(inputs.initialNodeCount) ?? 1;
  return fixed(count * zones);
}

/** Instances of a managed instance group: its target size plus the per-instance configs that name it. */
function instanceGroupSize(ctx: Context, igm: PlannedResource): number {
  const name = str(igm.inputs.name) ?? igm.name;
  const zone = str(igm.inputs.zone);
  const configs = ctx.resources.filter(
    (p) => p.type === "gcp:compute/perInstanceConfig:PerInstanceConfig" && str(p.inputs.instanceGroupManager) === name && (zone === undefined || str(p.inputs.zone) === zone),
  ).length;
  return (num(igm.inputs.targetSize) ?? 0) + configs;
}

/** The instance template a group uses: named in its versions, or else the only template beside it. */
function templateOf(ctx: Context, igm: PlannedResource): PlannedResource | undefined {
  const templates = ctx.resources.filter((p) => p.type === "gcp:compute/instanceTemplate:InstanceTemplate");
  const versions = Array.isArray(igm.inputs.versions) ? igm.inputs.versions : [];
  for (const v of versions) {
    const ref = str(obj(v)?.instanceTemplate);
    const hit = ref && templates.find((t) => ref === t.name || ref === `${t.name}-id` || ref === str(t.inputs.name) || ref.endsWith(`/${t.name}`));
    if (hit) return hit;
  }
  const siblings = templates.filter((t) => t.parent === igm.parent);
  return siblings.length === 1 ? siblings[0] : templates.length === 1 ? templates[0] : undefined;
}

function usageLine(ctx: Context, r: PlannedResource, region: string, item: string, assumption: keyof CostAssumptions, quantity: number, unit: string, rate: string): CostLine {
  return { ...priced(ctx, r, region, { item, quantity: fixed(quantity), unit, rate }), assumption };
}

/** The region's assumed logs, carried once per region by its first cluster or instance group. */
function regionLogs(ctx: Context, r: PlannedResource, region: string): CostLine[] {
  if (ctx.loggingAnchor.get(region) !== r.urn) return [];
  return [usageLine(ctx, r, region, "logs (assumed)", "loggingGiBPerRegion", ctx.assumptions.loggingGiBPerRegion, "GiB", "logging.GiB")];
}

type Model = (ctx: Context, r: PlannedResource) => CostLine[];

const MODELS: Record<CostModelName, Model> = {
  "gke-cluster": (ctx, r) => {
    const region = regionOf(r.inputs.location);
    return [
      priced(ctx, r, region, { item: "cluster management fee", quantity: fixed(ctx.table.hoursPerMonth), unit: "cluster-hour", rate: "gke.clusterHour" }),
      ...regionLogs(ctx, r, region),
    ];
  },
  "gke-node-pool": (ctx, r) => {
    const region = regionOf(r.inputs.location);
    const node = obj(r.inputs.nodeConfig) ?? {};
    return vmLines(ctx, r, region, str(node.machineType) ?? "e2-medium", nodePoolNodes(r.inputs), {
      sizeGb: num(node.diskSizeGb) ?? 100,
      type: str(node.diskType) ?? "pd-balanced",
    });
  },
  "instance-group": (ctx, r) => {
    const region = regionOf(r.inputs.zone ?? r.inputs.region);
    const size = fixed(instanceGroupSize(ctx, r));
    const template = templateOf(ctx, r);
    if (!template) {
      return [{ urn: r.urn, name: r.name, type: r.type, region, item: "instances", quantity: scale(size, ctx.table.hoursPerMonth), unit: "instance-hour", rates: [], fallback: false, unpriced: "its instance template could not be identified in the plan" }];
    }
    const disks = Array.isArray(template.inputs.disks) ? template.inputs.disks.map(obj) : [];
    const boot = disks.find((d) => d?.boot === true) ?? disks[0];
    const lines = vmLines(ctx, r, region, str(template.inputs.machineType), size, boot ? { sizeGb: num(boot.diskSizeGb) ?? 10, type: str(boot.diskType) ?? "pd-standard" } : undefined);
    lines.push(...regionLogs(ctx, r, region));
    return lines;
  },
  "cloud-nat": (ctx, r) => {
    const region = regionOf(r.inputs.region);
    const hours = ctx.table.hoursPerMonth;
    const vms = ctx.vmsByRegion.get(region) ?? ZERO;
    const perVm = resolveRate(ctx.table, "nat.vmHour", region);
    const cap = resolveRate(ctx.table, "nat.gatewayCapHour", region);
    const lines: CostLine[] = [];
    const base = { urn: r.urn, name: r.name, type: r.type, region };
    if (perVm.known && cap.known) {
      const hourly = (n: number): number => (n <= 32 ? n * perVm.price : cap.price);
      const rates = [...new Set([vms.min, vms.max].map((n) => (n <= 32 ? "nat.vmHour" : "nat.gatewayCapHour")))];
      lines.push({ ...base, item: `gateway (${vms.min === vms.max ? vms.min : `${vms.min}→${vms.max}`} VMs)`, quantity: scale(vms, hours), unit: "VM-hour", rates, monthly: { min: hourly(vms.min) * hours, max: hourly(vms.max) * hours }, fallback: false });
    } else {
      lines.push({ ...base, item: "gateway", quantity: scale(vms, hours), unit: "VM-hour", rates: ["nat.vmHour", "nat.gatewayCapHour"], fallback: false, unpriced: perVm.known ? (cap as { reason: string }).reason : perVm.reason });
    }
    lines.push(usageLine(ctx, r, region, "external IPs (assumed)", "natIpsPerGateway", ctx.assumptions.natIpsPerGateway * hours, "IP-hour", "nat.ipHour"));
    lines.push(usageLine(ctx, r, region, "data processed (assumed)", "natDataGiBPerRegion", ctx.assumptions.natDataGiBPerRegion, "GiB", "nat.dataGiB"));
    return lines;
  },
  "global-forwarding-rule": (ctx, r) => {
    const index = ctx.forwardingRuleIndex.get(r.urn) ?? 0;
    const lines = [priced(ctx, r, "global", { item: index < 5 ? "forwarding rule (first 5)" : "forwarding rule (6th or later)", quantity: fixed(ctx.table.hoursPerMonth), unit: "rule-hour", rate: index < 5 ? "lb.forwardingRuleHour" : "lb.additionalForwardingRuleHour" })];
    if (ctx.firstExternalRule === r.urn) {
      lines.push(usageLine(ctx, r, "global", "data processed (assumed)", "loadBalancerGiBPerMonth", ctx.assumptions.loadBalancerGiBPerMonth, "GiB", "lb.dataGiB"));
      lines.push(usageLine(ctx, r, "global", "internet egress (assumed)", "internetEgressGiBPerMonth", ctx.assumptions.internetEgressGiBPerMonth, "GiB", "egress.internetGiB"));
    }
    return lines;
  },
  "global-address": (ctx, r) => [priced(ctx, r, "global", { item: "static external IP", quantity: fixed(ctx.table.hoursPerMonth), unit: "IP-hour", rate: "ip.globalStaticHour" })],
  "dns-zone": (ctx, r) => [
    priced(ctx, r, "global", { item: `${str(r.inputs.visibility) ?? "public"} zone`, quantity: fixed(ctx.table.hoursPerMonth), unit: "zone-hour", rate: "dns.zoneHour" }),
    usageLine(ctx, r, "global", "queries (assumed)", "dnsQueriesMillionsPerZone", ctx.assumptions.dnsQueriesMillionsPerZone, "million queries", "dns.queriesMillion"),
  ],
  "bigtable-instance": (ctx, r) => {
    const clusters = (Array.isArray(r.inputs.clusters) ? r.inputs.clusters : []).map(obj).filter((c): c is Record<string, JsonValue> => c !== undefined);
    return clusters.flatMap((c) => {
      const region = regionOf(c.zone);
      const auto = obj(obj(c.autoscalingConfig) ?? undefined);
      const nodes: Range = auto ? { min: num(auto.minNodes) ?? 1, max: num(auto.maxNodes) ?? num(auto.minNodes) ?? 1 } : fixed(num(c.numNodes) ?? 1);
      const storage = str(c.storageType) === "HDD" ? "hdd" : "ssd";
      return [
        priced(ctx, r, region, { item: `nodes of cluster ${str(c.clusterId) ?? "?"}`, quantity: scale(nodes, ctx.table.hoursPerMonth), unit: "node-hour", rate: "bigtable.nodeHour" }),
        usageLine(ctx, r, region, `${storage.toUpperCase()} storage of cluster ${str(c.clusterId) ?? "?"} (assumed)`, "eventStoreGiB", ctx.assumptions.eventStoreGiB, "GiB-month", `bigtable.${storage}GiBMonth`),
      ];
    });
  },
  "spanner-instance": (ctx, r) => {
    const config = str(r.inputs.config) ?? "";
    const region = regionOf(config.replace(/^regional-/, ""));
    const auto = obj(obj(r.inputs.autoscalingConfig)?.autoscalingLimits);
    let nodes: Range;
    if (auto) {
      const min = num(auto.minNodes) ?? (num(auto.minProcessingUnits) ?? 0) / 1000;
      const max = num(auto.maxNodes) ?? (num(auto.maxProcessingUnits) ?? min * 1000) / 1000;
      nodes = { min, max };
    } else nodes = fixed(num(r.inputs.numNodes) ?? (num(r.inputs.processingUnits) ?? 1000) / 1000);
    return [
      priced(ctx, r, region, { item: `compute (${config || "unknown config"})`, quantity: scale(nodes, ctx.table.hoursPerMonth), unit: "node-hour", rate: "spanner.nodeHour" }),
      usageLine(ctx, r, region, "storage (assumed)", "eventStoreGiB", ctx.assumptions.eventStoreGiB, "GiB-month", "spanner.storageGiBMonth"),
    ];
  },
  "armor-policy": (ctx, r) => {
    const rules = Array.isArray(r.inputs.rules) ? r.inputs.rules.length : 0;
    const lines = [priced(ctx, r, "global", { item: "security policy", quantity: fixed(1), unit: "policy-month", rate: "armor.policyMonth" })];
    if (rules > 0) lines.push(priced(ctx, r, "global", { item: `${rules} inline rules`, quantity: fixed(rules), unit: "rule-month", rate: "armor.ruleMonth" }));
    return lines;
  },
  "armor-rule": (ctx, r) => [priced(ctx, r, "global", { item: "security policy rule", quantity: fixed(1), unit: "rule-month", rate: "armor.ruleMonth" })],
  "certificate-manager-certificate": (ctx, r) => [priced(ctx, r, regionOf(r.inputs.location), { item: "certificate", quantity: fixed(1), unit: "certificate-month", rate: "certificateManager.certificateMonth" })],
};

function workloadPods(ctx: Context, d: PlannedResource): Range {
  const spec = obj(d.inputs.spec) ?? {};
  const replicas = num(spec.replicas);
  if (replicas !== undefined) return fixed(replicas);
  const name = str(obj(d.inputs.metadata)?.name) ?? d.name;
  const hpa = ctx.resources.find(
    (h) => h.type.startsWith("kubernetes:autoscaling/") && h.type.endsWith(":HorizontalPodAutoscaler") && h.provider === d.provider && str(obj(obj(h.inputs.spec)?.scaleTargetRef)?.name) === name,
  );
  const hs = obj(hpa?.inputs.spec);
  if (hs) return { min: num(hs.minReplicas) ?? 1, max: num(hs.maxReplicas) ?? num(hs.minReplicas) ?? 1 };
  return fixed(1);
}

function podRequests(d: PlannedResource): { cpu: number; memoryGiB: number } {
  const podSpec = obj(obj(obj(d.inputs.spec)?.template)?.spec) ?? {};
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  let cpu = 0;
  let memoryGiB = 0;
  for (const c of containers.map(obj)) {
    const req = obj(obj(c?.resources)?.requests) ?? obj(obj(c?.resources)?.limits);
    cpu += parseCpu(req?.cpu) ?? 0;
    memoryGiB += parseMemoryGiB(req?.memory) ?? 0;
  }
  return { cpu, memoryGiB };
}

const WORKLOAD_KINDS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]);

function poolCapacities(ctx: Context): PoolCapacity[] {
  const pools = ctx.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool");
  return pools.map((pool) => {
    const nodeConfig = obj(pool.inputs.nodeConfig) ?? {};
    const machineType = str(nodeConfig.machineType) ?? "e2-medium";
    const nodes = nodePoolNodes(pool.inputs);
    const shape = machine(ctx, machineType);
    // A workload runs on the pool whose parent is its Kubernetes provider's parent (the region's component).
    const workloads = ctx.resources.filter((w) => WORKLOAD_KINDS.has(w.type) && w.provider !== undefined && ctx.byUrn.get(w.provider)?.parent === pool.parent);
    let cpu = ZERO;
    let mem = ZERO;
    let pods = ZERO;
    for (const w of workloads) {
      const n = workloadPods(ctx, w);
      const req = podRequests(w);
      pods = add(pods, n);
      cpu = add(cpu, scale(n, req.cpu));
      mem = add(mem, scale(n, req.memoryGiB));
    }
    const per = shape ? gkeAllocatable(shape.vcpu, shape.memoryGiB) : undefined;
    const allocatableCpu = per ? scale(nodes, per.cpu) : undefined;
    const allocatableMemoryGiB = per ? scale(nodes, per.memoryGiB) : undefined;
    let verdict: PoolCapacity["verdict"] = "unknown";
    if (allocatableCpu && allocatableMemoryGiB) {
      if (cpu.max > allocatableCpu.max || mem.max > allocatableMemoryGiB.max || cpu.min > allocatableCpu.min || mem.min > allocatableMemoryGiB.min) verdict = "undersized";
      else if (cpu.min * 2 < allocatableCpu.min && mem.min * 2 < allocatableMemoryGiB.min) verdict = "oversized";
      else verdict = "ok";
    }
    return { name: pool.name, type: pool.type, region: regionOf(pool.inputs.location), machineType, nodes, allocatableCpu, allocatableMemoryGiB, requestedCpu: cpu, requestedMemoryGiB: mem, pods, verdict };
  });
}

function loggingAnchors(resources: readonly PlannedResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources) {
    if (r.type === "gcp:container/cluster:Cluster" || r.type === "gcp:compute/instanceGroupManager:InstanceGroupManager") {
      const region = regionOf(r.inputs.location ?? r.inputs.zone ?? r.inputs.region);
      if (!out.has(region)) out.set(region, r.urn);
    }
  }
  return out;
}

function vmsByRegion(resources: readonly PlannedResource[], ctxLike: Omit<Context, "vmsByRegion" | "forwardingRuleIndex" | "firstExternalRule" | "loggingAnchor">): Map<string, Range> {
  const out = new Map<string, Range>();
  const bump = (region: string, n: Range): void => {
    out.set(region, add(out.get(region) ?? ZERO, n));
  };
  for (const r of resources) {
    if (r.type === "gcp:container/nodePool:NodePool") bump(regionOf(r.inputs.location), nodePoolNodes(r.inputs));
    if (r.type === "gcp:compute/instanceGroupManager:InstanceGroupManager") bump(regionOf(r.inputs.zone ?? r.inputs.region), fixed(instanceGroupSize(ctxLike as Context, r)));
  }
  return out;
}

function groupTotals(lines: readonly CostLine[], key: (l: CostLine) => string): GroupTotal[] {
  const groups = new Map<string, { resources: Set<string>; monthly: Range; unpricedLines: number }>();
  for (const l of lines) {
    const k = key(l);
    const g = groups.get(k) ?? { resources: new Set<string>(), monthly: ZERO, unpricedLines: 0 };
    g.resources.add(l.urn ?? `${l.type}::${l.name}`);
    if (l.monthly) g.monthly = add(g.monthly, l.monthly);
    else g.unpricedLines++;
    groups.set(k, g);
  }
  return [...groups.entries()]
    .map(([k, g]) => ({ key: k, resources: g.resources.size, monthly: g.monthly, unpricedLines: g.unpricedLines }))
    .sort((a, b) => b.monthly.max - a.monthly.max || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** What the stack's logs cost beyond the project's free allotment: a negative line for the allotment used. */
function loggingAllotment(ctx: Context, lines: readonly CostLine[]): CostLine | undefined {
  const logged = lines.filter((l) => l.rates.includes("logging.GiB")).reduce((s, l) => s + l.quantity.min, 0);
  if (logged === 0) return undefined;
  const free = resolveRate(ctx.table, "logging.freeGiBPerProject", undefined);
  const price = resolveRate(ctx.table, "logging.GiB", undefined);
  if (!free.known || !price.known) return undefined;
  const used = Math.min(free.price, logged);
  return { name: "free allotment (50 GiB per project)", type: "usage:cloud-logging", region: "global", item: "logs within the free allotment", quantity: fixed(-used), unit: "GiB", rates: ["logging.freeGiBPerProject", "logging.GiB"], monthly: fixed(-used * price.price), fallback: false, assumption: "loggingGiBPerRegion" };
}

/**
 * Estimates one stack's monthly cost from its plan: every custom resource is
 * priced by its type's model, counted as free, or listed as unpriced;
 * components (Pulumi-only groupings) are skipped.
 */
export function estimateCost(stack: string, resources: readonly PlannedResource[], table: PriceTable, assumptions: CostAssumptions): CostEstimate {
  const managed = resources.filter((r) => r.custom);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const partial = { table, assumptions, resources: managed, byUrn };
  const rules = managed.filter((r) => r.type === "gcp:compute/globalForwardingRule:GlobalForwardingRule");
  const external = rules.find((r) => String(r.inputs.loadBalancingScheme ?? "EXTERNAL").startsWith("EXTERNAL"));
  const ctx: Context = {
    ...partial,
    vmsByRegion: vmsByRegion(managed, partial),
    forwardingRuleIndex: new Map(rules.map((r, i) => [r.urn, i])),
    firstExternalRule: external?.urn,
    loggingAnchor: loggingAnchors(managed),
  };
  const lines: CostLine[] = [];
  const unpriced: UnpricedResource[] = [];
  const free = new Map<string, number>();
  for (const r of managed) {
    const entry = table.resourceTypes[r.type];
    if (!entry) {
      unpriced.push({ urn: r.urn, type: r.type, name: r.name, reason: `its type ${r.type} is not in the price table (pricing/gcp.yaml > resourceTypes)` });
    } else if ("free" in entry) {
      free.set(r.type, (free.get(r.type) ?? 0) + 1);
    } else if ("unknown" in entry) {
      unpriced.push({ urn: r.urn, type: r.type, name: r.name, reason: entry.unknown });
    } else {
      const own = MODELS[entry.model](ctx, r);
      lines.push(...own);
      for (const l of own) if (l.unpriced) unpriced.push({ urn: r.urn, type: r.type, name: r.name, reason: `${l.item}: ${l.unpriced}` });
    }
  }
  const allotment = loggingAllotment(ctx, lines);
  if (allotment) lines.push(allotment);
  const total = lines.reduce((s, l) => (l.monthly ? add(s, l.monthly) : s), ZERO);
  return {
    stack,
    currency: table.currency,
    hoursPerMonth: table.hoursPerMonth,
    total,
    lines,
    byType: groupTotals(lines, (l) => (l.assumption ? `usage:${l.assumption}` : l.type)),
    byRegion: groupTotals(lines, (l) => l.region),
    unpriced,
    free: [...free.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, count]) => ({ type, count })),
    fallbackRegions: [...new Set(lines.filter((l) => l.fallback).map((l) => l.region))].sort(),
    pools: poolCapacities(ctx),
    assumptions,
  };
}

/** The monthly total of one resource (every line with its URN). */
export function resourceTotal(estimate: CostEstimate, urn: string): Range {
  return estimate.lines.filter((l) => l.urn === urn && l.monthly).reduce((s, l) => add(s, l.monthly!), ZERO);
}
