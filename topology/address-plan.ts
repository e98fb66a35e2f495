/**
 * The tower's address plan: which IPv4 blocks no layer may use, and the
 * checks every layer block and authorized network goes through. Each layer
 * owns one disjoint block (`spive:network.cidr`); the cross-layer check lives
 * in `buildTower` (layers/registry.ts), which every stack evaluation runs over
 * the whole committed tower. No Pulumi import.
 *
 * The committed plan (docs/layers.md, "Address plan"):
 *
 * | block          | holder                                   |
 * |----------------|------------------------------------------|
 * | 10.0.0.0/16    | prod0 (its runner subnet is the first /24) |
 * | 10.1.0.0/16 … 10.63.255.255 | free: small layers, future peering or VPN |
 * | 10.64.0.0/10   | prod1 (64 region slots of /16)           |
 * | 10.128.0.0/10  | prod2                                    |
 * | 10.192.0.0/10  | prod3                                    |
 */
import { formatCidr, overlaps, parseCidr } from "./cidr";

/** A range no layer block may overlap, and why. */
export interface ReservedRange {
  /** The block. */
  readonly cidr: string;
  /** Why it is reserved, for the error message. */
  readonly reason: string;
}

/** Ranges that are never a layer's: their traffic means something else on Google Cloud or on the hosts. */
export const RESERVED_RANGES: readonly ReservedRange[] = [
  { cidr: "0.0.0.0/8", reason: "\"this network\" (RFC 1122)" },
  { cidr: "127.0.0.0/8", reason: "loopback" },
  { cidr: "169.254.0.0/16", reason: "link-local, where the metadata server lives" },
  { cidr: "172.17.0.0/16", reason: "Docker's default bridge on the Container-Optimized OS runner hosts" },
  { cidr: "35.235.240.0/20", reason: "IAP TCP forwarding, the deployer's source range" },
  { cidr: "35.191.0.0/16", reason: "Google's load balancer and health-check probes" },
  { cidr: "130.211.0.0/22", reason: "Google's load balancer and health-check probes" },
  { cidr: "224.0.0.0/4", reason: "multicast" },
];

/** The network address of `cidr` when host bits are set (e.g. `10.0.0.0/8` for `10.1.0.0/8`), otherwise undefined. */
export function hostBitsFix(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const { base, len } = parseCidr(cidr);
  return addr === base ? undefined : formatCidr(base, len);
}

/** The reserved ranges `cidr` overlaps. */
export function reservedOverlaps(cidr: string): ReservedRange[] {
  return RESERVED_RANGES.filter((r) => overlaps(r.cidr, cidr));
}
