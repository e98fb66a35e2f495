/**
 * Pure DNS planning between layers: whether a discoverable layer's public zone
 * must delegate the public zone of the layer below it, and with which records.
 * No Pulumi import.
 */

/** A public zone as a layer exports it (see `PublicZone` in layers/contract.ts). */
export interface PublicZoneInfo {
  /** The zone's DNS name, ending with a dot (e.g. `prod2.spive.dev.`). */
  readonly dnsName: string;
  /** The zone's authoritative name servers, ending with dots. */
  readonly nameServers: readonly string[];
  /** DS records of the zone's key-signing keys (`<key tag> <algorithm> <digest type> <digest>`); empty when unsigned. */
  readonly dsRecords: readonly string[];
}

/** The NS and DS records that delegate a child zone from its parent. */
export interface Delegation {
  /** The record name in the parent zone: the child zone's DNS name. */
  readonly name: string;
  /** NS rrdatas. */
  readonly nameServers: readonly string[];
  /** DS rrdatas (the DNSSEC chain of trust); empty when the child is unsigned. */
  readonly dsRecords: readonly string[];
}

/** Why no delegation is declared, for a log line. */
export type DelegationPlan = { readonly kind: "delegate"; readonly delegation: Delegation } | { readonly kind: "none"; readonly reason: string };

/**
 * Plans the delegation of `child` (the layer below's public zone, if it has
 * one) from the zone `parentDomain`. A child strictly under the parent is
 * delegated with its NS records and, when signed, its DS records; anything
 * else is left to whoever owns the child's real parent (e.g. the registrar),
 * and the reason says so.
 */
export function planDelegation(parentDomain: string, child: PublicZoneInfo | undefined): DelegationPlan {
  if (!child) return { kind: "none", reason: "the layer below exports no public zone" };
  if (child.dnsName === parentDomain || !child.dnsName.endsWith(`.${parentDomain}`)) {
    return { kind: "none", reason: `the layer below's zone ${child.dnsName} is not a subdomain of ${parentDomain}; delegate it from its own parent` };
  }
  if (child.nameServers.length === 0) {
    throw new Error(`The layer below exports public zone ${child.dnsName} without name servers: expected at least one, got none.`);
  }
  return { kind: "delegate", delegation: { name: child.dnsName, nameServers: [...child.nameServers], dsRecords: [...child.dsRecords] } };
}
