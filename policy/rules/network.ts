import { RESERVED_RANGES } from "../../topology/address-plan";
import { overlaps } from "../../topology/cidr";
import { at, isUnknown, show, type StackFinding, type StackResource, type StackRule } from "../model";
import { CLUSTER } from "./gke";

/**
 * The network guardrails a first deployment depends on: GKE control planes
 * that the deployer and the managing layer can actually reach, and an address
 * plan with no overlaps. Cross-layer overlaps are refused earlier, at program
 * start, by the tower check over every committed stack (`buildTower`); a stack
 * rule sees one stack only. Nothing here imports Pulumi.
 */

/** The subnetwork type token. */
export const SUBNETWORK = "gcp:compute/subnetwork:Subnetwork";

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const isCidr = (v: unknown): v is string => typeof v === "string" && CIDR.test(v) && v.split("/")[0]!.split(".").every((o) => Number(o) <= 255) && Number(v.split("/")[1]) <= 32;

/** Every IPv4 range a subnetwork declares (primary and secondary), with the property path it comes from. */
function subnetRanges(r: StackResource): { path: string; cidr: string }[] {
  const out: { path: string; cidr: string }[] = [];
  const primary = at(r.props, "ipCidrRange");
  if (isCidr(primary)) out.push({ path: "ipCidrRange", cidr: primary });
  const secondary = at(r.props, "secondaryIpRanges");
  if (Array.isArray(secondary)) {
    secondary.forEach((s, i) => {
      const c = at(s, "ipCidrRange");
      if (isCidr(c)) out.push({ path: `secondaryIpRanges.${i}.ipCidrRange`, cidr: c });
    });
  }
  return out;
}

const inside = (outer: string, inner: string): boolean => {
  const [o, ol] = outer.split("/") as [string, string];
  const [i, il] = inner.split("/") as [string, string];
  const num = (ip: string) => ip.split(".").reduce((a, x) => a * 256 + Number(x), 0);
  return Number(il) >= Number(ol) && num(i) >= num(o) && num(i) + 2 ** (32 - Number(il)) <= num(o) + 2 ** (32 - Number(ol));
};

/**
 * Every GKE control plane is reachable the way the tower reaches it: the
 * IAM-gated DNS endpoint is open to authorized callers (the deployer's and the
 * managing layer's Google identities), the cluster uses Private Service
 * Connect (no master CIDR: no VPC peering per cluster), and an IP endpoint,
 * when on, admits only ranges the stack itself declares (a subnetwork's
 * primary or secondary range); an allowlist of addresses nothing declares
 * reaches nothing.
 */
export const gkeControlPlaneReachability: StackRule = {
  kind: "stack",
  id: "gke-control-plane-reachability",
  description:
    "GKE control planes expose their IAM-gated DNS endpoint, use Private Service Connect (no master CIDR), and an IP endpoint, when on, admits only ranges the stack declares.",
  control: "Spive deployability D1 (every control plane the program manages is reachable by the deployer and the managing layer)",
  types: [CLUSTER, SUBNETWORK],
  check: (resources) => {
    const declared = resources.filter((r) => r.type === SUBNETWORK).flatMap(subnetRanges).map((x) => x.cidr);
    const out: StackFinding[] = [];
    for (const c of resources.filter((r) => r.type === CLUSTER)) {
      const say = (m: string) => out.push({ urn: c.urn, message: `${CLUSTER} "${c.name}" > ${m}` });
      const dns = at(c.props, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic");
      if (!isUnknown(dns) && dns !== true) {
        say(`controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic: expected true (the IAM-gated DNS endpoint is how the deployer and the managing layer reach the control plane), got ${show(dns)}.`);
      }
      const master = at(c.props, "privateClusterConfig.masterIpv4CidrBlock");
      if (!isUnknown(master) && master !== undefined && master !== null && master !== "") {
        say(`privateClusterConfig.masterIpv4CidrBlock: expected unset (a Private Service Connect cluster; a master CIDR makes a VPC-peered one, one peering per cluster on the layer's network), got ${show(master)}.`);
      }
      const ip = at(c.props, "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled");
      if (isUnknown(ip) || ip === false) continue;
      const blocks = at(c.props, "masterAuthorizedNetworksConfig.cidrBlocks");
      if (!Array.isArray(blocks)) continue;
      blocks.forEach((b, i) => {
        const cidr = at(b, "cidrBlock");
        // A /0 is gke-authorized-networks' finding; an unknown is not judged.
        if (!isCidr(cidr) || cidr.endsWith("/0")) return;
        if (!declared.some((d) => inside(d, cidr))) {
          say(`masterAuthorizedNetworksConfig.cidrBlocks.${i}.cidrBlock: expected a range inside one the stack declares (a subnetwork's primary or secondary range), or the IP endpoints off, got ${cidr}, which nothing in the stack declares.`);
        }
      });
    }
    return out;
  },
};

/**
 * No two ranges a stack declares overlap, and none overlaps a reserved range
 * (topology/address-plan.ts): overlapping subnets cannot route, and a subnet
 * over the metadata server's, Docker's or Google's probe ranges breaks them.
 */
export const addressOverlap: StackRule = {
  kind: "stack",
  id: "address-overlap",
  description: "No two subnetwork ranges (primary or secondary) of a stack overlap, and none overlaps a reserved range (link-local, Docker's bridge, IAP, Google's probes).",
  control: "Spive deployability D2 (one address plan for the whole tower)",
  types: [SUBNETWORK],
  check: (resources) => {
    const ranges = resources.filter((r) => r.type === SUBNETWORK).flatMap((r) => subnetRanges(r).map((x) => ({ ...x, r })));
    const out: StackFinding[] = [];
    ranges.forEach((x, i) => {
      const say = (m: string) => out.push({ urn: x.r.urn, message: `${SUBNETWORK} "${x.r.name}" > ${x.path}: ${m}` });
      const reserved = RESERVED_RANGES.find((rr) => overlaps(rr.cidr, x.cidr));
      if (reserved) say(`expected a range outside the reserved ranges, got ${x.cidr}, which overlaps ${reserved.cidr} (${reserved.reason}).`);
      const other = ranges.slice(0, i).find((y) => overlaps(y.cidr, x.cidr));
      if (other) say(`expected a range that overlaps no other range of the stack, got ${x.cidr}, which overlaps ${other.r.name}'s ${other.path} ${other.cidr}.`);
    });
    return out;
  },
};

/** Every network rule. */
export const NETWORK_RULES: readonly StackRule[] = [gkeControlPlaneReachability, addressOverlap];
