import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ArtifactRepository } from "../../topology/images";

/** Inputs of a service account with project roles. */
export interface ServiceIdentityArgs {
  /** The GCP project. */
  readonly project: string;
  /** The account id (6-30 characters). */
  readonly accountId: string;
  /** A human description. */
  readonly description: string;
  /** Predefined project roles (never primitive ones). */
  readonly roles: readonly string[];
}

const PRIMITIVE_ROLES = new Set(["roles/owner", "roles/editor", "roles/viewer"]);

/**
 * A dedicated service account and its least-privilege project roles. Primitive
 * roles are refused at program start; no keys are ever created.
 */
export class ServiceIdentity extends pulumi.ComponentResource {
  /** The service account. */
  readonly account: gcp.serviceaccount.Account;
  /** Its email. */
  readonly email: pulumi.Output<string>;

  constructor(name: string, args: ServiceIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:ServiceIdentity", name, {}, opts);
    for (const role of args.roles) {
      if (PRIMITIVE_ROLES.has(role)) throw new Error(`ServiceIdentity ${name}: expected a predefined or custom role, got the primitive role ${role}.`);
    }
    this.account = new gcp.serviceaccount.Account(args.accountId, {
      project: args.project,
      accountId: args.accountId,
      displayName: args.accountId,
      description: args.description,
    }, { parent: this });
    this.email = this.account.email;
    for (const role of args.roles) {
      new gcp.projects.IAMMember(`${args.accountId}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`, {
        project: args.project,
        role,
        member: pulumi.interpolate`serviceAccount:${this.account.email}`,
      }, { parent: this });
    }
    this.registerOutputs({ email: this.email });
  }
}

/**
 * Project roles every node (GKE) or host (GCE) account needs for logs and
 * metrics. Image pulls are granted on the images' repository instead
 * (`ImagePullGrant`), not on the layer's project.
 */
export const NODE_ROLES: readonly string[] = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
];

/**
 * The project role of a GKE node account: Google's least-privileged role for
 * nodes ("Kubernetes Engine Default Node Service Account": logs, metrics,
 * resource metadata, autoscaling metrics), which supersedes the list above.
 * Source: https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts
 */
export const GKE_NODE_ROLES: readonly string[] = ["roles/container.defaultNodeServiceAccount"];

/** Inputs of an image pull grant. */
export interface ImagePullGrantArgs {
  /** The repositories the layer's images come from (see `artifactRepositories`). */
  readonly repositories: readonly ArtifactRepository[];
  /** The identity that pulls: the GKE node or GCE host account. */
  readonly memberEmail: pulumi.Input<string>;
}

/**
 * Lets a layer's node or host identity pull its images: `artifactregistry.reader`
 * on each image repository only (not on its project), as a non-authoritative
 * member so other layers' grants on the same repository stay untouched.
 */
export class ImagePullGrant extends pulumi.ComponentResource {
  constructor(name: string, args: ImagePullGrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:ImagePullGrant", name, {}, opts);
    for (const repo of args.repositories) {
      new gcp.artifactregistry.RepositoryIamMember(`${name}-${repo.project}-${repo.location}-${repo.repository}`, {
        project: repo.project,
        location: repo.location,
        repository: repo.repository,
        role: "roles/artifactregistry.reader",
        member: pulumi.interpolate`serviceAccount:${args.memberEmail}`,
      }, { parent: this });
    }
    this.registerOutputs({});
  }
}

/** Inputs of the grant to the layer below's manager identity. */
export interface ManagerGrantArgs {
  /** This layer's project. */
  readonly project: string;
  /** The email of the layer below's manager (SpiveProd<N-1>). */
  readonly managerEmail: pulumi.Input<string>;
  /** The roles granted, scoped to this project. */
  readonly roles: readonly string[];
}

/**
 * Grants layer N−1's manager identity the rights to manage layer N: only the
 * listed predefined roles, only on this layer's project.
 */
export class ManagerGrant extends pulumi.ComponentResource {
  constructor(name: string, args: ManagerGrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:ManagerGrant", name, {}, opts);
    for (const role of args.roles) {
      if (PRIMITIVE_ROLES.has(role)) throw new Error(`ManagerGrant ${name}: expected a predefined or custom role, got the primitive role ${role}.`);
      new gcp.projects.IAMMember(`${name}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`, {
        project: args.project,
        role,
        member: pulumi.interpolate`serviceAccount:${args.managerEmail}`,
      }, { parent: this });
    }
    this.registerOutputs({});
  }
}

/** What the manager of a GKE layer may do there: run workloads on its clusters and read their state; nothing broader. */
export const GKE_MANAGER_ROLES: readonly string[] = ["roles/container.developer", "roles/container.clusterViewer", "roles/monitoring.viewer"];
