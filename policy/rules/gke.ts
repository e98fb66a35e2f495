import { at, expectAt, isUnknown, only, show, type Props, type ResourceRule } from "../model";

/**
 * The CIS Google Kubernetes Engine Benchmark v1.5.0 controls (section 5,
 * "Managed services") that can be decided from a cluster's or node pool's
 * inputs. Where the provider's default is the secure value, an unset input
 * passes; where it is not, the input must be set explicitly.
 */

/** The GKE cluster type token. */
export const CLUSTER = "gcp:container/cluster:Cluster";
/** The GKE node pool type token. */
export const NODE_POOL = "gcp:container/nodePool:NodePool";

const CIS = "CIS GKE Benchmark 1.5.0";

/**
 * The node configurations a resource declares, with their paths: a node
 * pool's `nodeConfig`, and a Standard cluster's own `nodeConfig` (its default
 * pool), which exists unless the default pool is removed and no config given.
 */
function nodeConfigs(type: string, inputs: Props): { path: string; config: unknown }[] {
  if (type === NODE_POOL) return [{ path: "nodeConfig", config: inputs.nodeConfig ?? {} }];
  if (at(inputs, "enableAutopilot") === true) return [];
  if (inputs.nodeConfig === undefined && at(inputs, "removeDefaultNodePool") === true) return [];
  return [{ path: "nodeConfig", config: inputs.nodeConfig ?? {} }];
}

function nodeCheck(type: string, inputs: Props, path: string, ok: (v: unknown) => boolean, expected: string): string[] {
  return nodeConfigs(type, inputs).flatMap((n) => expectAt(n.config, path, ok, expected, `${n.path}.`));
}

const isTrue = (v: unknown): boolean => v === true;
const notTrue = (v: unknown): boolean => v !== true;
const notFalse = (v: unknown): boolean => v !== false;

const isOpenCidr = (cidr: unknown): boolean => typeof cidr === "string" && /\/0$/.test(cidr.trim());

/** CIS GKE 5.6.5: nodes have private IP addresses only. */
export const gkePrivateNodes: ResourceRule = {
  kind: "resource",
  id: "gke-private-nodes",
  description: "GKE nodes have no public IP addresses (private nodes).",
  control: `${CIS} 5.6.5`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) =>
    type === CLUSTER
      ? expectAt(inputs, "privateClusterConfig.enablePrivateNodes", isTrue, "true (private nodes)")
      : expectAt(inputs, "networkConfig.enablePrivateNodes", notFalse, "unset or true (the cluster's private nodes)"),
};

/** CIS GKE 5.6.4: the control plane has a private endpoint and no public one. */
export const gkePrivateEndpoint: ResourceRule = {
  kind: "resource",
  id: "gke-private-endpoint",
  description: "The GKE control plane is reachable only on its private endpoint.",
  control: `${CIS} 5.6.4`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "privateClusterConfig.enablePrivateEndpoint", isTrue, "true (no public endpoint)"),
};

/** CIS GKE 5.6.3: control plane authorized networks are on, and never the whole internet. */
export const gkeAuthorizedNetworks: ResourceRule = {
  kind: "resource",
  id: "gke-authorized-networks",
  description: "Control plane authorized networks are enabled, list no 0.0.0.0/0 (or ::/0), and do not admit Google Cloud public IPs (unless the IP endpoints are off: DNS endpoint only).",
  control: `${CIS} 5.6.3`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => {
    // No IP endpoint at all (DNS endpoint only): nothing for an allowlist to guard.
    if (at(inputs, "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled") === false) return [];
    const cfg = at(inputs, "masterAuthorizedNetworksConfig");
    if (isUnknown(cfg)) return [];
    if (cfg === undefined || cfg === null || typeof cfg !== "object") {
      return [`masterAuthorizedNetworksConfig: expected authorized networks enabled (an object, possibly with no CIDR blocks), got ${show(cfg)}.`];
    }
    const out: string[] = [];
    const blocks = at(cfg, "cidrBlocks");
    if (Array.isArray(blocks)) {
      blocks.forEach((b, i) => {
        const cidr = at(b, "cidrBlock");
        if (isOpenCidr(cidr)) out.push(`masterAuthorizedNetworksConfig.cidrBlocks.${i}.cidrBlock: expected a bounded network, got ${show(cidr)} (the whole internet).`);
      });
    }
    out.push(...expectAt(cfg, "gcpPublicCidrsAccessEnabled", notTrue, "unset or false (no access from any Google Cloud public IP)", "masterAuthorizedNetworksConfig."));
    return out;
  },
};

/** CIS GKE 5.6.2: VPC-native (alias IP) networking. */
export const gkeVpcNative: ResourceRule = {
  kind: "resource",
  id: "gke-vpc-native",
  description: "GKE clusters are VPC-native (alias IPs from secondary ranges), not routes-based.",
  control: `${CIS} 5.6.2`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => [
    ...expectAt(inputs, "networkingMode", (v) => v === undefined || v === "VPC_NATIVE", '"VPC_NATIVE"'),
    ...expectAt(inputs, "ipAllocationPolicy", (v) => v !== undefined && v !== null, "an IP allocation policy (secondary ranges for pods and services)"),
  ],
};

/** CIS GKE 5.6.7: network policy enforcement, by Dataplane V2 or the network policy add-on. */
export const gkeNetworkPolicy: ResourceRule = {
  kind: "resource",
  id: "gke-network-policy",
  description: "GKE clusters enforce NetworkPolicy: Dataplane V2 (ADVANCED_DATAPATH) or the network policy add-on.",
  control: `${CIS} 5.6.7`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => {
    const datapath = at(inputs, "datapathProvider");
    const addon = at(inputs, "networkPolicy.enabled");
    if (isUnknown(datapath) || isUnknown(addon) || datapath === "ADVANCED_DATAPATH" || addon === true) return [];
    return [`datapathProvider: expected "ADVANCED_DATAPATH" (Dataplane V2), or networkPolicy.enabled true, got datapathProvider ${show(datapath)} and networkPolicy.enabled ${show(addon)}.`];
  },
};

/** CIS GKE 5.2.2: Workload Identity. */
export const gkeWorkloadIdentity: ResourceRule = {
  kind: "resource",
  id: "gke-workload-identity",
  description: "GKE clusters have Workload Identity (a workload pool), so pods use dedicated identities, never the node's.",
  control: `${CIS} 5.2.2`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) =>
    at(inputs, "enableAutopilot") === true
      ? []
      : expectAt(inputs, "workloadIdentityConfig.workloadPool", (v) => typeof v === "string" && v.length > 0, 'a workload pool such as "<project>.svc.id.goog"'),
};

/** CIS GKE 5.4.2: the GKE metadata server (hides the node's credentials and metadata from pods). */
export const gkeMetadataServer: ResourceRule = {
  kind: "resource",
  id: "gke-metadata-server",
  description: "Nodes run the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA).",
  control: `${CIS} 5.4.2`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) => nodeCheck(type, inputs, "workloadMetadataConfig.mode", (v) => v === "GKE_METADATA", '"GKE_METADATA"'),
};

/** CIS GKE 5.2.1: nodes never run as the Compute Engine default service account. */
export const gkeNoDefaultServiceAccount: ResourceRule = {
  kind: "resource",
  id: "gke-no-default-service-account",
  description: "GKE nodes run as a dedicated service account, never the Compute Engine default one.",
  control: `${CIS} 5.2.1`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) =>
    nodeCheck(
      type,
      inputs,
      "serviceAccount",
      (v) => typeof v === "string" && v !== "" && v !== "default" && !/-compute@developer\.gserviceaccount\.com$/.test(v),
      "a dedicated service account email (unset means the Compute Engine default account)",
    ),
};

/** CIS GKE 5.5.1: Container-Optimized OS with containerd. */
export const gkeCosContainerd: ResourceRule = {
  kind: "resource",
  id: "gke-cos-containerd",
  description: "GKE nodes use the Container-Optimized OS image with containerd (COS_CONTAINERD).",
  control: `${CIS} 5.5.1`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) => nodeCheck(type, inputs, "imageType", (v) => v === undefined || (typeof v === "string" && v.toUpperCase() === "COS_CONTAINERD"), 'unset or "COS_CONTAINERD"'),
};

/** CIS GKE 5.5.2: node auto-repair. */
export const gkeNodeAutoRepair: ResourceRule = {
  kind: "resource",
  id: "gke-node-auto-repair",
  description: "Node pools repair unhealthy nodes automatically (management.autoRepair true).",
  control: `${CIS} 5.5.2`,
  types: [NODE_POOL],
  appliesTo: only(NODE_POOL),
  check: (_type, inputs) => expectAt(inputs, "management.autoRepair", isTrue, "true"),
};

/** CIS GKE 5.5.3: node auto-upgrade. */
export const gkeNodeAutoUpgrade: ResourceRule = {
  kind: "resource",
  id: "gke-node-auto-upgrade",
  description: "Node pools upgrade automatically with the control plane (management.autoUpgrade true).",
  control: `${CIS} 5.5.3`,
  types: [NODE_POOL],
  appliesTo: only(NODE_POOL),
  check: (_type, inputs) => expectAt(inputs, "management.autoUpgrade", isTrue, "true"),
};

/** CIS GKE 5.5.4: a release channel manages the GKE version. */
export const gkeReleaseChannel: ResourceRule = {
  kind: "resource",
  id: "gke-release-channel",
  description: "GKE clusters are enrolled in a release channel (RAPID, REGULAR, STABLE or EXTENDED).",
  control: `${CIS} 5.5.4`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "releaseChannel.channel", (v) => typeof v === "string" && ["RAPID", "REGULAR", "STABLE", "EXTENDED"].includes(v), 'one of "RAPID", "REGULAR", "STABLE", "EXTENDED"'),
};

/** CIS GKE 5.5.5: Shielded GKE nodes. */
export const gkeShieldedNodes: ResourceRule = {
  kind: "resource",
  id: "gke-shielded-nodes",
  description: "GKE clusters use Shielded GKE Nodes (enableShieldedNodes not false).",
  control: `${CIS} 5.5.5`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "enableShieldedNodes", notFalse, "unset or true (the provider's default is true)"),
};

/** CIS GKE 5.5.6: integrity monitoring on shielded nodes. */
export const gkeIntegrityMonitoring: ResourceRule = {
  kind: "resource",
  id: "gke-integrity-monitoring",
  description: "Shielded GKE nodes monitor their boot integrity (enableIntegrityMonitoring not false).",
  control: `${CIS} 5.5.6`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) => nodeCheck(type, inputs, "shieldedInstanceConfig.enableIntegrityMonitoring", notFalse, "unset or true"),
};

/** CIS GKE 5.5.7: secure boot on shielded nodes. */
export const gkeSecureBoot: ResourceRule = {
  kind: "resource",
  id: "gke-secure-boot",
  description: "Shielded GKE nodes boot only signed software (enableSecureBoot true).",
  control: `${CIS} 5.5.7`,
  types: [CLUSTER, NODE_POOL],
  appliesTo: only(CLUSTER, NODE_POOL),
  check: (type, inputs) => nodeCheck(type, inputs, "shieldedInstanceConfig.enableSecureBoot", isTrue, "true (the provider's default is false)"),
};

/** CIS GKE 5.7.1: Cloud Logging and Cloud Monitoring. */
export const gkeLoggingMonitoring: ResourceRule = {
  kind: "resource",
  id: "gke-logging-monitoring",
  description: "GKE clusters send logs to Cloud Logging and metrics to Cloud Monitoring (neither turned off).",
  control: `${CIS} 5.7.1`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => {
    const nonEmpty = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.length > 0);
    return [
      ...expectAt(inputs, "loggingService", (v) => v !== "none", 'unset or a logging service other than "none"'),
      ...expectAt(inputs, "monitoringService", (v) => v !== "none", 'unset or a monitoring service other than "none"'),
      ...expectAt(inputs, "loggingConfig.enableComponents", nonEmpty, "unset or at least one component (e.g. SYSTEM_COMPONENTS)"),
      ...expectAt(inputs, "monitoringConfig.enableComponents", nonEmpty, "unset or at least one component (e.g. SYSTEM_COMPONENTS)"),
    ];
  },
};

/** CIS GKE 5.8.1: no client certificate authentication. */
export const gkeNoClientCertificate: ResourceRule = {
  kind: "resource",
  id: "gke-no-client-certificate",
  description: "GKE clusters issue no client certificate (authentication by IAM only).",
  control: `${CIS} 5.8.1`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "masterAuth.clientCertificateConfig.issueClientCertificate", notTrue, "unset or false"),
};

/** CIS GKE 5.8.3: legacy ABAC off. */
export const gkeNoLegacyAbac: ResourceRule = {
  kind: "resource",
  id: "gke-no-legacy-abac",
  description: "GKE clusters authorize with RBAC only (legacy ABAC off).",
  control: `${CIS} 5.8.3`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "enableLegacyAbac", notTrue, "unset or false"),
};

/** CIS GKE 5.10.2: no alpha clusters in production. */
export const gkeNoAlpha: ResourceRule = {
  kind: "resource",
  id: "gke-no-alpha",
  description: "GKE clusters enable no Kubernetes alpha features.",
  control: `${CIS} 5.10.2`,
  types: [CLUSTER],
  appliesTo: only(CLUSTER),
  check: (_type, inputs) => expectAt(inputs, "enableKubernetesAlpha", notTrue, "unset or false"),
};

/** Every GKE rule, in CIS order. */
export const GKE_RULES: readonly ResourceRule[] = [
  gkeNoDefaultServiceAccount,
  gkeWorkloadIdentity,
  gkeMetadataServer,
  gkeCosContainerd,
  gkeNodeAutoRepair,
  gkeNodeAutoUpgrade,
  gkeReleaseChannel,
  gkeShieldedNodes,
  gkeIntegrityMonitoring,
  gkeSecureBoot,
  gkeVpcNative,
  gkeAuthorizedNetworks,
  gkePrivateEndpoint,
  gkePrivateNodes,
  gkeNetworkPolicy,
  gkeLoggingMonitoring,
  gkeNoClientCertificate,
  gkeNoLegacyAbac,
  gkeNoAlpha,
];
