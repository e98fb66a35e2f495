import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of the prod-0 event store. */
export interface EventStoreArgs {
  /** The GCP project. */
  readonly project: string;
  /** The Bigtable instance id. */
  readonly instance: string;
  /** The zones to replicate across (one cluster each). */
  readonly zones: readonly string[];
  /** Nodes per cluster. */
  readonly nodesPerCluster: number;
  /** Who may read and write events (SpiveProd0). */
  readonly writerEmail: pulumi.Input<string>;
}

/** The event table every durable stream lives in (row key: `<gid>#<position>`). */
export const EVENT_TABLE = "spive-events";
/** The app profile SpiveProd0 uses: multi-cluster routing for active-active writes. */
export const ACTIVE_ACTIVE_PROFILE = "spive-active-active";

/**
 * The prod-0 event store: a Bigtable instance with one cluster in each zone,
 * replicated, with a multi-cluster app profile (active-active). Deletion
 * protection on the instance and the table, plus Pulumi `protect`: a wipe of
 * prod-0 stops instances, it never drops the durable event store.
 */
export class EventStore extends pulumi.ComponentResource {
  /** The instance name. */
  readonly instanceName: pulumi.Output<string>;

  constructor(name: string, args: EventStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:EventStore", name, {}, opts);
    const instance = new gcp.bigtable.Instance(args.instance, {
      project: args.project,
      name: args.instance,
      displayName: "Spive prod-0 event store",
      deletionProtection: true,
      clusters: args.zones.map((zone) => ({
        clusterId: `${args.instance.slice(0, 28).replace(/-+$/, "")}-${zone.slice(-1)}`,
        zone,
        numNodes: args.nodesPerCluster,
        storageType: "SSD",
      })),
      labels: { layer: "prod0" },
    }, { parent: this, protect: true, deleteBeforeReplace: true });
    new gcp.bigtable.AppProfile(`${args.instance}-${ACTIVE_ACTIVE_PROFILE}`, {
      project: args.project,
      instance: instance.name,
      appProfileId: ACTIVE_ACTIVE_PROFILE,
      multiClusterRoutingUseAny: true,
      description: "SpiveProd0 writes to the nearest zone; both zones serve (active-active).",
      ignoreWarnings: true,
    }, { parent: this });
    new gcp.bigtable.Table(`${args.instance}-${EVENT_TABLE}`, {
      project: args.project,
      instanceName: instance.name,
      name: EVENT_TABLE,
      deletionProtection: "PROTECTED",
      columnFamilies: [{ family: "e" }],
    }, { parent: this, protect: true });
    new gcp.bigtable.InstanceIamMember(`${args.instance}-writer`, {
      project: args.project,
      instance: instance.name,
      role: "roles/bigtable.user",
      member: pulumi.interpolate`serviceAccount:${args.writerEmail}`,
    }, { parent: this });
    this.instanceName = instance.name;
    this.registerOutputs({ instanceName: this.instanceName });
  }
}
