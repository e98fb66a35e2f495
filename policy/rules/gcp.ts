import { at, expectAt, isUnknown, only, show, type Props, type ResourceRule } from "../model";
import { CLUSTER } from "./gke";

/**
 * Google Cloud guardrails outside GKE: deletion protection on what holds
 * state or takes long to rebuild, DNSSEC on public zones, least-privilege IAM
 * (no basic roles, no service-account keys) and no administrative ports open
 * to the internet. Controls cite the CIS Google Cloud Platform Foundation
 * Benchmark v2.0.0 where one exists, and the Spive reliability requirements
 * (docs/policy.md) otherwise.
 */

/** The Bigtable instance type token. */
export const BIGTABLE_INSTANCE = "gcp:bigtable/instance:Instance";
/** The Spanner database type token (prod-0's event store). */
export const SPANNER_DATABASE = "gcp:spanner/database:Database";
/** The Cloud DNS managed zone type token. */
export const MANAGED_ZONE = "gcp:dns/managedZone:ManagedZone";
/** The service-account key type token. */
export const SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key";
/** The VPC firewall rule type token. */
export const FIREWALL = "gcp:compute/firewall:Firewall";

const CIS_GCP = "CIS GCP Foundations Benchmark 2.0.0";

/** The basic (primitive) roles, which grant thousands of permissions across every service. */
export const PRIMITIVE_ROLES: readonly string[] = ["roles/owner", "roles/editor", "roles/viewer"];

/** True for the IAM member, binding and policy resources of every Google Cloud service (`…IamMember`, `…IAMBinding`, `…IAMPolicy`). */
export function isIamType(type: string): boolean {
  return type.startsWith("gcp:") && /iam(member|binding|policy)$/i.test(type.split(":").pop() ?? "");
}

/** Deletion protection on GKE clusters, Bigtable instances and Spanner databases. */
export const deletionProtection: ResourceRule = {
  kind: "resource",
  id: "deletion-protection",
  description: "GKE clusters, Bigtable instances and Spanner databases keep deletion protection on (deletionProtection not false), except a cluster labelled spive-retiring=true (a region listed in spive:layer.retiringRegions).",
  control: "Spive reliability R1 (state and long-lived capacity survive a mistaken delete)",
  types: [CLUSTER, BIGTABLE_INSTANCE, SPANNER_DATABASE],
  appliesTo: only(CLUSTER, BIGTABLE_INSTANCE, SPANNER_DATABASE),
  check: (type, inputs) =>
    // The one documented way to delete a cluster: its region is listed as retiring (docs/adding-a-region.md).
    type === CLUSTER && at(inputs, "resourceLabels.spive-retiring") === "true"
      ? []
      : expectAt(inputs, "deletionProtection", (v) => v !== false, "unset or true (the provider's default is true), or the cluster labelled spive-retiring=true by spive:layer.retiringRegions"),
};

/** CIS GCP 3.3, 3.4, 3.5: DNSSEC on public zones, never with RSASHA1. */
export const dnsDnssec: ResourceRule = {
  kind: "resource",
  id: "dns-dnssec",
  description: "Public Cloud DNS zones are signed with DNSSEC, and no key uses RSASHA1.",
  control: `${CIS_GCP} 3.3, 3.4, 3.5`,
  types: [MANAGED_ZONE],
  appliesTo: only(MANAGED_ZONE),
  check: (_type, inputs) => {
    const visibility = at(inputs, "visibility");
    if (isUnknown(visibility) || (visibility !== undefined && visibility !== "public")) return [];
    const out = expectAt(inputs, "dnssecConfig.state", (v) => v === "on", '"on" on a public zone');
    const specs = at(inputs, "dnssecConfig.defaultKeySpecs");
    if (Array.isArray(specs)) {
      specs.forEach((spec, i) => {
        out.push(...expectAt(spec, "algorithm", (v) => typeof v !== "string" || v.toLowerCase() !== "rsasha1", "an algorithm other than rsasha1", `dnssecConfig.defaultKeySpecs.${i}.`));
      });
    }
    return out;
  },
};

function rolesOfPolicyData(data: unknown): { roles: string[]; error?: string } {
  if (typeof data !== "string") return { roles: [] };
  try {
    const parsed = JSON.parse(data) as { bindings?: { role?: unknown }[] };
    return { roles: (parsed.bindings ?? []).map((b) => String(b.role)) };
  } catch {
    return { roles: [], error: `policyData: expected a JSON IAM policy, got ${show(data)}.` };
  }
}

/** No basic roles on any IAM member, binding or policy. */
export const iamNoPrimitiveRoles: ResourceRule = {
  kind: "resource",
  id: "iam-no-primitive-roles",
  description: "No IAM member, binding or policy grants a basic role (roles/owner, roles/editor, roles/viewer).",
  control: `${CIS_GCP} 1.5 (no admin privileges on service accounts); Google IAM: use predefined roles, not basic roles`,
  types: ["gcp:*IamMember", "gcp:*IamBinding", "gcp:*IamPolicy (any service)"],
  appliesTo: isIamType,
  check: (type, inputs) => {
    if (/policy$/i.test(type)) {
      const data = at(inputs, "policyData");
      if (isUnknown(data)) return [];
      const { roles, error } = rolesOfPolicyData(data);
      if (error) return [error];
      return roles.filter((r) => PRIMITIVE_ROLES.includes(r)).map((r) => `policyData: expected predefined or custom roles only, got the basic role ${r}.`);
    }
    return expectAt(inputs, "role", (v) => typeof v !== "string" || !PRIMITIVE_ROLES.includes(v), "a predefined or custom role, not a basic role");
  },
};

/** CIS GCP 1.4: no user-managed service-account keys. */
export const iamNoServiceAccountKeys: ResourceRule = {
  kind: "resource",
  id: "iam-no-service-account-keys",
  description: "No user-managed service-account key is created: workloads use attached identities and Workload Identity.",
  control: `${CIS_GCP} 1.4`,
  types: [SERVICE_ACCOUNT_KEY],
  appliesTo: only(SERVICE_ACCOUNT_KEY),
  check: (_type, inputs) => [`serviceAccountId: expected no user-managed key for any service account, got a key for ${show(at(inputs, "serviceAccountId"))}.`],
};

const OPEN_RANGES = ["0.0.0.0/0", "::/0"];
const SSH = 22;
const RDP = 3389;

function portCovered(specs: readonly unknown[], port: number): boolean {
  return specs.some((s) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(String(s).trim());
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    return lo <= port && port <= hi;
  });
}

/** What an `allows` entry opens that the internet must never reach: all ports, SSH or RDP. */
function exposedAdminPorts(allow: unknown): string[] {
  const protocol = String(at(allow, "protocol") ?? "").toLowerCase();
  const ports = at(allow, "ports");
  const portList = Array.isArray(ports) ? ports : [];
  if (protocol === "all") return ["all ports"];
  const portful = ["tcp", "udp", "sctp", "6", "17", "132"].includes(protocol);
  if (!portful) return [];
  if (portList.length === 0) return [`all ${protocol} ports`];
  const out: string[] = [];
  if ((protocol === "tcp" || protocol === "6") && portCovered(portList, SSH)) out.push("SSH (tcp/22)");
  if (["tcp", "udp", "6", "17"].includes(protocol) && portCovered(portList, RDP)) out.push(`RDP (${protocol}/3389)`);
  return out;
}

/** CIS GCP 3.6, 3.7: no SSH, RDP or all-ports ingress from the internet. */
export const firewallNoInternetAdminPorts: ResourceRule = {
  kind: "resource",
  id: "firewall-no-internet-admin-ports",
  description: "No firewall rule admits 0.0.0.0/0 (or ::/0) to SSH (22), RDP (3389) or all ports.",
  control: `${CIS_GCP} 3.6, 3.7`,
  types: [FIREWALL],
  appliesTo: only(FIREWALL),
  check: (_type, inputs: Props) => {
    const direction = at(inputs, "direction");
    if (isUnknown(direction) || (direction !== undefined && direction !== "INGRESS")) return [];
    const ranges = at(inputs, "sourceRanges");
    if (isUnknown(ranges)) return [];
    const hasOtherSource = at(inputs, "sourceTags") !== undefined || at(inputs, "sourceServiceAccounts") !== undefined;
    // An ingress rule with no source at all defaults to 0.0.0.0/0 in Google Cloud.
    const open = Array.isArray(ranges) ? ranges.filter((r) => OPEN_RANGES.includes(String(r))) : hasOtherSource ? [] : ["0.0.0.0/0 (the default source)"];
    if (open.length === 0) return [];
    const allows = at(inputs, "allows");
    if (!Array.isArray(allows)) return [];
    return allows.flatMap((allow, i) => {
      const exposed = exposedAdminPorts(allow);
      return exposed.length === 0
        ? []
        : [`allows.${i}: expected no ${exposed.join(", ")} open to the internet, got ${show(allow)} from ${open.join(", ")}.`];
    });
  },
};

/** Every Google Cloud (non-GKE) rule. */
export const GCP_RULES: readonly ResourceRule[] = [deletionProtection, dnsDnssec, iamNoPrimitiveRoles, iamNoServiceAccountKeys, firewallNoInternetAdminPorts];
