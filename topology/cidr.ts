/**
 * Pure IPv4 address planning: carves each region's subnets out of the layer's
 * block. GKE layers pass the region's permanent position in the region
 * catalog (topology/regions.ts), so adding or removing a region never
 * renumbers the others.
 */
import { regionBlock } from "./regions";

/** Parses `a.b.c.d/len` into a 32-bit base address and prefix length. */
export function parseCidr(cidr: string): { base: number; len: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`expected an IPv4 CIDR block such as 10.0.0.0/8, got "${cidr}".`);
  const octets = m.slice(1, 5).map(Number);
  const len = Number(m[5]);
  if (octets.some((o) => o > 255) || len > 32) throw new Error(`expected an IPv4 CIDR block such as 10.0.0.0/8, got "${cidr}".`);
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (addr & mask) >>> 0, len };
}

/** Formats a 32-bit base address and prefix length as `a.b.c.d/len`. */
export function formatCidr(base: number, len: number): string {
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${len}`;
}

/** The `index`-th sub-block of prefix length `len` inside `parent`. */
export function subBlock(parent: string, len: number, index: number): string {
  const p = parseCidr(parent);
  if (len < p.len) throw new Error(`cannot carve a /${len} out of ${parent}: it is larger than the block.`);
  const count = 2 ** (len - p.len);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`${parent} holds ${count} blocks of /${len}; index ${index} is out of range.`);
  }
  return formatCidr((p.base + index * 2 ** (32 - len)) >>> 0, len);
}

/** True when the two CIDR blocks share an address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const xEnd = x.base + 2 ** (32 - x.len);
  const yEnd = y.base + 2 ** (32 - y.len);
  return x.base < yEnd && y.base < xEnd;
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  return i.len >= o.len && i.base >= o.base && i.base + 2 ** (32 - i.len) <= o.base + 2 ** (32 - o.len);
}

/** The prefix length of each region's slot in a GKE layer's block (a /10 holds 64 slots). */
export const REGION_SLOT_PREFIX = 16;

/** Nodes a region's pod range can hold: GKE gives each node a /24 of pods (110 pods per node), and the pod range is a /17. */
export const NODES_PER_REGION_MAX = 128;

/** The address plan of one region of a GKE layer. */
export interface RegionCidrs {
  /** Primary range of the nodes' subnet (/20); a PSC control plane's internal endpoint takes an address here too. */
  readonly nodes: string;
  /** Secondary range for pods (/17: 128 nodes' /24s). */
  readonly pods: string;
  /** Secondary range for services (/20). */
  readonly services: string;
}

/**
 * Carves region `index`'s ranges out of the layer block: each region gets its
 * own /16 slot (so a /10 holds 64 regions); inside it pods take the first
 * /17, nodes and services the next two /20s, and the rest of the slot
 * (x.y.160.0 to x.y.255.255) stays free. There is no control-plane range:
 * the clusters use Private Service Connect, which needs none.
 */
export function regionCidrs(layerCidr: string, index: number): RegionCidrs {
  const region = subBlock(layerCidr, REGION_SLOT_PREFIX, index);
  return {
    pods: subBlock(region, 17, 0),
    nodes: subBlock(region, 20, 8),
    services: subBlock(region, 20, 9),
  };
}

/**
 * The address plan of a GKE layer: each region's ranges carved at its
 * permanent catalog position (topology/regions.ts), so the plan of a region
 * never depends on which other regions the layer lists. Throws for a region
 * missing from the catalog (the config schema reports that first).
 */
export function layerAddressPlan(layerCidr: string, regions: readonly string[]): Record<string, RegionCidrs> {
  const plan: Record<string, RegionCidrs> = {};
  for (const region of regions) {
    const block = regionBlock(region);
    if (block === undefined) throw new Error(`Region "${region}" is not in the region catalog (topology/regions.ts): expected a catalogued region, got "${region}".`);
    plan[region] = regionCidrs(layerCidr, block);
  }
  return plan;
}
