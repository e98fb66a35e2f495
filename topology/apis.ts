/**
 * The Google Cloud APIs (services) each resource type needs enabled in its
 * project: the one table the program (`ProjectApis`, which enables them and
 * makes every resource depend on its own) and the policy pack (`api-coverage`)
 * both read. Pure data: no Pulumi import.
 *
 * A key is either an exact type token or a module prefix ending in `/` or `:`
 * (`gcp:compute/`): an exact entry wins over its module's. An empty list
 * means the type needs no API of its own project. A Google Cloud type with no
 * entry is an error the policy pack reports, so a new type cannot be
 * deployed before someone decides which API it needs.
 *
 * Sources: each API's "Enable the API" page and the Pulumi Registry page of
 * each type (docs/layers.md, "What a fresh organization needs").
 */

/** APIs needed per type token or module prefix. */
export const API_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  // The repository lives in the artifacts project, which already serves it: nothing to enable in the layer's project.
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": [],
  "gcp:artifactregistry/": ["artifactregistry.googleapis.com"],
  // The provider manages Bigtable through the Cloud Bigtable Admin API.
  "gcp:bigtable/": ["bigtableadmin.googleapis.com"],
  "gcp:binaryauthorization/": ["binaryauthorization.googleapis.com"],
  "gcp:certificatemanager/": ["certificatemanager.googleapis.com"],
  "gcp:compute/": ["compute.googleapis.com"],
  // A cluster also writes logs and metrics (loggingConfig, monitoringConfig, managed Prometheus)
  // and reports its security posture (securityPostureConfig) through the Container Security API.
  "gcp:container/cluster:Cluster": ["container.googleapis.com", "compute.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com", "containersecurity.googleapis.com"],
  "gcp:container/": ["container.googleapis.com"],
  "gcp:dns/": ["dns.googleapis.com"],
  // Project IAM is read and written through the Cloud Resource Manager API.
  "gcp:projects/iAMMember:IAMMember": ["cloudresourcemanager.googleapis.com"],
  "gcp:projects/iAMBinding:IAMBinding": ["cloudresourcemanager.googleapis.com"],
  // Enabling an API needs the Service Usage API, which Google enables on every new project.
  "gcp:projects/service:Service": [],
  "gcp:serviceaccount/": ["iam.googleapis.com"],
  // The provider manages instances, databases and their IAM through the Cloud Spanner API (the same API serves the data).
  "gcp:spanner/": ["spanner.googleapis.com"],
  // Not Google Cloud resources: Kubernetes objects go to the cluster's API server, the rest is local.
  "kubernetes:": [],
  "pulumi:": [],
  "time:": [],
  "command:": [],
  "random:": [],
};

/** The API a Service resource enables in Spive's naming: `compute.googleapis.com` -> `compute`. */
export function apiShortName(api: string): string {
  return api.replace(/\.googleapis\.com$/, "");
}

/**
 * The APIs a type needs, or undefined when the table has no entry for it
 * (exact token first, then the longest matching module prefix).
 */
export function apisFor(type: string): readonly string[] | undefined {
  const exact = API_BY_TYPE[type];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(API_BY_TYPE)) {
    if ((key.endsWith("/") || key.endsWith(":")) && type.startsWith(key) && (!best || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : API_BY_TYPE[best];
}

/** The Service resource type token. */
export const SERVICE_TYPE = "gcp:projects/service:Service";

/**
 * APIs a layer needs that no resource type implies: what its workloads and
 * its deployer call at run time. Keyed by substrate.
 */
export const RUNTIME_APIS: Readonly<Record<"basic-runner" | "gke", readonly string[]>> = {
  // The CI deployment reaches the runner API through IAP TCP forwarding; SpiveProd0 reads and appends its events through the
  // Cloud Spanner API (the event store, docs/decisions.md).
  "basic-runner": ["iap.googleapis.com", "spanner.googleapis.com", "logging.googleapis.com", "monitoring.googleapis.com"],
  // Workload Identity Federation for GKE exchanges tokens through the IAM Service Account Credentials API.
  gke: ["iamcredentials.googleapis.com"],
};
