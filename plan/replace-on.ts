/**
 * Which input changes force a resource to be replaced, per resource type.
 *
 * One table, shared by the policy pack (the fixed-name replacement rule:
 * `policy/rules/replacement.ts`) and by the stand-in providers the offline
 * engine uses to predict `pulumi up` (a change to any listed path is a
 * replacement, any other change an in-place update). It covers every resource
 * type the committed stacks declare; a type with no replace-only input the
 * program sets has an empty list. `test/replace-on.test.ts` fails when a
 * committed stack declares a type missing here.
 *
 * Paths are the Pulumi (camelCase) input names, dotted through nested
 * objects. A path that crosses a list (`networkInterfaces.network`) means
 * that field of any element; a path naming a list or object means any change
 * inside it. Pure data: no Pulumi import.
 *
 * Sources (cited per type below; the provider's reference marks each such
 * input "Changes to this property will trigger replacement", which is the
 * Terraform provider's `ForceNew`):
 * - Pulumi Registry, Google Cloud (GCP) Classic 9.x API docs:
 *   https://www.pulumi.com/registry/packages/gcp/api-docs/ (page per type)
 * - hashicorp/terraform-provider-google, the bridged provider's schemas
 *   (`google/services/<service>/resource_*.go`, `ForceNew: true`), e.g.
 *   google/services/container/node_config.go and resource_container_node_pool.go
 * - Pulumi Registry, Kubernetes API docs and the provider's replacement rules
 *   (metadata.name/namespace, immutable spec fields):
 *   https://www.pulumi.com/registry/packages/kubernetes/
 * - Pulumi Registry, time (pulumiverse) Sleep and command local.Command.
 * docs/replacement.md explains how the table is used.
 */

/** Input paths whose change forces a replacement, by Pulumi type token. */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  // --- Artifact Registry -------------------------------------------------
  // registry: gcp/api-docs/artifactregistry/repositoryiammember (every argument forces replacement)
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ["project", "location", "repository", "role", "member", "condition"],

  // --- Bigtable ------------------------------------------------------------
  // registry: gcp/api-docs/bigtable/instance (name, project; a cluster's zone and storage type cannot change in place)
  "gcp:bigtable/instance:Instance": ["name", "project", "clusters.zone", "clusters.storageType"],
  // registry: gcp/api-docs/bigtable/table (name, instanceName, project, splitKeys)
  "gcp:bigtable/table:Table": ["name", "instanceName", "project", "splitKeys"],
  // registry: gcp/api-docs/bigtable/appprofile (appProfileId, instance, project)
  "gcp:bigtable/appProfile:AppProfile": ["appProfileId", "instance", "project"],
  // registry: gcp/api-docs/bigtable/instanceiammember (every argument forces replacement)
  "gcp:bigtable/instanceIamMember:InstanceIamMember": ["instance", "project", "role", "member", "condition"],

  // --- Cloud Spanner ---------------------------------------------------------
  // registry: gcp/api-docs/spanner/instance (name, project and config; processingUnits, displayName and labels update in place;
  // moving an instance to another configuration is a separate Spanner operation, not an update through the provider)
  "gcp:spanner/instance:Instance": ["name", "project", "config"],
  // registry: gcp/api-docs/spanner/database (name, instance, project, databaseDialect, encryptionConfig; newly appended
  // `ddls` statements run as an update, a change to an earlier statement recreates the database: EVENT_STORE_DDL only grows)
  "gcp:spanner/database:Database": ["name", "instance", "project", "databaseDialect", "encryptionConfig"],
  // registry: gcp/api-docs/spanner/databaseiammember (every argument forces replacement)
  "gcp:spanner/databaseIAMMember:DatabaseIAMMember": ["instance", "database", "project", "role", "member", "condition"],

  // --- Binary Authorization ------------------------------------------------
  // registry: gcp/api-docs/binaryauthorization/policy (project; the rules update in place)
  "gcp:binaryauthorization/policy:Policy": ["project"],

  // --- Compute Engine ------------------------------------------------------
  // registry: gcp/api-docs/compute/backendservice (name, project, loadBalancingScheme)
  "gcp:compute/backendService:BackendService": ["name", "project", "loadBalancingScheme"],
  // registry: gcp/api-docs/compute/firewall (name, network, direction, project)
  "gcp:compute/firewall:Firewall": ["name", "network", "direction", "project"],
  // registry: gcp/api-docs/compute/globaladdress (every argument but labels)
  "gcp:compute/globalAddress:GlobalAddress": ["name", "project", "address", "addressType", "description", "ipVersion", "network", "prefixLength", "purpose"],
  // registry: gcp/api-docs/compute/globalforwardingrule (target and labels update in place)
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": ["name", "project", "description", "ipAddress", "ipProtocol", "ipVersion", "loadBalancingScheme", "metadataFilters", "network", "portRange", "subnetwork"],
  // registry: gcp/api-docs/compute/healthcheck (name, project)
  "gcp:compute/healthCheck:HealthCheck": ["name", "project"],
  // registry: gcp/api-docs/compute/instancegroupmanager (name, zone, project, baseInstanceName, description)
  "gcp:compute/instanceGroupManager:InstanceGroupManager": ["name", "zone", "project", "baseInstanceName", "description"],
  // registry: gcp/api-docs/compute/instancetemplate (an instance template is immutable: every argument forces replacement)
  "gcp:compute/instanceTemplate:InstanceTemplate": [
    "name", "namePrefix", "project", "description", "machineType", "disks", "metadata", "metadataStartupScript",
    "networkInterfaces", "serviceAccount", "tags", "labels", "scheduling", "shieldedInstanceConfig",
    "confidentialInstanceConfig", "canIpForward", "instanceDescription", "minCpuPlatform", "region",
  ],
  // registry: gcp/api-docs/compute/managedsslcertificate (name, managed.domains, description, type, project: a managed certificate is immutable)
  "gcp:compute/managedSslCertificate:ManagedSslCertificate": ["name", "project", "description", "managed", "managed.domains", "type", "certificateId"],
  // registry: gcp/api-docs/compute/network (name, project, autoCreateSubnetworks, description, mtu, enableUlaInternalIpv6)
  "gcp:compute/network:Network": ["name", "project", "autoCreateSubnetworks", "description", "mtu", "enableUlaInternalIpv6", "internalIpv6Range"],
  // registry: gcp/api-docs/compute/perinstanceconfig (name, zone, instanceGroupManager, project)
  "gcp:compute/perInstanceConfig:PerInstanceConfig": ["name", "zone", "instanceGroupManager", "project"],
  // registry: gcp/api-docs/compute/router (name, region, network, project)
  "gcp:compute/router:Router": ["name", "region", "network", "project"],
  // registry: gcp/api-docs/compute/routernat (name, router, region, project)
  "gcp:compute/routerNat:RouterNat": ["name", "router", "region", "project"],
  // registry: gcp/api-docs/compute/securitypolicy (name, project, type)
  "gcp:compute/securityPolicy:SecurityPolicy": ["name", "project", "type"],
  // registry: gcp/api-docs/compute/sslpolicy (name, project, description)
  "gcp:compute/sSLPolicy:SSLPolicy": ["name", "project", "description"],
  // registry: gcp/api-docs/compute/subnetwork (ipCidrRange may only grow in place; secondary ranges update in place)
  "gcp:compute/subnetwork:Subnetwork": ["name", "network", "region", "project", "description", "purpose", "ipv6AccessType", "reservedInternalRange"],
  // registry: gcp/api-docs/compute/targethttpsproxy (name, project, description, loadBalancingScheme)
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy": ["name", "project", "description", "loadBalancingScheme"],
  // registry: gcp/api-docs/compute/urlmap (name, project)
  "gcp:compute/uRLMap:URLMap": ["name", "project"],

  // --- Certificate Manager (a replacement-safe alternative, see docs/replacement.md) ---
  // registry: gcp/api-docs/certificatemanager/certificate (name, project, location, scope, managed)
  "gcp:certificatemanager/certificate:Certificate": ["name", "project", "location", "scope", "managed", "selfManaged"],

  // --- Google Kubernetes Engine --------------------------------------------
  // registry: gcp/api-docs/container/cluster; terraform-provider-google resource_container_cluster.go
  // (the cluster-level nodeConfig is the default pool's, ForceNew through schemaNodeConfig)
  "gcp:container/cluster:Cluster": [
    "name", "location", "project", "network", "subnetwork", "networkingMode", "ipAllocationPolicy",
    "privateClusterConfig.masterIpv4CidrBlock", "privateClusterConfig.privateEndpointSubnetwork",
    "datapathProvider", "enableKubernetesAlpha", "enableAutopilot", "initialNodeCount", "nodeConfig",
    "clusterIpv4Cidr", "defaultMaxPodsPerNode", "description", "enableTpu",
  ],
  // registry: gcp/api-docs/container/nodepool; terraform-provider-google node_config.go and
  // resource_container_node_pool.go: machineType, diskSizeGb, diskType, imageType, labels,
  // resourceLabels, tags, taints and nodeLocations update in place; these do not.
  "gcp:container/nodePool:NodePool": [
    "name", "namePrefix", "cluster", "location", "project", "initialNodeCount", "maxPodsPerNode", "placementPolicy",
    "networkConfig.podRange", "networkConfig.createPodRange", "networkConfig.podIpv4CidrBlock", "networkConfig.enablePrivateNodes",
    "nodeConfig.serviceAccount", "nodeConfig.oauthScopes", "nodeConfig.metadata", "nodeConfig.shieldedInstanceConfig",
    "nodeConfig.guestAccelerators", "nodeConfig.localSsdCount", "nodeConfig.minCpuPlatform", "nodeConfig.preemptible",
    "nodeConfig.spot", "nodeConfig.reservationAffinity", "nodeConfig.gvnic", "nodeConfig.gcfsConfig",
    "nodeConfig.ephemeralStorageLocalSsdConfig", "nodeConfig.localNvmeSsdBlockConfig", "nodeConfig.secondaryBootDisks",
    "nodeConfig.bootDiskKmsKey", "nodeConfig.sandboxConfig",
  ],

  // --- Cloud DNS -----------------------------------------------------------
  // registry: gcp/api-docs/dns/managedzone (name, dnsName, visibility, project)
  "gcp:dns/managedZone:ManagedZone": ["name", "dnsName", "visibility", "project"],
  // registry: gcp/api-docs/dns/recordset (managedZone, name, type, project; rrdatas and ttl update in place)
  "gcp:dns/recordSet:RecordSet": ["managedZone", "name", "type", "project"],

  // --- IAM and service usage ------------------------------------------------
  // registry: gcp/api-docs/projects/iammember (every argument forces replacement)
  "gcp:projects/iAMMember:IAMMember": ["project", "role", "member", "condition"],
  // registry: gcp/api-docs/projects/service (service, project)
  "gcp:projects/service:Service": ["service", "project"],
  // registry: gcp/api-docs/serviceaccount/account (accountId, project)
  "gcp:serviceaccount/account:Account": ["accountId", "project"],
  // registry: gcp/api-docs/serviceaccount/iammember (every argument forces replacement)
  "gcp:serviceaccount/iAMMember:IAMMember": ["serviceAccountId", "role", "member", "condition"],

  // --- Kubernetes (provider: a changed name or namespace is a replacement; immutable spec fields too)
  // registry: kubernetes/api-docs/apps/v1/deployment (spec.selector is immutable in apps/v1)
  "kubernetes:apps/v1:Deployment": ["metadata.name", "metadata.namespace", "spec.selector"],
  // registry: kubernetes/api-docs/autoscaling/v2/horizontalpodautoscaler
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ["metadata.name", "metadata.namespace"],
  // registry: kubernetes/api-docs/core/v1/namespace
  "kubernetes:core/v1:Namespace": ["metadata.name"],
  // registry: kubernetes/api-docs/core/v1/service (spec.clusterIP is immutable)
  "kubernetes:core/v1:Service": ["metadata.name", "metadata.namespace", "spec.clusterIP"],
  // registry: kubernetes/api-docs/core/v1/serviceaccount
  "kubernetes:core/v1:ServiceAccount": ["metadata.name", "metadata.namespace"],
  // registry: kubernetes/api-docs/networking/v1/networkpolicy
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["metadata.name", "metadata.namespace"],
  // registry: kubernetes/api-docs/policy/v1/poddisruptionbudget (spec.selector is mutable in policy/v1)
  "kubernetes:policy/v1:PodDisruptionBudget": ["metadata.name", "metadata.namespace"],
  // The Kubernetes provider is replaced when its kubeconfig points at another cluster: the
  // program never repoints one (one provider per cluster, named after it), so no input is listed.
  "pulumi:providers:kubernetes": [],
  // A stack reference is a read, never replaced in place: its name picks another stack.
  "pulumi:pulumi:StackReference": ["name"],

  // --- Utility providers ---------------------------------------------------
  // @pulumiverse/time 0.1.1 sleep.d.ts (unpkg.com/@pulumiverse/time@0.1.1, bridged from hashicorp/time's
  // time_sleep): `triggers` "when changed, will run any create or destroy delays again" (a replacement);
  // createDuration: "Updating this value by itself will not trigger a delay" (an update in place).
  "time:index/sleep:Sleep": ["triggers"],
  // registry: command/api-docs/local/command (triggers replace; a changed create command updates)
  "command:local:Command": ["triggers"],
};

/** The replace-only input paths of a type (empty when none is known or the type is not in the table). */
export function replaceOnPaths(type: string): readonly string[] {
  return REPLACE_ON[type] ?? [];
}

/**
 * Inputs that place a resource's name in a namespace rather than change what
 * it is: a change of one of them gives the replacement its own namespace, so
 * it cannot collide with the resource it replaces under create-before-replace.
 * Every type: the name itself, the project and the location; some types:
 * their parent (a node pool's names are unique per cluster, a record set is
 * identified by name and type in its zone, …).
 */
export const NAME_SCOPE: Readonly<Record<string, readonly string[]>> = {
  "*": ["name", "namePrefix", "project", "region", "zone", "location"],
  "gcp:container/nodePool:NodePool": ["cluster"],
  "gcp:dns/recordSet:RecordSet": ["managedZone", "type"],
  "gcp:compute/routerNat:RouterNat": ["router"],
  "gcp:compute/perInstanceConfig:PerInstanceConfig": ["instanceGroupManager"],
  "gcp:bigtable/table:Table": ["instanceName"],
  "gcp:bigtable/appProfile:AppProfile": ["instance"],
  "gcp:spanner/database:Database": ["instance"],
};

/** The values at a dotted path (a list on the way yields one value per element); `undefined` ones are dropped. */
export function valuesAt(value: unknown, path: string): unknown[] {
  let cur: unknown[] = [value];
  for (const seg of path.split(".")) {
    const next: unknown[] = [];
    for (const v of cur) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (item !== null && typeof item === "object" && seg in (item as Record<string, unknown>)) next.push((item as Record<string, unknown>)[seg]);
      }
    }
    cur = next;
  }
  return cur.filter((v) => v !== undefined);
}

/**
 * The replace-only inputs a resource sets whose change would replace it
 * under the same name in the same namespace (its replace-only paths minus
 * {@link NAME_SCOPE} and the paths it ignores changes of).
 */
export function collidingPaths(type: string, inputs: Readonly<Record<string, unknown>>, ignoreChanges: readonly string[] = []): string[] {
  const scope = new Set([...NAME_SCOPE["*"]!, ...(NAME_SCOPE[type] ?? [])]);
  const ignored = (p: string): boolean => ignoreChanges.some((i) => p === i || p.startsWith(`${i}.`) || i.startsWith(`${p}.`));
  return replaceOnPaths(type).filter((p) => !scope.has(p.split(".")[0]!) && !ignored(p) && valuesAt(inputs, p).length > 0);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value as Record<string, unknown>).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** FNV-1a over a string, as 8 hex digits (stable across processes and platforms). */
function fnv8(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * 8 hex digits that change whenever one of the resource's colliding
 * replace-only inputs changes: a name ending in `-<digest>` is new exactly
 * when the resource is replaced, so create-before-replace never collides.
 */
export function replacementDigest(type: string, inputs: Readonly<Record<string, unknown>>, ignoreChanges: readonly string[] = []): string {
  const parts = collidingPaths(type, inputs, ignoreChanges).map((p) => [p, canonical(valuesAt(inputs, p))]);
  return fnv8(JSON.stringify(parts));
}

/** True when `name` ends with the resource's {@link replacementDigest}. */
export function nameFollowsReplacement(name: string, type: string, inputs: Readonly<Record<string, unknown>>, ignoreChanges: readonly string[] = []): boolean {
  return name.endsWith(`-${replacementDigest(type, inputs, ignoreChanges)}`);
}
