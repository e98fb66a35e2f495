import { z } from "zod";
import { hostBitsFix, reservedOverlaps } from "../topology/address-plan";
import { contains, NODES_PER_REGION_MAX, overlaps, parseCidr, REGION_SLOT_PREFIX } from "../topology/cidr";
import { artifactRepositoryOf } from "../topology/images";
import { regionBlock } from "../topology/regions";
import { zonesOf } from "../topology/zones";

/**
 * The zod schemas of every stack's configuration. They are the single source of
 * the config types (`z.infer`), of their defaults and of their documentation
 * (`.describe()`). Nothing here imports Pulumi, so the schemas are checked by
 * plain unit tests and by the CLI as well as by the program.
 */

/** A GCP region name such as `europe-west1`. */
export const RegionName = z
  .string()
  .regex(/^[a-z]+-[a-z]+[0-9]+$/, "a GCP region name such as europe-west1")
  .describe("A GCP region name such as europe-west1.");

/** A GCP zone name such as `europe-west1-b`. */
export const ZoneName = z
  .string()
  .regex(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, "a GCP zone name such as europe-west1-b")
  .describe("A GCP zone name such as europe-west1-b.");

/** A GCP project id (6–30 characters, lowercase letters, digits and hyphens). */
export const ProjectId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id (6-30 lowercase letters, digits or hyphens, starting with a letter)")
  .describe("The GCP project that holds this layer: one project per layer limits the blast radius.");

/** An IPv4 CIDR block such as `10.0.0.0/16`. */
export const Cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, "an IPv4 CIDR block such as 10.0.0.0/16")
  .refine((s) => {
    // A string that is not a.b.c.d/n at all is reported by the regex alone.
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.test(s)) return true;
    const [ip, len] = s.split("/");
    return ip!.split(".").every((o) => Number(o) <= 255) && Number(len) <= 32;
  }, "an IPv4 CIDR block with octets ≤ 255 and a prefix length ≤ 32")
  .superRefine((s, ctx) => {
    // GCP reads 10.1.0.0/8 as 10.0.0.0/8: a typo that silently widens a range.
    if (!isCidr(s)) return;
    const fix = hostBitsFix(s);
    if (fix) ctx.addIssue({ code: "custom", message: `expected a block's network address, with no bits set after the prefix (${fix} for this prefix), got "${s}"` });
  })
  .describe("An IPv4 CIDR block.");

/** True for a well-formed `a.b.c.d/n` with octets ≤ 255 and n ≤ 32 (what `Cidr` accepts before its own checks). */
function isCidr(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/** A release version of the Spive images, e.g. `2026.11.3` or `1.4.0-rc.1`. */
export const Version = z
  .string()
  .regex(/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/, "a version such as 2026.11.3")
  .describe("The Spive release rolled out to this layer; bumping it is what a rolling upgrade does.");

/** A DNS name ending with a dot, e.g. `prod2.spive.example.`. */
export const DnsName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+$/, "a lowercase DNS name ending with a dot, such as prod2.spive.example.")
  .describe("A fully qualified DNS name ending with a dot.");

/** One region of a layer and the exactly two zones the layer uses in it. */
export const RegionConfig = z
  .strictObject({
    name: RegionName,
    zones: z
      .array(ZoneName)
      .describe("The two zones of this region the layer is replicated across (active-active)."),
  })
  .superRefine((r, ctx) => {
    if (r.zones.length !== 2) {
      ctx.addIssue({ code: "custom", path: ["zones"], message: `expected exactly 2 zones, got ${r.zones.length} (${r.zones.join(", ") || "none"})` });
    } else if (r.zones[0] === r.zones[1]) {
      ctx.addIssue({ code: "custom", path: ["zones"], message: `expected two different zones, got ${r.zones.join(", ")}` });
    }
    // Zones are checked against Google's published list (topology/zones.ts),
    // not by prefix: europe-west1 has no zone a, us-east1 none either.
    const known = zonesOf(r.name);
    r.zones.forEach((z, j) => {
      if (!z.startsWith(`${r.name}-`)) ctx.addIssue({ code: "custom", path: ["zones", j], message: `expected a zone of region ${r.name}, got "${z}"` });
      else if (known && !known.includes(z)) {
        ctx.addIssue({ code: "custom", path: ["zones", j], message: `expected a zone that exists in region ${r.name} (${known.join(", ")}; topology/zones.ts), got "${z}"` });
      }
    });
  })
  .describe("A region the layer runs in, with the zones it uses there.");

/** What a layer can do: the data that makes a layer a layer (see layers/registry.ts). */
export const Capabilities = z
  .strictObject({
    substrate: z
      .enum(["basic-runner", "gke"])
      .describe("basic-runner: GCE instance groups running spive-prodN-basic-runner (prod0); gke: private GKE clusters."),
    zonesPerRegion: z.literal(2).default(2).describe("Zones per region; every layer is active-active across exactly 2 zones."),
    sharded: z.boolean().describe("Whether SpiveProdN is split into shards (then `shards` must be ≥ 2)."),
    autoscaling: z.boolean().describe("Cluster autoscaler on node pools and an HPA per Deployment."),
    discoverable: z.boolean().describe("Public DNS (DNSSEC) and an HTTPS endpoint; otherwise nothing public at all."),
    controlPlane: z.boolean().describe("This layer is the control plane feature developers use (the top of the tower)."),
  })
  .describe("The layer's capabilities.");

/** Fixed-size (non-autoscaled) or autoscaled node pool sizing, per zone. */
export const NodePoolConfig = z
  .strictObject({
    machineType: z.string().min(1).default("e2-standard-4").describe("The GCE machine type of the nodes."),
    nodesPerZone: z.number().int().min(1).max(100).default(2).describe("Fixed node count per zone (layers without autoscaling)."),
    minNodesPerZone: z.number().int().min(0).max(1000).default(1).describe("Autoscaling lower bound per zone."),
    maxNodesPerZone: z.number().int().min(1).max(1000).default(10).describe("Autoscaling upper bound per zone."),
    diskSizeGb: z.number().int().min(20).max(2000).default(50).describe("Boot disk size of each node in GB."),
    maxSurge: z.number().int().min(1).max(20).default(1).describe("Extra nodes a node-pool upgrade may add (surge upgrade)."),
  })
  .describe("Node pool sizing.");

/** Per-workload sizing of SpiveProdN pods. */
export const WorkloadConfig = z
  .strictObject({
    image: z
      .string()
      .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, "an image repository without tag, such as europe-docker.pkg.dev/spive-artifacts/spive/spive")
      .describe("The Spive image repository; the tag is the layer's version."),
    replicas: z.number().int().min(1).max(100).default(2).describe("Replicas per placement (region × zone × shard); the HPA minimum where autoscaled."),
    maxReplicas: z.number().int().min(1).max(1000).default(10).describe("HPA maximum per placement (autoscaled layers)."),
    targetCpuPercent: z.number().int().min(10).max(95).default(70).describe("HPA CPU utilisation target."),
    cpu: z.string().regex(/^[0-9]+m?$/, "a CPU quantity such as 500m").default("500m").describe("CPU request (and limit)."),
    memory: z.string().regex(/^[0-9]+(Mi|Gi)$/, "a memory quantity such as 512Mi").default("512Mi").describe("Memory request (and limit)."),
    port: z.number().int().min(1024).max(65535).default(8080).describe("The container's HTTP port (health, API)."),
  })
  .describe("SpiveProdN workload settings.");

/** The layer block: `spive:layer` in each stack file. */
export const LayerConfig = z
  .strictObject({
    level: z.number().int().min(0).max(9).describe("The layer's level N (prod-N); layer N manages layer N+1."),
    version: Version,
    capabilities: Capabilities,
    regions: z.array(RegionConfig).min(1).describe("Every region the layer runs in. Data, never a live query."),
    shards: z.number().int().min(1).max(64).default(1).describe("Number of SpiveProdN shards per region (sharded layers: ≥ 2)."),
    workload: WorkloadConfig,
    nodePool: NodePoolConfig.prefault({}),
    retiringRegions: z
      .array(RegionName)
      .default([])
      .describe(
        "Regions being removed (docs/adding-a-region.md, \"Removing a region\"): each must still be listed in `regions`; its cluster loses Pulumi `protect` and GKE deletion protection on the next run, so the run after that, which drops the region from both lists, can delete it. Nothing else is unprotected.",
      ),
    ecosystem: z
      .array(z.enum(["dns-registerer", "scaler", "inventory"]))
      .default([])
      .describe("Ecosystem workloads run in every region beside SpiveProdN (e.g. the DNS registerer-unregisterer and the scaler on prod-1)."),
  })
  .describe("The layer: its level, capabilities and topology.");

/** Network settings: `spive:network`. */
export const NetworkConfig = z
  .strictObject({
    cidr: Cidr.describe(
      "The layer's own block in the tower's address plan (docs/layers.md, \"Address plan\"): every subnet of the layer is carved from it, and no other layer's block or reserved range may overlap it. GKE layers: a /10 (64 region slots of /16); prod0: a /16 whose first /24 is the runner subnet.",
    ),
    authorizedNetworks: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          cidr: Cidr.refine((c) => !c.endsWith("/0"), { message: "expected a bounded network, not the whole internet (/0)" }),
        }),
      )
      .default([])
      .describe(
        "Opt-in IP access to the GKE control planes' private endpoints. Empty (the default): the IP endpoints are off and the control planes answer only on their IAM-gated DNS endpoint. Each network must lie inside this layer's block, the only addresses routed to the private endpoint (the tower declares no peering or VPN), and must not overlap another.",
      ),
    deployerCidrs: z
      .array(Cidr)
      .default(["35.235.240.0/20"])
      .describe("Where the CI deployment reaches the layer from: IAP TCP forwarding by default."),
  })
  .describe("Network settings.");

/** DNS settings: `spive:dns`. */
export const DnsConfig = z
  .strictObject({
    domain: DnsName.describe("The layer's DNS domain: a public zone on discoverable layers, a private zone otherwise."),
    uiHost: z.string().regex(/^[a-z0-9-]+$/, "a single DNS label such as ui").default("ui").describe("The UI/API host label on discoverable layers."),
  })
  .describe("DNS settings.");

/** The layer below, read through a StackReference: `spive:below`. */
export const BelowConfig = z
  .strictObject({
    stack: z
      .string()
      .regex(/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/, "a stack name: stack, project/stack or org/project/stack")
      .describe(
        "The layer below: its stack name (prod1), or project/stack, or org/project/stack. What is left out comes from the running stack (pulumi.getOrganization(), pulumi.getProject()), so the same config works on Pulumi Cloud and on a self-managed backend, whose organization is `organization` (config/stack-ref.ts).",
      ),
  })
  .describe("The layer below this one, which manages it.");

/** The prod0 basic runner service: `spive:runner`. */
export const RunnerConfig = z
  .strictObject({
    hostsPerZone: z.number().int().min(1).max(8).default(1).describe("spive-prod0-basic-runner hosts per zone (stable names)."),
    machineType: z.string().min(1).default("e2-standard-2").describe("The runner hosts' machine type."),
    apiPort: z.number().int().min(1024).max(65535).default(7070).describe("The runner API port (HTTP/JSON, see docs/contracts.md)."),
    image: z.string().min(1).default("cos-cloud/cos-stable").describe("The runner hosts' boot image (Container-Optimized OS)."),
  })
  .describe("The spive-prod0-basic-runner service.");

/**
 * Who may change the state of prod-0's runner API: `spive:runnerApi`. Every
 * PUT and DELETE carries a Google-signed ID token; the runner hosts verify
 * the audience and that the token's email is an allowed identity
 * (docs/contracts.md, Authentication). Exported as the stack output `runnerApi`.
 */
export const RunnerApiConfig = z
  .strictObject({
    audience: z
      .string()
      .regex(/^https:\/\/[a-z0-9.-]+(?:\/[A-Za-z0-9._~/-]*)?$/, "an https URL naming the API, such as https://runner-api.prod0.spive.internal")
      .default("https://runner-api.prod0.spive.internal")
      .describe("The ID token audience the runner hosts accept (tokens minted for anything else are refused)."),
    allowedIdentities: z
      .array(z.string().regex(/^[a-z][a-z0-9-]{4,29}@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, "a service account email"))
      .min(1, "at least one service account (the CI deployer of prod0)")
      .max(8)
      .describe("Service accounts whose ID tokens may change state; the first is the CI deployer that `pulumi up -s prod0` runs as (GCP_SERVICE_ACCOUNT of the prod0 environment)."),
  })
  .describe("Authentication of the runner API.");

/**
 * The prod0 event store, a regional Cloud Spanner instance (linearizable
 * writes from both zones; docs/decisions.md, "Event store"): `spive:eventStore`.
 */
export const EventStoreConfig = z
  .strictObject({
    instance: z.string().regex(/^[a-z][a-z0-9-]{0,28}[a-z0-9]$/, "a Spanner instance id (2-30 lowercase letters, digits, hyphens)").default("spive-prod0-events").describe("The Spanner instance id."),
    database: z.string().regex(/^[a-z][a-z0-9_-]{0,28}[a-z0-9]$/, "a Spanner database id (2-30 lowercase letters, digits, _ or -)").default("spive-events").describe("The database holding every durable stream."),
    processingUnits: z
      .number()
      .int()
      .min(100)
      .max(100_000)
      .refine((n) => (n < 1000 ? n % 100 === 0 : n % 1000 === 0), "a multiple of 100 below 1000 and of 1000 from 1000 on")
      .default(100)
      .describe("Compute capacity: 100 processing units is a tenth of a node; storage is billed apart."),
  })
  .describe("The prod0 event store.");

/** Per-phase bounded timeouts of the prod0 bootstrap, in seconds: `spive:bootstrap`. */
export const BootstrapConfig = z
  .strictObject({
    log: z.string().min(1).default("SpiveProdBootstrap.jsonl").describe("The bootstrap log, relative to the repository root."),
    command: z
      .string()
      .min(1)
      .default("node --require tsx/cjs doubles/bin/serve.ts bootstrap-instance")
      .describe("How dev-0 and dev-0r start the SpiveProdBootstrap instance: the double by default (words, no shell; `node` is the running Node). prod0 runs `artifact` instead."),
    artifact: z
      .strictObject({
        image: z
          .string()
          .regex(/^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9-]+\/[a-z0-9._/-]+$/, "an Artifact Registry image without tag, such as europe-docker.pkg.dev/spive-artifacts/spive/spive-prod-bootstrap")
          .describe("The SpiveProdBootstrap release image in the Spive Artifact Registry."),
        version: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?$/, "a release version such as 2026.11.0").describe("The release, used as the image tag."),
        runtime: z.enum(["docker"]).default("docker").describe("The container runtime in the deployment container: Docker Engine."),
      })
      .optional()
      .describe("The SpiveProdBootstrap release artifact prod0's bootstrap runs (docs/bootstrap.md, \"The instance command\"); required on level 0."),
    reach: z
      .enum(["iap", "direct"])
      .default("iap")
      .describe("How the deployment container reaches the runner hosts: iap opens one IAP TCP tunnel per host to a loopback port (the firewall admits only IAP's range); direct uses the internal hostnames (a deployer inside the VPC)."),
    timeouts: z
      .strictObject({
        validateSeconds: z.number().int().min(1).max(3600).default(60).describe("validate: the whole log, read once, validated, hashed and pinned."),
        leaseSeconds: z.number().int().min(1).max(600).default(60).describe("lease: open the tunnels and take the bootstrap lease on every runner host."),
        dryReplaySeconds: z.number().int().min(1).max(3600).default(120).describe("dry-replay: the rehearsal into ephemeral local doubles, start to verify."),
        preflightSeconds: z.number().int().min(1).max(600).default(60).describe("preflight: runner hosts, the event store and the log's streams, right before the wipe."),
        wipeSeconds: z.number().int().min(1).max(3600).default(300).describe("wipe: health of every runner host, the parallel wipe, and the empty check."),
        startSeconds: z.number().int().min(1).max(3600).default(60).describe("start: until the SpiveProdBootstrap instance listens and answers health."),
        consumeSeconds: z.number().int().min(1).max(7200).default(900).describe("wait: until the instance has consumed the whole log."),
        stopSeconds: z.number().int().min(1).max(600).default(30).describe("stop: SIGTERM until the instance exits; SIGKILL when half the time (at most 5 s) is left."),
        verifySeconds: z.number().int().min(1).max(3600).default(60).describe("verify: every runner host runs exactly the log's instances."),
      })
      .prefault({})
      .describe("Bounded timeout of every bootstrap phase, in seconds."),
    leaseTtlSeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .default(60)
      .describe("Time-to-live of the bootstrap lease on the runner hosts, renewed every third of it while a run lives: a driver that dies blocks the next run for at most this long."),
  })
  .describe("The prod0 bootstrap.");

/** The rollout policy of a layer upgraded in waves: `spive:rollout`. */
export const RolloutConfig = z
  .strictObject({
    canaryRegion: RegionName.describe("The region whose first zone goes first, alone (wave 0); its second zone goes after every region's first zone."),
    growth: z
      .number()
      .min(1)
      .max(10)
      .default(2)
      .describe("Batch growth after the canary: wave k may hold up to ⌊growth^k⌋ zones (1, 2, 4, 8, … for 2; 1, 1, 2, 3, 5, … for 1.5; 1 for one zone at a time)."),
    maxRegionsPerWave: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(16)
      .describe("Upper bound of regions touched by one wave (a wave holds at most one zone per region, so also of zones)."),
    bakeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(0)
      .describe("Pause between consecutive waves, in seconds, as a @pulumiverse/time Sleep re-run on every version (0: none)."),
    waveMinutes: z.number().min(1).max(600).default(10).describe("Estimated rollout time of one wave, for `spive rollout plan` (not enforced)."),
  })
  .describe("How a version bump rolls through the layer.");

/**
 * Usage the cost estimate cannot read from the plan (`spive cost`,
 * docs/cost.md): each is a monthly volume the layer is assumed to use, so the
 * usage-based parts of the estimate come from written-down numbers rather
 * than hidden constants. Change them when real usage is known.
 */
export const CostAssumptions = z
  .strictObject({
    natDataGiBPerRegion: z
      .number()
      .min(0)
      .default(100)
      .describe("GiB a month processed by each region's Cloud NAT gateway (image pulls, calls to public endpoints), inbound plus outbound."),
    natIpsPerGateway: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(1)
      .describe("External IP addresses each Cloud NAT gateway holds (AUTO_ONLY allocates them as ports run out; 1 is enough for a few thousand connections)."),
    loggingGiBPerRegion: z
      .number()
      .min(0)
      .default(30)
      .describe("GiB a month of logs each region of the layer writes to Cloud Logging (GKE system and workload logs, or the runner hosts' logs); the first 50 GiB of the project are free."),
    loadBalancerGiBPerMonth: z
      .number()
      .min(0)
      .default(50)
      .describe("GiB a month through the public HTTPS load balancer, inbound plus outbound (discoverable layers)."),
    internetEgressGiBPerMonth: z
      .number()
      .min(0)
      .default(50)
      .describe("GiB a month sent to the internet from the public endpoint (discoverable layers), priced as Premium Tier to North America."),
    dnsQueriesMillionsPerZone: z
      .number()
      .min(0)
      .default(1)
      .describe("Millions of DNS queries a month answered by each Cloud DNS managed zone."),
    eventStoreGiB: z
      .number()
      .min(0)
      .default(10)
      .describe("GiB stored in the event store (Bigtable or Spanner), per replica cluster."),
  })
  .describe("Monthly usage assumed by the cost estimate.");

/** Cost settings of a stack: `spive:cost`. */
export const CostConfig = z
  .strictObject({
    thresholdUsdPerMonth: z
      .number()
      .min(0)
      .default(500)
      .describe("A pull request that raises this stack's monthly estimate by more than this many USD is called out at the top of its diff comment."),
    assumptions: CostAssumptions.prefault({}),
  })
  .describe("The cost estimate's threshold and usage assumptions (docs/cost.md).");

/** The whole `spive:` namespace of one stack, plus `gcp:project`. */
export const StackConfig = z
  .strictObject({
    "gcp:project": ProjectId,
    "spive:layer": LayerConfig,
    "spive:network": NetworkConfig,
    "spive:dns": DnsConfig.optional(),
    "spive:below": BelowConfig.optional(),
    "spive:runner": RunnerConfig.optional(),
    "spive:runnerApi": RunnerApiConfig.optional(),
    "spive:eventStore": EventStoreConfig.optional(),
    "spive:bootstrap": BootstrapConfig.optional(),
    "spive:rollout": RolloutConfig.optional(),
    "spive:cost": CostConfig.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const layer = cfg["spive:layer"];
    const caps = layer.capabilities;
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });

    const seen = new Map<string, number>();
    layer.regions.forEach((r, i) => {
      const first = seen.get(r.name);
      if (first !== undefined) issue(["spive:layer", "regions", i, "name"], `expected each region once, got "${r.name}" again (first at regions[${first}])`);
      else seen.set(r.name, i);
      if (regionBlock(r.name) === undefined) {
        issue(["spive:layer", "regions", i, "name"], `expected a region of the catalog in topology/regions.ts (append a new GCP region there first), got "${r.name}"`);
      }
    });
    // The layer's block: never a reserved range (the cross-layer check is
    // buildTower's, over the whole committed tower). Blocks that failed their
    // own check are already reported and are not looked at again.
    const net = cfg["spive:network"];
    const netOk = Cidr.safeParse(net.cidr).success;
    if (netOk) {
      const reserved = reservedOverlaps(net.cidr);
      if (reserved.length > 0) {
        issue(["spive:network", "cidr"], `expected a block outside the reserved ranges, got ${net.cidr}, which overlaps ${reserved.map((r) => `${r.cidr} (${r.reason})`).join(", ")}`);
      }
    }
    if (caps.substrate === "basic-runner" && netOk && parseCidr(net.cidr).len > 24) {
      issue(["spive:network", "cidr"], `expected a block of /24 or larger on a basic-runner layer (the runner subnet is its first /24), got ${net.cidr}`);
    }
    // GKE layers carve each region's /16 slot at its catalog position out of
    // the layer block: it must fit.
    if (caps.substrate === "gke" && netOk) {
      const len = parseCidr(net.cidr).len;
      if (len > REGION_SLOT_PREFIX) {
        issue(["spive:network", "cidr"], `expected a block of /${REGION_SLOT_PREFIX} or larger on a GKE layer (each region takes a /${REGION_SLOT_PREFIX}), got ${net.cidr}`);
      } else {
        const blocks = 2 ** (REGION_SLOT_PREFIX - len);
        const placed = layer.regions.flatMap((r) => {
          const block = regionBlock(r.name);
          return block === undefined ? [] : [{ name: r.name, block }];
        });
        const outside = placed.filter((p) => p.block >= blocks);
        if (outside.length > 0) {
          const last = Math.max(...outside.map((p) => p.block));
          const need = REGION_SLOT_PREFIX - Math.ceil(Math.log2(last + 1));
          issue(
            ["spive:network", "cidr"],
            `expected a block that holds every region's /${REGION_SLOT_PREFIX} at its catalog position (up to ${last}, so /${need} or larger, such as a /10), got ${net.cidr}, which holds ${blocks}; ${outside.length} region(s) do not fit: ${outside.map((p) => p.name).join(", ")}`,
          );
        }
      }
    }
    // Opt-in IP access: real ranges only (inside the layer's block, the only
    // addresses routed to a private endpoint), each once.
    net.authorizedNetworks.forEach((a, j) => {
      if (!Cidr.safeParse(a.cidr).success) return;
      if (caps.substrate !== "gke") {
        issue(["spive:network", "authorizedNetworks", j], `expected no authorized networks on a basic-runner layer (it has no Kubernetes control plane), got ${a.cidr}`);
        return;
      }
      if (netOk && !contains(net.cidr, a.cidr)) {
        issue(["spive:network", "authorizedNetworks", j, "cidr"], `expected a network inside this layer's block ${net.cidr} (the only addresses routed to the private control-plane endpoint; the DNS endpoint needs no allowlist), got ${a.cidr}`);
      }
      const first = net.authorizedNetworks.findIndex((b, k) => k < j && Cidr.safeParse(b.cidr).success && overlaps(a.cidr, b.cidr));
      if (first >= 0) {
        issue(["spive:network", "authorizedNetworks", j, "cidr"], `expected a network that overlaps no other authorized network, got ${a.cidr}, which overlaps authorizedNetworks[${first}] (${net.authorizedNetworks[first]!.name}, ${net.authorizedNetworks[first]!.cidr})`);
      }
    });
    // Each region's pod range (/17) holds 128 nodes' /24s, surge included.
    if (caps.substrate === "gke") {
      const np = layer.nodePool;
      const perZone = (caps.autoscaling ? np.maxNodesPerZone : np.nodesPerZone) + np.maxSurge;
      if (perZone * 2 > NODES_PER_REGION_MAX) {
        issue(
          ["spive:layer", "nodePool", caps.autoscaling ? "maxNodesPerZone" : "nodesPerZone"],
          `expected at most ${NODES_PER_REGION_MAX / 2 - np.maxSurge} nodes per zone (with maxSurge ${np.maxSurge}; a region's pod range holds ${NODES_PER_REGION_MAX} nodes), got ${caps.autoscaling ? np.maxNodesPerZone : np.nodesPerZone}`,
        );
      }
    }

    // An Artifact Registry image whose repository cannot be read would get no
    // pull grant (docs/layers.md, "Image pulls") and fail only at rollout.
    if (/^[^/]+-docker\.pkg\.dev\//.test(layer.workload.image) && !artifactRepositoryOf(layer.workload.image)) {
      issue(["spive:layer", "workload", "image"], `expected an Artifact Registry image such as europe-docker.pkg.dev/<project>/<repository>/<image> (its repository gets the pull grant), got "${layer.workload.image}"`);
    }

    if (layer.level === 0) {
      if (caps.substrate !== "basic-runner") issue(["spive:layer", "capabilities", "substrate"], `expected "basic-runner" on level 0, got "${caps.substrate}"`);
      if (layer.regions.length !== 1) issue(["spive:layer", "regions"], `expected exactly 1 region on level 0, got ${layer.regions.length}`);
      if (caps.sharded) issue(["spive:layer", "capabilities", "sharded"], "expected false on level 0 (prod-0 is unsharded), got true");
      if (caps.discoverable) issue(["spive:layer", "capabilities", "discoverable"], "expected false on level 0 (prod-0 is hidden), got true");
      if (caps.autoscaling) issue(["spive:layer", "capabilities", "autoscaling"], "expected false on level 0, got true");
      if (!cfg["spive:runner"]) issue(["spive:runner"], "expected the runner block on level 0, got nothing");
      if (!cfg["spive:runnerApi"]) issue(["spive:runnerApi"], "expected the runner API's allowed identities on level 0 (who may wipe prod-0), got nothing");
      if (!cfg["spive:eventStore"]) issue(["spive:eventStore"], "expected the event store block on level 0, got nothing");
      if (!cfg["spive:bootstrap"]) issue(["spive:bootstrap"], "expected the bootstrap block on level 0, got nothing");
      else if (!cfg["spive:bootstrap"].artifact) issue(["spive:bootstrap", "artifact"], "expected the SpiveProdBootstrap release artifact (image and version) prod0 runs; the double of spive:bootstrap.command serves dev-0 and dev-0r only, got nothing");
      if (cfg["spive:below"]) issue(["spive:below"], "expected nothing on level 0 (the bootstrap manages prod-0), got a stack reference");
    } else {
      if (caps.substrate !== "gke") issue(["spive:layer", "capabilities", "substrate"], `expected "gke" on level ${layer.level}, got "${caps.substrate}"`);
      if (!cfg["spive:below"]) issue(["spive:below"], `expected the stack of level ${layer.level - 1}, which manages this layer, got nothing`);
      if (cfg["spive:runner"]) issue(["spive:runner"], `expected no runner block on level ${layer.level} (GKE layer), got one`);
      if (cfg["spive:runnerApi"]) issue(["spive:runnerApi"], `expected no runner API block on level ${layer.level} (GKE layer), got one`);
      if (cfg["spive:bootstrap"]) issue(["spive:bootstrap"], `expected no bootstrap block on level ${layer.level} (only prod-0 is bootstrapped), got one`);
      if (!cfg["spive:dns"]) issue(["spive:dns"], `expected a DNS block on level ${layer.level}, got nothing`);
      if (!cfg["spive:rollout"]) issue(["spive:rollout"], `expected a rollout policy on level ${layer.level}, got nothing`);
    }
    if (caps.sharded && layer.shards < 2) issue(["spive:layer", "shards"], `expected at least 2 shards on a sharded layer, got ${layer.shards}`);
    if (!caps.sharded && layer.shards !== 1) issue(["spive:layer", "shards"], `expected 1 shard on an unsharded layer, got ${layer.shards}`);
    if (caps.discoverable && caps.substrate !== "gke") issue(["spive:layer", "capabilities", "discoverable"], "expected a GKE layer to be discoverable, got a basic-runner layer");
    if (caps.autoscaling) {
      const np = layer.nodePool;
      if (np.minNodesPerZone >= np.maxNodesPerZone) {
        issue(["spive:layer", "nodePool", "maxNodesPerZone"], `expected more than minNodesPerZone (${np.minNodesPerZone}), got ${np.maxNodesPerZone}`);
      }
      if (layer.workload.replicas >= layer.workload.maxReplicas) {
        issue(["spive:layer", "workload", "maxReplicas"], `expected more than replicas (${layer.workload.replicas}), got ${layer.workload.maxReplicas}`);
      }
    }
    if (layer.level >= 1 && layer.workload.replicas < 2) {
      issue(["spive:layer", "workload", "replicas"], `expected at least 2 replicas per placement on level ${layer.level}, got ${layer.workload.replicas}`);
    }
    layer.retiringRegions.forEach((name, i) => {
      if (!layer.regions.some((r) => r.name === name)) {
        issue(["spive:layer", "retiringRegions", i], `expected a region the layer still lists in regions (retire it first, then drop it from both lists), got "${name}"`);
      } else if (layer.retiringRegions.indexOf(name) !== i) {
        issue(["spive:layer", "retiringRegions", i], `expected each region once, got "${name}" again`);
      }
      if (caps.substrate !== "gke") issue(["spive:layer", "retiringRegions", i], `expected no retiring regions on a basic-runner layer (its one region is the layer), got "${name}"`);
    });
    const rollout = cfg["spive:rollout"];
    if (rollout && !layer.regions.some((r) => r.name === rollout.canaryRegion)) {
      issue(["spive:rollout", "canaryRegion"], `expected one of the layer's regions (${layer.regions.map((r) => r.name).join(", ")}), got "${rollout.canaryRegion}"`);
    }
  })
  .describe("The configuration of one Spive layer stack.");

/** The parsed, defaulted configuration of one stack. */
export type StackConfig = z.infer<typeof StackConfig>;
/** The parsed `spive:layer` block. */
export type LayerConfig = z.infer<typeof LayerConfig>;
/** The parsed `spive:layer.capabilities` block. */
export type Capabilities = z.infer<typeof Capabilities>;
/** One parsed region with its zones. */
export type RegionConfig = z.infer<typeof RegionConfig>;
/** The parsed `spive:rollout` block. */
export type RolloutConfig = z.infer<typeof RolloutConfig>;
/** The parsed `spive:bootstrap` block. */
export type BootstrapConfig = z.infer<typeof BootstrapConfig>;
/** The parsed `spive:cost` block. */
export type CostConfig = z.infer<typeof CostConfig>;
/** The parsed `spive:cost.assumptions` block. */
export type CostAssumptions = z.infer<typeof CostAssumptions>;
/** The parsed `spive:runner` block. */
export type RunnerConfig = z.infer<typeof RunnerConfig>;
/** The parsed `spive:runnerApi` block. */
export type RunnerApiConfig = z.infer<typeof RunnerApiConfig>;
