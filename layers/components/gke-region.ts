import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { replacementDigest } from "../../plan/replace-on";

/** Inputs of one region of a GKE layer. */
export interface GkeRegionArgs {
  /** The GCP project. */
  readonly project: string;
  /** Name prefix, e.g. `spive-prod1`. */
  readonly prefix: string;
  /** The region. */
  readonly region: string;
  /** The region's two zones: the cluster is limited to them. */
  readonly zones: readonly string[];
  /** The VPC. */
  readonly network: pulumi.Input<string>;
  /** The region's subnet. */
  readonly subnetwork: pulumi.Input<string>;
  /** Secondary range names for pods and services. */
  readonly podsRange: string;
  /** Secondary range name for services. */
  readonly servicesRange: string;
  /** Opt-in IP access: networks allowed to reach the private IP endpoint. Empty: the IP endpoints are off, only the DNS endpoint answers. */
  readonly authorizedNetworks: readonly { readonly name: string; readonly cidr: string }[];
  /** The region is being retired (`spive:layer.retiringRegions`): its cluster loses `protect` and deletion protection, so the next run that drops the region can delete it. */
  readonly retiring?: boolean;
  /** The nodes' dedicated service account. */
  readonly nodeServiceAccount: pulumi.Input<string>;
  /** Node pool sizing. */
  readonly nodePool: {
    readonly machineType: string;
    readonly diskSizeGb: number;
    readonly maxSurge: number;
    /** Fixed nodes per zone, or autoscaling bounds per zone. */
    readonly size: { readonly fixed: number } | { readonly min: number; readonly max: number };
  };
  /** The namespace SpiveProdN runs in. */
  readonly namespace: string;
}

/** The resource label a cluster of a region being retired carries (the policy pack lets only these go without deletion protection). */
export const RETIRING_LABEL = "spive-retiring";

/** The node pool type token. */
const NODE_POOL_TYPE = "gcp:container/nodePool:NodePool";

/** Pod Security admission labels: "restricted" enforced, audited and warned. */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/**
 * A kubeconfig for a GKE cluster's DNS-based control-plane endpoint
 * (`<uid>.<region>.gke.goog`), authenticated by gke-gcloud-auth-plugin with
 * the caller's Google credentials (no static credentials). The endpoint
 * serves a publicly trusted certificate, so no cluster CA is pinned, as in
 * what `gcloud container clusters get-credentials --dns-endpoint` writes.
 */
export function gkeKubeconfig(name: string, dnsEndpoint: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: `https://${dnsEndpoint}` } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [{ name, user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", provideClusterInfo: true, installHint: "Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)." } } }],
  });
}

/**
 * One region of a GKE layer: a private, regional cluster limited to the
 * region's two zones, secure by default (private nodes and endpoint,
 * authorized networks, Workload Identity, Dataplane V2, shielded nodes,
 * release channel, no client certificate, no legacy ABAC, deletion protection
 * and Pulumi `protect`), one node pool (fixed or autoscaled; surge upgrades,
 * auto-repair and auto-upgrade), a Kubernetes provider for it, and the
 * Pod-Security-"restricted" namespace SpiveProdN runs in.
 */
export class GkeRegion extends pulumi.ComponentResource {
  /** The cluster. */
  readonly cluster: gcp.container.Cluster;
  /** The node pool. */
  readonly nodePool: gcp.container.NodePool;
  /** The Kubernetes provider for this cluster. */
  readonly provider: k8s.Provider;
  /** The namespace's name. */
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: GkeRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:GkeRegion", name, {}, opts);
    const parent = { parent: this };
    const ipAccess = args.authorizedNetworks.length > 0;
    const secureNodeConfig = {
      serviceAccount: args.nodeServiceAccount,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      imageType: "COS_CONTAINERD",
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      metadata: { "disable-legacy-endpoints": "true" },
    };
    this.cluster = new gcp.container.Cluster(name, {
      project: args.project,
      name,
      location: args.region,
      nodeLocations: [...args.zones],
      network: args.network,
      subnetwork: args.subnetwork,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: args.podsRange, servicesSecondaryRangeName: args.servicesRange },
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: secureNodeConfig,
      deletionProtection: !args.retiring,
      // Private Service Connect, not VPC peering: no master CIDR (docs/layers.md, "Control-plane access").
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: true,
        masterGlobalAccessConfig: { enabled: true },
      },
      // The IAM-gated DNS endpoint is how the deployer, the managing layer and
      // operators reach the control plane; Kubernetes tokens and client
      // certificates are refused on it, Google credentials only. IP endpoints
      // only when the stack opts in with authorized networks.
      controlPlaneEndpointsConfig: {
        dnsEndpointConfig: { allowExternalTraffic: true, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false },
        ipEndpointsConfig: { enabled: ipAccess },
      },
      ...(ipAccess
        ? {
            masterAuthorizedNetworksConfig: {
              cidrBlocks: args.authorizedNetworks.map((n) => ({ displayName: n.name, cidrBlock: n.cidr })),
              gcpPublicCidrsAccessEnabled: false,
            },
          }
        : {}),
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      enableKubernetesAlpha: false,
      enableShieldedNodes: true,
      datapathProvider: "ADVANCED_DATAPATH",
      workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
      releaseChannel: { channel: "REGULAR" },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      // Configuration auditing stays on; GKE's workload vulnerability scanning is retired
      // (docs/layers.md): images are scanned in Artifact Registry and admitted by Binary Authorization.
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" },
      maintenancePolicy: { recurringWindow: { startTime: "2026-01-03T02:00:00Z", endTime: "2026-01-03T08:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" } },
      resourceLabels: { layer: args.prefix, ...(args.retiring ? { [RETIRING_LABEL]: "true" } : {}) },
    }, { ...parent, protect: !args.retiring, ignoreChanges: ["initialNodeCount", "nodeConfig"], deleteBeforeReplace: true });
    const size = args.nodePool.size;
    // The pool's name ends in a digest of its replace-only inputs: a change that
    // replaces the pool names the new one differently, so GKE creates it (and
    // schedules onto it) before draining and deleting the old one.
    const poolIgnore = "fixed" in size ? [] : ["initialNodeCount"];
    const poolArgs = {
      project: args.project,
      cluster: this.cluster.id,
      location: args.region,
      nodeLocations: [...args.zones],
      ...("fixed" in size
        ? { nodeCount: size.fixed }
        : { initialNodeCount: size.min, autoscaling: { minNodeCount: size.min, maxNodeCount: size.max, locationPolicy: "BALANCED" } }),
      management: { autoRepair: true, autoUpgrade: true },
      upgradeSettings: { strategy: "SURGE", maxSurge: args.nodePool.maxSurge, maxUnavailable: 0 },
      nodeConfig: { ...secureNodeConfig, machineType: args.nodePool.machineType, diskSizeGb: args.nodePool.diskSizeGb, diskType: "pd-balanced", labels: { layer: args.prefix } },
    };
    this.nodePool = new gcp.container.NodePool(`${name}-pool`, {
      ...poolArgs,
      name: pulumi.output(poolArgs).apply((v) => `pool-${replacementDigest(NODE_POOL_TYPE, v as Record<string, unknown>, poolIgnore)}`),
    }, { ...parent, ignoreChanges: poolIgnore });
    this.provider = new k8s.Provider(name, {
      kubeconfig: this.cluster.controlPlaneEndpointsConfig.apply((c) => {
        const endpoint = c?.dnsEndpointConfig?.endpoint;
        if (!endpoint) throw new Error(`GKE cluster ${name} reports no DNS endpoint (controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint): expected one such as gke-<uid>.${args.region}.gke.goog.`);
        return gkeKubeconfig(name, endpoint);
      }),
      enableServerSideApply: true,
    }, { ...parent, dependsOn: [this.nodePool] });
    const ns = new k8s.core.v1.Namespace(`${name}-${args.namespace}`, {
      metadata: { name: args.namespace, labels: { ...RESTRICTED_NAMESPACE_LABELS } },
    }, { ...parent, provider: this.provider });
    this.namespace = ns.metadata.name;
    this.registerOutputs({ cluster: this.cluster.name, namespace: this.namespace });
  }
}
