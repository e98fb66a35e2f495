import type { StackResource } from "../policy/model";

/**
 * Golden resources for the policy tests: one fully compliant resource per
 * rule-relevant type (shaped like what the layer components declare), and a
 * table of single-field mutations, each of which must make exactly one rule
 * report.
 */

const STACK = "prod1";
const urn = (type: string, name: string): string => `urn:pulumi:${STACK}::spive-infra::${type}::${name}`;
const K8S_PROVIDER = urn("pulumi:providers:kubernetes", "gke-europe-west1");

function res(type: string, name: string, props: Record<string, unknown>, provider?: string): StackResource {
  return { urn: urn(type, name), type, name, props, ...(provider ? { provider } : {}) };
}

/** The APIs the golden resources need (topology/apis.ts), each enabled by a Service of the golden stack. */
const GOLDEN_APIS = [
  "compute.googleapis.com", "container.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com", "containersecurity.googleapis.com",
  "bigtableadmin.googleapis.com", "spanner.googleapis.com", "dns.googleapis.com", "cloudresourcemanager.googleapis.com", "iam.googleapis.com", "binaryauthorization.googleapis.com",
];

const secureNodeConfig = {
  serviceAccount: "spive-prod1-nodes@spive-prod1.iam.gserviceaccount.com",
  oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
  imageType: "COS_CONTAINERD",
  shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
  workloadMetadataConfig: { mode: "GKE_METADATA" },
};

const podTemplate = (app: string) => ({
  metadata: { labels: { app, placement: app, zone: "europe-west1-b" } },
  spec: {
    serviceAccountName: "spive-prod1",
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app } } },
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app } } },
    ],
    volumes: [{ name: "tmp", emptyDir: {} }],
    containers: [
      {
        name: "spive",
        image: "europe-docker.pkg.dev/spive-artifacts/spive/spive-prod1:2026.11.0",
        ports: [{ name: "http", containerPort: 8080 }],
        resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
        livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
    ],
  },
});

/** A fresh copy of the golden stack: every resource compliant with every rule. */
export function goldenStack(): Record<string, StackResource> {
  const stack: Record<string, StackResource> = structuredClone({
    cluster: res("gcp:container/cluster:Cluster", "gke-europe-west1", {
      project: "spive-prod1",
      location: "europe-west1",
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      nodeConfig: secureNodeConfig,
      deletionProtection: true,
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
      // IP access opted in with a range the stack declares (the subnetwork's nodes range), beside the DNS endpoint.
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true, enableK8sTokensViaDns: false, enableK8sCertsViaDns: false }, ipEndpointsConfig: { enabled: true } },
      masterAuthorizedNetworksConfig: { cidrBlocks: [{ displayName: "bastion", cidrBlock: "10.64.128.0/24" }], gcpPublicCidrsAccessEnabled: false },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      enableKubernetesAlpha: false,
      enableShieldedNodes: true,
      datapathProvider: "ADVANCED_DATAPATH",
      workloadIdentityConfig: { workloadPool: "spive-prod1.svc.id.goog" },
      releaseChannel: { channel: "REGULAR" },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"] },
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
    }),
    subnetwork: res("gcp:compute/subnetwork:Subnetwork", "spive-prod1-europe-west1", {
      region: "europe-west1",
      ipCidrRange: "10.64.128.0/20",
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.64.0.0/17" },
        { rangeName: "services", ipCidrRange: "10.64.144.0/20" },
      ],
    }),
    binauthz: res("gcp:binaryauthorization/policy:Policy", "spive-prod1-binauthz", {
      project: "spive-prod1",
      globalPolicyEvaluationMode: "ENABLE",
      admissionWhitelistPatterns: [{ namePattern: "europe-docker.pkg.dev/spive-artifacts/spive/**" }],
      defaultAdmissionRule: { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" },
    }),
    // A fixed name whose replacement would collide, made safe by deleteBeforeReplace.
    network: { ...res("gcp:compute/network:Network", "spive-prod1-vpc", { project: "spive-prod1", name: "spive-prod1-vpc", autoCreateSubnetworks: false }), deleteBeforeReplace: true },
    // Auto-named: no fixed name, so create-before-replace cannot collide.
    cert: res("gcp:compute/managedSslCertificate:ManagedSslCertificate", "spive-prod2-public-cert", { project: "spive-prod1", managed: { domains: ["spive.example.com."] } }),
    ...Object.fromEntries(GOLDEN_APIS.map((api) => [`api-${api.split(".")[0]}`, res("gcp:projects/service:Service", `spive-prod1-api-${api.split(".")[0]}`, { project: "spive-prod1", service: api, disableOnDestroy: false })])),
    nodePool: res("gcp:container/nodePool:NodePool", "gke-europe-west1-pool", {
      cluster: "gke-europe-west1",
      nodeCount: 2,
      management: { autoRepair: true, autoUpgrade: true },
      upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      nodeConfig: { ...secureNodeConfig, machineType: "e2-standard-4" },
    }),
    bigtable: res("gcp:bigtable/instance:Instance", "spive-prod0-events", { deletionProtection: true, clusters: [{ clusterId: "c-b", zone: "europe-west1-b" }] }),
    spanner: res("gcp:spanner/database:Database", "spive-prod0-events-spive-events", { instance: "spive-prod0-events", name: "spive-events", deletionProtection: true, enableDropProtection: true }),
    zone: res("gcp:dns/managedZone:ManagedZone", "spive-prod2-public-zone", {
      dnsName: "spive.example.",
      visibility: "public",
      dnssecConfig: { state: "on", nonExistence: "nsec3", defaultKeySpecs: [{ algorithm: "rsasha256", keyType: "keySigning", keyLength: 2048 }] },
    }),
    privateZone: res("gcp:dns/managedZone:ManagedZone", "spive-prod1-private-dns", { dnsName: "prod1.spive.internal.", visibility: "private" }),
    iamMember: res("gcp:projects/iAMMember:IAMMember", "spive-prod1-logwriter", { project: "spive-prod1", role: "roles/logging.logWriter", member: "serviceAccount:a@b.iam.gserviceaccount.com" }),
    iamPolicy: res("gcp:serviceaccount/iAMPolicy:IAMPolicy", "spive-prod1-sa-policy", {
      serviceAccountId: "projects/spive-prod1/serviceAccounts/a@b.iam.gserviceaccount.com",
      policyData: JSON.stringify({ bindings: [{ role: "roles/iam.workloadIdentityUser", members: ["serviceAccount:spive-prod1.svc.id.goog[spive/spive-prod1]"] }] }),
    }),
    publicFirewall: res("gcp:compute/firewall:Firewall", "allow-https", {
      direction: "INGRESS",
      sourceRanges: ["0.0.0.0/0"],
      allows: [{ protocol: "tcp", ports: ["443"] }],
    }),
    internalFirewall: res("gcp:compute/firewall:Firewall", "allow-internal-ssh", {
      direction: "INGRESS",
      sourceRanges: ["10.0.0.0/8"],
      allows: [{ protocol: "tcp", ports: ["22", "3389"] }],
    }),
    deployment: res("kubernetes:apps/v1:Deployment", "web", {
      metadata: { name: "web", namespace: "spive" },
      spec: { replicas: 2, selector: { matchLabels: { app: "web", placement: "web" } }, template: podTemplate("web") },
    }, K8S_PROVIDER),
    webPdb: res("kubernetes:policy/v1:PodDisruptionBudget", "web", {
      metadata: { name: "web", namespace: "spive" },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web", placement: "web" } } },
    }, K8S_PROVIDER),
    scaled: res("kubernetes:apps/v1:Deployment", "api", {
      metadata: { name: "api", namespace: "spive" },
      spec: { selector: { matchLabels: { app: "api" } }, template: podTemplate("api") },
    }, K8S_PROVIDER),
    scaledPdb: res("kubernetes:policy/v1:PodDisruptionBudget", "api", {
      metadata: { name: "api", namespace: "spive" },
      spec: { maxUnavailable: 1, selector: { matchExpressions: [{ key: "app", operator: "In", values: ["api"] }] } },
    }, K8S_PROVIDER),
    hpa: res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "api", {
      metadata: { name: "api", namespace: "spive" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" }, minReplicas: 2, maxReplicas: 10 },
    }, K8S_PROVIDER),
  });
  // A second cluster with the same allowlist: the subnetwork flip that leaves
  // an allowlist undeclared still shows when a cluster flip removes the first one's.
  stack.ipCluster = { ...structuredClone(stack.cluster!), urn: urn("gcp:container/cluster:Cluster", "gke-europe-west1-b"), name: "gke-europe-west1-b" };
  return stack;
}

/** Sets (or, with `undefined`, deletes) the value at a dotted path, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.split(".");
  let cur: Record<string, unknown> = target;
  segs.slice(0, -1).forEach((seg, i) => {
    if (cur[seg] === null || typeof cur[seg] !== "object") cur[seg] = /^\d+$/.test(segs[i + 1]!) ? [] : {};
    cur = cur[seg] as Record<string, unknown>;
  });
  const last = segs[segs.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** One single-field flip of the golden stack, and the one rule it must trip. */
export interface Mutation {
  /** The rule that must report, and no other. */
  readonly rule: string;
  /** Which golden resource it changes (a key of {@link goldenStack}), or `add` to add a resource. */
  readonly target: string;
  /** The property path flipped (inside the resource's props; `provider` flips the provider). */
  readonly path: string;
  /** The new value (`undefined` removes the property). */
  readonly value: unknown;
}

const C0 = "spec.template.spec.containers.0";
const POD = "spec.template.spec";

/** Every guarded field of every rule, flipped one at a time. */
export const MUTATIONS: readonly Mutation[] = [
  { rule: "gke-private-nodes", target: "cluster", path: "privateClusterConfig.enablePrivateNodes", value: false },
  { rule: "gke-private-nodes", target: "nodePool", path: "networkConfig.enablePrivateNodes", value: false },
  { rule: "gke-private-endpoint", target: "cluster", path: "privateClusterConfig.enablePrivateEndpoint", value: false },
  { rule: "gke-authorized-networks", target: "cluster", path: "masterAuthorizedNetworksConfig.cidrBlocks.0.cidrBlock", value: "0.0.0.0/0" },
  { rule: "gke-authorized-networks", target: "cluster", path: "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", value: true },
  { rule: "gke-authorized-networks", target: "cluster", path: "masterAuthorizedNetworksConfig", value: undefined },
  { rule: "gke-control-plane-reachability", target: "cluster", path: "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic", value: false },
  { rule: "gke-control-plane-reachability", target: "cluster", path: "controlPlaneEndpointsConfig", value: undefined },
  { rule: "gke-control-plane-reachability", target: "cluster", path: "privateClusterConfig.masterIpv4CidrBlock", value: "172.16.0.0/28" },
  // The allowlist's 10.64.128.0/24 was the nodes range: moved, nothing in the stack declares it any more.
  { rule: "gke-control-plane-reachability", target: "subnetwork", path: "ipCidrRange", value: "10.64.192.0/20" },
  { rule: "address-overlap", target: "subnetwork", path: "secondaryIpRanges.1.ipCidrRange", value: "10.64.0.0/20" },
  { rule: "address-overlap", target: "subnetwork", path: "secondaryIpRanges.0.ipCidrRange", value: "172.17.0.0/17" },
  { rule: "gke-vpc-native", target: "cluster", path: "networkingMode", value: "ROUTES" },
  { rule: "gke-vpc-native", target: "cluster", path: "ipAllocationPolicy", value: undefined },
  { rule: "gke-network-policy", target: "cluster", path: "datapathProvider", value: "LEGACY_DATAPATH" },
  { rule: "gke-workload-identity", target: "cluster", path: "workloadIdentityConfig", value: undefined },
  { rule: "gke-metadata-server", target: "cluster", path: "nodeConfig.workloadMetadataConfig.mode", value: "GCE_METADATA" },
  { rule: "gke-metadata-server", target: "nodePool", path: "nodeConfig.workloadMetadataConfig.mode", value: "GCE_METADATA" },
  { rule: "gke-no-default-service-account", target: "cluster", path: "nodeConfig.serviceAccount", value: "123456789-compute@developer.gserviceaccount.com" },
  { rule: "gke-no-default-service-account", target: "nodePool", path: "nodeConfig.serviceAccount", value: undefined },
  { rule: "gke-cos-containerd", target: "nodePool", path: "nodeConfig.imageType", value: "UBUNTU_CONTAINERD" },
  { rule: "gke-cos-containerd", target: "cluster", path: "nodeConfig.imageType", value: "COS" },
  { rule: "gke-node-auto-repair", target: "nodePool", path: "management.autoRepair", value: false },
  { rule: "gke-node-auto-upgrade", target: "nodePool", path: "management.autoUpgrade", value: false },
  { rule: "gke-release-channel", target: "cluster", path: "releaseChannel.channel", value: "UNSPECIFIED" },
  { rule: "gke-release-channel", target: "cluster", path: "releaseChannel", value: undefined },
  { rule: "gke-shielded-nodes", target: "cluster", path: "enableShieldedNodes", value: false },
  { rule: "gke-integrity-monitoring", target: "nodePool", path: "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring", value: false },
  { rule: "gke-secure-boot", target: "nodePool", path: "nodeConfig.shieldedInstanceConfig.enableSecureBoot", value: false },
  { rule: "gke-secure-boot", target: "cluster", path: "nodeConfig.shieldedInstanceConfig.enableSecureBoot", value: undefined },
  { rule: "gke-logging-monitoring", target: "cluster", path: "loggingService", value: "none" },
  { rule: "gke-logging-monitoring", target: "cluster", path: "monitoringConfig.enableComponents", value: [] },
  { rule: "gke-no-client-certificate", target: "cluster", path: "masterAuth.clientCertificateConfig.issueClientCertificate", value: true },
  { rule: "gke-no-legacy-abac", target: "cluster", path: "enableLegacyAbac", value: true },
  { rule: "gke-no-alpha", target: "cluster", path: "enableKubernetesAlpha", value: true },
  { rule: "deletion-protection", target: "cluster", path: "deletionProtection", value: false },
  { rule: "deletion-protection", target: "bigtable", path: "deletionProtection", value: false },
  { rule: "deletion-protection", target: "spanner", path: "deletionProtection", value: false },
  { rule: "dns-dnssec", target: "zone", path: "dnssecConfig.state", value: "off" },
  { rule: "dns-dnssec", target: "zone", path: "dnssecConfig.defaultKeySpecs.0.algorithm", value: "rsasha1" },
  { rule: "dns-dnssec", target: "privateZone", path: "visibility", value: "public" },
  { rule: "iam-no-primitive-roles", target: "iamMember", path: "role", value: "roles/editor" },
  { rule: "iam-no-primitive-roles", target: "iamPolicy", path: "policyData", value: JSON.stringify({ bindings: [{ role: "roles/owner", members: ["user:a@example.com"] }] }) },
  { rule: "iam-no-service-account-keys", target: "add", path: "gcp:serviceaccount/key:Key", value: { serviceAccountId: "spive-prod1@spive-prod1.iam.gserviceaccount.com" } },
  { rule: "firewall-no-internet-admin-ports", target: "publicFirewall", path: "allows.0.ports", value: ["22"] },
  { rule: "firewall-no-internet-admin-ports", target: "publicFirewall", path: "allows.0.ports", value: ["3000-4000"] },
  { rule: "firewall-no-internet-admin-ports", target: "publicFirewall", path: "allows.0.ports", value: [] },
  { rule: "firewall-no-internet-admin-ports", target: "publicFirewall", path: "allows.0.protocol", value: "all" },
  { rule: "firewall-no-internet-admin-ports", target: "internalFirewall", path: "sourceRanges.0", value: "0.0.0.0/0" },
  { rule: "firewall-no-internet-admin-ports", target: "internalFirewall", path: "sourceRanges", value: undefined },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.runAsNonRoot`, value: false },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.runAsUser`, value: 0 },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.allowPrivilegeEscalation`, value: true },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.privileged`, value: true },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.capabilities.drop`, value: ["NET_RAW"] },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.capabilities.add`, value: ["SYS_ADMIN"] },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.securityContext.seccompProfile.type`, value: "Unconfined" },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${C0}.ports.0.hostPort`, value: 8080 },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${POD}.hostNetwork`, value: true },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${POD}.hostPID`, value: true },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${POD}.hostIPC`, value: true },
  { rule: "k8s-pod-security-restricted", target: "deployment", path: `${POD}.volumes.0`, value: { name: "host", hostPath: { path: "/" } } },
  { rule: "k8s-resources", target: "deployment", path: `${C0}.resources.limits`, value: undefined },
  { rule: "k8s-resources", target: "scaled", path: `${C0}.resources.requests.memory`, value: undefined },
  { rule: "k8s-probes", target: "deployment", path: `${C0}.readinessProbe`, value: undefined },
  { rule: "k8s-probes", target: "deployment", path: `${C0}.livenessProbe`, value: undefined },
  { rule: "k8s-zone-spread", target: "deployment", path: `${POD}.topologySpreadConstraints.0.topologyKey`, value: "kubernetes.io/hostname" },
  { rule: "k8s-pod-disruption-budget", target: "webPdb", path: "spec.selector.matchLabels.placement", value: "other" },
  { rule: "k8s-pod-disruption-budget", target: "webPdb", path: "metadata.namespace", value: "other" },
  { rule: "k8s-pod-disruption-budget", target: "webPdb", path: "provider", value: "urn:pulumi:prod1::spive-infra::pulumi:providers:kubernetes::gke-us-east1" },
  { rule: "k8s-pod-disruption-budget", target: "scaledPdb", path: "spec.selector.matchExpressions.0.operator", value: "NotIn" },
  { rule: "k8s-min-replicas", target: "deployment", path: "spec.replicas", value: 1 },
  { rule: "k8s-min-replicas", target: "deployment", path: "spec.replicas", value: undefined },
  { rule: "k8s-min-replicas", target: "hpa", path: "spec.minReplicas", value: 1 },
  { rule: "k8s-min-replicas", target: "hpa", path: "spec.scaleTargetRef.name", value: "web-old" },
  { rule: "api-coverage", target: "api-compute", path: "service", value: "computealpha.googleapis.com" },
  { rule: "api-coverage", target: "api-dns", path: "disableOnDestroy", value: true },
  { rule: "api-coverage", target: "publicFirewall", path: "dependsOn", value: [] },
  { rule: "api-coverage", target: "add", path: "gcp:newservice/thing:Thing", value: { project: "spive-prod1" } },
  { rule: "replacement-safe-names", target: "network", path: "deleteBeforeReplace", value: false },
  { rule: "replacement-safe-names", target: "cert", path: "name", value: "spive-prod2-public-cert" },
  { rule: "binauthz-policy", target: "cluster", path: "binaryAuthorization.evaluationMode", value: "DISABLED" },
  { rule: "binauthz-policy", target: "binauthz", path: "defaultAdmissionRule.evaluationMode", value: "ALWAYS_ALLOW" },
  { rule: "binauthz-policy", target: "binauthz", path: "defaultAdmissionRule.enforcementMode", value: "DRYRUN_AUDIT_LOG_ONLY" },
  { rule: "binauthz-policy", target: "binauthz", path: "globalPolicyEvaluationMode", value: "DISABLE" },
];

/** The golden stack with `mutations` applied, as a resource list. */
export function mutatedStack(mutations: readonly Mutation[]): StackResource[] {
  const stack = goldenStack();
  const extra: StackResource[] = [];
  for (const m of mutations) {
    if (m.target === "add") {
      extra.push({ urn: `urn:pulumi:${STACK}::spive-infra::${m.path}::added-${extra.length}`, type: m.path, name: `added-${extra.length}`, props: m.value as Record<string, unknown> });
      continue;
    }
    const r = stack[m.target]!;
    if (m.path === "provider") stack[m.target] = { ...r, provider: m.value as string };
    else if (m.path === "deleteBeforeReplace") stack[m.target] = { ...r, deleteBeforeReplace: m.value as boolean };
    else if (m.path === "dependsOn") stack[m.target] = { ...r, dependsOn: m.value as string[] };
    else setPath(r.props as Record<string, unknown>, m.path, m.value);
  }
  return [...Object.values(stack), ...extra];
}
