import type { Evaluation, RecordedResource } from "../../plan/recorder";

/** The recorded resources of one type. */
export function ofType(ev: Evaluation, type: string): RecordedResource[] {
  return ev.resources.filter((r) => r.type === type);
}

/** Reads a nested input by dotted path (`spec.template.spec.containers`). */
export function at(r: RecordedResource, dotted: string): any {
  return dotted.split(".").reduce<any>((v, k) => (v == null ? undefined : v[k]), r.inputs);
}

/** Types that would make a layer reachable from the internet. */
export const PUBLIC_TYPES: readonly string[] = [
  "gcp:compute/globalAddress:GlobalAddress",
  "gcp:compute/address:Address",
  "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  "gcp:compute/forwardingRule:ForwardingRule",
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  "gcp:compute/managedSslCertificate:ManagedSslCertificate",
];
