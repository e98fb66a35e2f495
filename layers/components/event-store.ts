import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of the prod-0 event store. */
export interface EventStoreArgs {
  /** The GCP project. */
  readonly project: string;
  /** The region of prod-0: the instance is regional (`regional-<region>`), replicated across three of its zones. */
  readonly region: string;
  /** The Spanner instance id. */
  readonly instance: string;
  /** The database id. */
  readonly database: string;
  /** Compute capacity in processing units (100 = one tenth of a node). */
  readonly processingUnits: number;
  /** Who may read and write events: SpiveProd0 and the bootstrap's deployer (CreateStream). */
  readonly writerEmails: readonly pulumi.Input<string>[];
}

/**
 * The schema of the event store (GoogleSQL). A stream row holds its settings
 * and its last position; events are interleaved under it by position.
 * CreateStream is an insert of the stream row in a read-write transaction
 * (create-if-absent: an existing row with other settings is a conflict), and
 * an append is one read-write transaction that reads `LastPosition`, requires
 * it to equal the caller's expected position, inserts the event at the next
 * position and advances `LastPosition`. Spanner's read-write transactions are
 * externally consistent, so both hold when writers in both zones race.
 */
export const EVENT_STORE_DDL: readonly string[] = [
  "CREATE TABLE Streams (Gid STRING(256) NOT NULL, Store STRING(64) NOT NULL, Durable BOOL NOT NULL, LastPosition INT64 NOT NULL, CreatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp = true)) PRIMARY KEY (Gid)",
  "CREATE TABLE Events (Gid STRING(256) NOT NULL, Position INT64 NOT NULL, Event JSON NOT NULL, AppendedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp = true)) PRIMARY KEY (Gid, Position), INTERLEAVE IN PARENT Streams ON DELETE NO ACTION",
];

/** The Spanner instance configuration of a region: three read-write replicas in three of its zones. */
export function regionalConfig(region: string): string {
  return `regional-${region}`;
}

/**
 * The prod-0 event store: a regional Cloud Spanner instance (three
 * read-write replicas in three zones of the region, synchronous Paxos
 * replication, automatic zone failover) and its database. Writes from both
 * prod-0 zones are linearizable (docs/decisions.md, "Event store").
 * Drop protection on the database, deletion protection in the provider and
 * Pulumi `protect` on both: a wipe of prod-0 stops instances, it never
 * drops the durable event store.
 */
export class EventStore extends pulumi.ComponentResource {
  /** The instance name. */
  readonly instanceName: pulumi.Output<string>;
  /** The database name. */
  readonly databaseName: pulumi.Output<string>;

  constructor(name: string, args: EventStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:EventStore", name, {}, opts);
    const instance = new gcp.spanner.Instance(args.instance, {
      project: args.project,
      name: args.instance,
      config: regionalConfig(args.region),
      displayName: "Spive prod-0 event store",
      processingUnits: args.processingUnits,
      labels: { layer: "prod0" },
    }, { parent: this, protect: true, deleteBeforeReplace: true });
    const database = new gcp.spanner.Database(`${args.instance}-${args.database}`, {
      project: args.project,
      instance: instance.name,
      name: args.database,
      databaseDialect: "GOOGLE_STANDARD_SQL",
      ddls: [...EVENT_STORE_DDL],
      versionRetentionPeriod: "7d",
      deletionProtection: true,
      enableDropProtection: true,
    }, { parent: this, protect: true, deleteBeforeReplace: true });
    args.writerEmails.forEach((email, i) => {
      new gcp.spanner.DatabaseIAMMember(`${args.instance}-writer-${i}`, {
        project: args.project,
        instance: instance.name,
        database: database.name,
        role: "roles/spanner.databaseUser",
        member: pulumi.interpolate`serviceAccount:${email}`,
      }, { parent: this });
    });
    this.instanceName = instance.name;
    this.databaseName = database.name;
    this.registerOutputs({ instanceName: this.instanceName, databaseName: this.databaseName });
  }
}
