/**
 * Which inputs of each resource type the real provider cannot change in place:
 * a change to any of them makes Pulumi *replace* the resource instead of
 * updating it. One committed table, shared by the offline diff (to tell
 * "replace" from "update") and the engine rehearsal's stand-in providers (which
 * report these replacements to the real Pulumi engine).
 *
 * Keys are type tokens, values dotted input paths (`privateClusterConfig.masterIpv4CidrBlock`);
 * a change at or below a listed path forces the replacement. Sources:
 * - Google provider: the resource pages of the Terraform Google provider, which
 *   pulumi-gcp bridges; every argument marked "Changing this forces a new
 *   resource to be created" (https://registry.terraform.io/providers/hashicorp/google/latest/docs).
 * - Kubernetes provider: "Replacement is triggered when … the resource name,
 *   namespace or an immutable field (e.g. a Deployment's `spec.selector`)
 *   changes" (https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/,
 *   https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates).
 * - time provider: `triggers` "when changed, will run any creation or destroy
 *   delays again" (replacement); "updating [createDuration] by itself will not
 *   trigger a delay" (update) (https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/sleep).
 * - command provider: `triggers` forces replacement (https://www.pulumi.com/registry/packages/command/api-docs/local/command/).
 */
export const REPLACE_ON: Readonly<Record<string /* type token */, readonly string[] /* dotted input paths */>> = {
  // Google Cloud
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ["project", "location", "repository", "role", "member", "condition"],
  "gcp:bigtable/appProfile:AppProfile": ["project", "instance", "appProfileId"],
  "gcp:bigtable/instance:Instance": ["project", "name", "clusters.clusterId", "clusters.zone", "clusters.storageType"],
  "gcp:bigtable/instanceIamMember:InstanceIamMember": ["project", "instance", "role", "member", "condition"],
  "gcp:bigtable/table:Table": ["project", "instanceName", "name", "splitKeys"],
  "gcp:compute/address:Address": ["project", "region", "name", "addressType", "address", "subnetwork", "purpose"],
  "gcp:compute/backendService:BackendService": ["project", "name", "loadBalancingScheme"],
  "gcp:compute/firewall:Firewall": ["project", "name", "network", "direction"],
  "gcp:compute/globalAddress:GlobalAddress": ["project", "name", "addressType", "ipVersion", "address", "purpose", "network"],
  "gcp:compute/globalForwardingRule:GlobalForwardingRule": ["project", "name", "ipAddress", "ipProtocol", "portRange", "loadBalancingScheme", "network"],
  "gcp:compute/healthCheck:HealthCheck": ["project", "name"],
  "gcp:compute/instanceGroupManager:InstanceGroupManager": ["project", "zone", "name", "baseInstanceName"],
  // Every argument of an instance template is immutable.
  "gcp:compute/instanceTemplate:InstanceTemplate": [
    "project", "name", "namePrefix", "machineType", "disks", "networkInterfaces", "metadata", "metadataStartupScript", "serviceAccount",
    "tags", "labels", "shieldedInstanceConfig", "scheduling", "canIpForward", "confidentialInstanceConfig", "description", "region",
  ],
  "gcp:compute/managedSslCertificate:ManagedSslCertificate": ["project", "name", "managed", "description", "type"],
  "gcp:compute/network:Network": ["project", "name", "autoCreateSubnetworks", "description"],
  "gcp:compute/perInstanceConfig:PerInstanceConfig": ["project", "zone", "instanceGroupManager", "name"],
  "gcp:compute/router:Router": ["project", "region", "name", "network"],
  "gcp:compute/routerNat:RouterNat": ["project", "region", "router", "name"],
  "gcp:compute/sSLPolicy:SSLPolicy": ["project", "name", "description"],
  "gcp:compute/subnetwork:Subnetwork": ["project", "region", "name", "network"],
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy": ["project", "name", "description", "quicOverride"],
  "gcp:compute/uRLMap:URLMap": ["project", "name"],
  "gcp:container/cluster:Cluster": [
    "project", "name", "location", "network", "subnetwork", "networkingMode", "ipAllocationPolicy",
    "privateClusterConfig.enablePrivateNodes", "privateClusterConfig.enablePrivateEndpoint", "privateClusterConfig.masterIpv4CidrBlock",
    "enableKubernetesAlpha", "datapathProvider", "initialNodeCount", "nodeConfig",
  ],
  "gcp:container/nodePool:NodePool": ["project", "name", "cluster", "location", "initialNodeCount", "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "nodeConfig.imageType", "nodeConfig.serviceAccount", "nodeConfig.oauthScopes"],
  "gcp:dns/managedZone:ManagedZone": ["project", "name", "dnsName", "visibility"],
  "gcp:dns/recordSet:RecordSet": ["project", "managedZone", "name", "type"],
  "gcp:projects/iAMMember:IAMMember": ["project", "role", "member", "condition"],
  "gcp:serviceaccount/account:Account": ["project", "accountId"],
  "gcp:serviceaccount/iAMMember:IAMMember": ["serviceAccountId", "role", "member", "condition"],
  // Kubernetes (every object: its identity; Deployments also their selector)
  "kubernetes:apps/v1:Deployment": ["metadata.name", "metadata.namespace", "spec.selector"],
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ["metadata.name", "metadata.namespace"],
  "kubernetes:core/v1:Namespace": ["metadata.name"],
  "kubernetes:core/v1:Service": ["metadata.name", "metadata.namespace", "spec.clusterIP"],
  "kubernetes:core/v1:ServiceAccount": ["metadata.name", "metadata.namespace"],
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["metadata.name", "metadata.namespace"],
  "kubernetes:policy/v1:PodDisruptionBudget": ["metadata.name", "metadata.namespace"],
  // time and command
  "time:index/sleep:Sleep": ["triggers"],
  "command:local:Command": ["triggers"],
};
