import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { Delegation } from "../../topology/dns";

/** Inputs of a private DNS zone. */
export interface PrivateDnsArgs {
  /** The GCP project. */
  readonly project: string;
  /** The zone's DNS name (ends with a dot). */
  readonly domain: string;
  /** The VPC the zone is visible in. */
  readonly network: pulumi.Input<string>;
}

/** A private DNS zone, visible only inside the layer's VPC (undiscoverable layers). */
export class PrivateDns extends pulumi.ComponentResource {
  /** The managed zone. */
  readonly zone: gcp.dns.ManagedZone;

  constructor(name: string, args: PrivateDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:PrivateDns", name, {}, opts);
    this.zone = new gcp.dns.ManagedZone(name, {
      project: args.project,
      name,
      dnsName: args.domain,
      description: "Private zone: the layer is not discoverable from outside its VPC.",
      visibility: "private",
      privateVisibilityConfig: { networks: [{ networkUrl: args.network }] },
    }, { parent: this, deleteBeforeReplace: true });
    this.registerOutputs({ zone: this.zone.name });
  }
}

/**
 * The Cloud Armor baseline of a public endpoint: per client IP, at most
 * `count` requests every `intervalSec` seconds (beyond that, HTTP 429 until
 * the rate falls back), everything else allowed. The Spive UI and API serve
 * people and CI, not bulk clients: 600 per minute is ten per second per IP.
 */
export const RATE_LIMIT = { count: 600, intervalSec: 60 } as const;

/** The Cloud Armor security policy of a public endpoint: the rate limit above, then allow. */
export function armorPolicyArgs(project: string, name: string): gcp.compute.SecurityPolicyArgs {
  const everyone = { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } };
  return {
    project,
    name,
    description: "Spive public endpoint baseline: per-IP rate limit.",
    rules: [
      {
        priority: 1000,
        action: "throttle",
        description: `At most ${RATE_LIMIT.count} requests per ${RATE_LIMIT.intervalSec} s per client IP; beyond that, 429.`,
        match: everyone,
        rateLimitOptions: {
          conformAction: "allow",
          exceedAction: "deny(429)",
          enforceOnKey: "IP",
          rateLimitThreshold: { count: RATE_LIMIT.count, intervalSec: RATE_LIMIT.intervalSec },
        },
      },
      { priority: 2147483647, action: "allow", description: "Default rule: allow.", match: everyone },
    ],
  };
}

/** The name of a layer's PublicEndpoint component, from its prefix (`spive-prod2`). */
export function publicEndpointName(prefix: string): string {
  return `${prefix}-public`;
}

/** The managed zone's name (and Pulumi name) of a PublicEndpoint named `endpointName`. */
export function publicZoneName(endpointName: string): string {
  return `${endpointName}-zone`;
}

/** Inputs of a layer's public HTTPS endpoint. */
export interface PublicEndpointArgs {
  /** The GCP project. */
  readonly project: string;
  /** Name prefix, e.g. `spive-prod2`. */
  readonly prefix: string;
  /** The public zone's DNS name. */
  readonly domain: string;
  /** The UI/API host label. */
  readonly host: string;
  /** The serving port of the pods behind it. */
  readonly port: number;
  /** Zones with a standalone NEG of this name (created by the GKE NEG controller from the Service annotation). */
  readonly negZones: readonly string[];
  /** The NEG name every cluster's Service announces. */
  readonly negName: string;
  /** The Services whose NEG controller creates those NEGs: the backend waits for them. */
  readonly negsFrom: readonly pulumi.Resource[];
  /** Child zones this zone delegates (NS, and DS when the child is signed): see `planDelegation`. */
  readonly delegations?: readonly Delegation[];
}

/**
 * The public face of a discoverable layer: a public DNS zone signed with
 * DNSSEC, a global external Application Load Balancer on a reserved address
 * with a Google-managed certificate (HTTPS only, modern TLS), whose backends
 * are the zonal NEGs of every cluster's UI Service.
 */
export class PublicEndpoint extends pulumi.ComponentResource {
  /** The UI's fully qualified name. */
  readonly fqdn: string;
  /** The public zone. */
  readonly zone: gcp.dns.ManagedZone;
  /** The public address. */
  readonly address: pulumi.Output<string>;
  /** The zone's authoritative name servers (for the parent's NS records). */
  readonly nameServers: pulumi.Output<string[]>;
  /** DS records of the zone's key-signing keys (for the parent's DS record). */
  readonly dsRecords: pulumi.Output<string[]>;

  constructor(name: string, args: PublicEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:PublicEndpoint", name, {}, opts);
    const parent = { parent: this };
    this.fqdn = `${args.host}.${args.domain}`;
    this.zone = new gcp.dns.ManagedZone(publicZoneName(name), {
      project: args.project,
      name: publicZoneName(name),
      dnsName: args.domain,
      description: "Public zone of a discoverable Spive layer (DNSSEC signed).",
      visibility: "public",
      dnssecConfig: { state: "on", nonExistence: "nsec3" },
    }, { ...parent, protect: true, deleteBeforeReplace: true });
    this.nameServers = this.zone.nameServers;
    this.dsRecords = gcp.dns
      .getKeysOutput({ managedZone: this.zone.name, project: args.project }, { parent: this })
      .apply((keys) => keys.keySigningKeys.map((k) => k.dsRecord).filter((r) => r.length > 0));
    for (const d of args.delegations ?? []) {
      const label = d.name.replace(/\.$/, "").replace(/\./g, "-");
      const ns = new gcp.dns.RecordSet(`${name}-ns-${label}`, {
        project: args.project,
        managedZone: this.zone.name,
        name: d.name,
        type: "NS",
        ttl: 3600,
        rrdatas: [...d.nameServers],
      }, parent);
      if (d.dsRecords.length > 0) {
        new gcp.dns.RecordSet(`${name}-ds-${label}`, {
          project: args.project,
          managedZone: this.zone.name,
          name: d.name,
          type: "DS",
          ttl: 3600,
          rrdatas: [...d.dsRecords],
        }, { ...parent, dependsOn: [ns] });
      }
    }
    // Replaced only when its type or IP version changes: the forwarding rule using it goes first.
    const ip = new gcp.compute.GlobalAddress(`${name}-ip`, { project: args.project, name: `${name}-ip`, addressType: "EXTERNAL", ipVersion: "IPV4" }, { ...parent, deleteBeforeReplace: true });
    this.address = ip.address;
    new gcp.dns.RecordSet(`${name}-a`, {
      project: args.project,
      managedZone: this.zone.name,
      name: this.fqdn,
      type: "A",
      ttl: 300,
      rrdatas: [ip.address],
    }, parent);
    // Auto-named: a new domain list creates a new certificate (the proxy moves to
    // it) before the old one, in use until then, is deleted (docs/replacement.md).
    const cert = new gcp.compute.ManagedSslCertificate(`${name}-cert`, {
      project: args.project,
      managed: { domains: [this.fqdn] },
    }, parent);
    const health = new gcp.compute.HealthCheck(`${name}-hc`, {
      project: args.project,
      name: `${name}-hc`,
      httpHealthCheck: { portSpecification: "USE_SERVING_PORT", requestPath: "/readyz" },
    }, parent);
    // Every request to the endpoint passes Cloud Armor first (rate limit per client IP).
    const armor = new gcp.compute.SecurityPolicy(`${name}-armor`, armorPolicyArgs(args.project, `${name}-armor`), parent);
    // Auto-named: the URL map uses it, so a replacement must exist before the old one goes.
    const backend = new gcp.compute.BackendService(`${name}-backend`, {
      project: args.project,
      protocol: "HTTP",
      loadBalancingScheme: "EXTERNAL_MANAGED",
      healthChecks: health.id,
      logConfig: { enable: true, sampleRate: 1 },
      securityPolicy: armor.selfLink,
      backends: args.negZones.map((zone) => ({
        group: `projects/${args.project}/zones/${zone}/networkEndpointGroups/${args.negName}`,
        balancingMode: "RATE",
        maxRatePerEndpoint: 100,
      })),
    }, { ...parent, dependsOn: [...args.negsFrom] });
    const urlMap = new gcp.compute.URLMap(`${name}-urlmap`, { project: args.project, name: `${name}-urlmap`, defaultService: backend.id }, parent);
    const sslPolicy = new gcp.compute.SSLPolicy(`${name}-tls`, { project: args.project, name: `${name}-tls`, profile: "MODERN", minTlsVersion: "TLS_1_2" }, parent);
    const proxy = new gcp.compute.TargetHttpsProxy(`${name}-https`, {
      project: args.project,
      name: `${name}-https`,
      urlMap: urlMap.id,
      sslCertificates: [cert.id],
      sslPolicy: sslPolicy.id,
    }, parent);
    new gcp.compute.GlobalForwardingRule(`${name}-443`, {
      project: args.project,
      name: `${name}-443`,
      target: proxy.id,
      ipAddress: ip.address,
      portRange: "443",
      loadBalancingScheme: "EXTERNAL_MANAGED",
    }, { ...parent, deleteBeforeReplace: true });
    this.registerOutputs({ fqdn: this.fqdn, address: this.address, nameServers: this.nameServers, dsRecords: this.dsRecords });
  }
}
