import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** One regional subnet of a layer's VPC. */
export interface SubnetSpec {
  /** The region. */
  readonly region: string;
  /** The nodes' (or hosts') primary range. */
  readonly cidr: string;
  /** Secondary ranges (GKE pods and services), by name. */
  readonly secondary?: readonly { readonly name: string; readonly cidr: string }[];
}

/** Inputs of a layer network. */
export interface LayerNetworkArgs {
  /** The GCP project. */
  readonly project: string;
  /** Name prefix, e.g. `spive-prod1`. */
  readonly prefix: string;
  /** One subnet per region. */
  readonly subnets: readonly SubnetSpec[];
}

/**
 * A layer's private VPC: one subnet per region with Private Google Access and
 * flow logs, and egress only through Cloud NAT (no resource gets an external
 * IP). Ingress is closed except what the layer opens by explicit rules.
 */
export class LayerNetwork extends pulumi.ComponentResource {
  /** The VPC. */
  readonly network: gcp.compute.Network;
  /** Subnets by region. */
  readonly subnets: Record<string, gcp.compute.Subnetwork>;

  constructor(name: string, args: LayerNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:LayerNetwork", name, {}, opts);
    const parent = { parent: this };
    this.network = new gcp.compute.Network(`${args.prefix}-vpc`, {
      project: args.project,
      name: `${args.prefix}-vpc`,
      autoCreateSubnetworks: false,
      routingMode: "GLOBAL",
      deleteDefaultRoutesOnCreate: false,
    }, { ...parent, deleteBeforeReplace: true });
    this.subnets = {};
    for (const s of args.subnets) {
      const subnet = new gcp.compute.Subnetwork(`${args.prefix}-${s.region}`, {
        project: args.project,
        name: `${args.prefix}-${s.region}`,
        region: s.region,
        network: this.network.id,
        ipCidrRange: s.cidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: s.secondary?.map((r) => ({ rangeName: r.name, ipCidrRange: r.cidr })),
        logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
      }, { ...parent, deleteBeforeReplace: true });
      this.subnets[s.region] = subnet;
      const router = new gcp.compute.Router(`${args.prefix}-${s.region}-router`, {
        project: args.project,
        name: `${args.prefix}-${s.region}-router`,
        region: s.region,
        network: this.network.id,
      }, { ...parent, deleteBeforeReplace: true });
      new gcp.compute.RouterNat(`${args.prefix}-${s.region}-nat`, {
        project: args.project,
        name: `${args.prefix}-${s.region}-nat`,
        region: s.region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      }, parent);
    }
    this.registerOutputs({ network: this.network.id });
  }
}

/** Google's health-check source ranges (load balancers and autohealing). */
export const HEALTH_CHECK_RANGES: readonly string[] = ["35.191.0.0/16", "130.211.0.0/22"];
