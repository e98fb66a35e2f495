import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import type { StackConfig } from "../config/schema";
import { qualifyStackName } from "../config/stack-ref";
import { bakePlan, planWaves, waveGate } from "../rollout";
import { layerAddressPlan } from "../topology/cidr";
import { planDelegation } from "../topology/dns";
import { admissionPatterns, artifactRepositories } from "../topology/images";
import { layerPrefix, placements, zonePlacements } from "../topology/placements";
import { GKE_MANAGER_ROLES, GKE_NODE_ROLES, ImagePullGrant, ManagerGrant, ServiceIdentity } from "./components/identity";
import { PrivateDns, PublicEndpoint, publicEndpointName } from "./components/dns";
import { GkeRegion } from "./components/gke-region";
import { HEALTH_CHECK_RANGES, LayerNetwork } from "./components/network";
import { SpiveWorkload } from "./components/workload";
import { LayerOutputs, readLayerBelow } from "./contract";
import { ProjectApis } from "./components/apis";
import { RUNTIME_APIS } from "../topology/apis";
import { yieldToEngine } from "./pace";

/** The namespace every Spive workload runs in. */
export const SPIVE_NAMESPACE = "spive";

/** Roles SpiveProdN's own identity holds in its project (observability only; management rights come from the layer above). */
export const APP_ROLES: readonly string[] = ["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/cloudtrace.agent"];

/**
 * A GKE layer (prod-1 and above): one private regional cluster per configured
 * region, SpiveProdN in every (region × zone × shard) placement, rolled out in
 * waves, ecosystem workloads per region, private DNS, or a public DNSSEC zone
 * and HTTPS endpoint when the layer is discoverable. Reads the layer below
 * through the typed contract and grants its manager identity the rights to
 * manage this layer.
 */
export async function gkeLayerProgram(cfg: StackConfig): Promise<Record<string, unknown>> {
  const project = cfg["gcp:project"];
  const layer = cfg["spive:layer"];
  const caps = layer.capabilities;
  const net = cfg["spive:network"];
  const dns = cfg["spive:dns"]!;
  const rollout = cfg["spive:rollout"]!;
  const prefix = layerPrefix(layer.level);
  const image = `${layer.workload.image}:${layer.version}`;

  // The organization and project a short reference leaves out are the
  // running stack's, so the same config works on every backend.
  const belowStack = qualifyStackName(cfg["spive:below"]!.stack, { organization: pulumi.getOrganization(), project: pulumi.getProject() });
  const below = await readLayerBelow(belowStack, LayerOutputs);
  // Planned before anything is declared, so a bad zone from below fails first.
  const delegation = caps.discoverable ? planDelegation(dns.domain, below.publicZone) : undefined;
  if (delegation?.kind === "none" && below.publicZone) {
    pulumi.log.warn(`No DNS delegation declared for ${below.publicZone.dnsName}: ${delegation.reason}.`);
  }
  // Every resource below depends on the APIs its type needs (topology/apis.ts).
  const apis = new ProjectApis(`${prefix}-apis`, { project, prefix, runtime: RUNTIME_APIS.gke });
  new ManagerGrant(`${prefix}-managed-by-prod${below.level}`, { project, managerEmail: below.managerServiceAccountEmail, roles: GKE_MANAGER_ROLES }, apis.opts);

  const nodes = new ServiceIdentity(`${prefix}-nodes`, { project, accountId: `${prefix}-nodes`, description: `GKE nodes of ${prefix}`, roles: GKE_NODE_ROLES }, apis.opts);
  const images = [image, ...layer.ecosystem.map((eco) => `${layer.workload.image}-${eco}:${layer.version}`)];
  const repositories = artifactRepositories(images);
  if (repositories.length === 0) pulumi.log.warn(`${prefix}: the images (${images.join(", ")}) are not in Artifact Registry, so no pull grant is declared; the nodes must be able to pull them otherwise.`);
  const pull = new ImagePullGrant(`${prefix}-nodes-pull`, { repositories, memberEmail: nodes.email }, apis.opts);
  // Every cluster enforces this project-wide policy: only the layer's images and Google's system images run (docs/layers.md, break-glass).
  const admission = new gcp.binaryauthorization.Policy(`${prefix}-binauthz`, binauthzPolicyArgs(project, images), apis.opts);
  const app = new ServiceIdentity(`${prefix}-app`, { project, accountId: prefix, description: `SpiveProd${layer.level}: manages prod-${layer.level + 1}`, roles: APP_ROLES }, apis.opts);
  const ksaName = prefix;
  // Each region's ranges come from its permanent catalog position, never its
  // place in this list (the config schema checked that every block fits).
  const plan = layerAddressPlan(net.cidr, layer.regions.map((r) => r.name));
  const cidrs = layer.regions.map((r) => plan[r.name]!);
  const network = new LayerNetwork(prefix, {
    project,
    prefix,
    subnets: layer.regions.map((r, i) => ({
      region: r.name,
      cidr: cidrs[i]!.nodes,
      secondary: [
        { name: "pods", cidr: cidrs[i]!.pods },
        { name: "services", cidr: cidrs[i]!.services },
      ],
    })),
  }, apis.opts);
  if (caps.discoverable) {
    new gcp.compute.Firewall(`${prefix}-allow-lb-health`, {
      project,
      name: `${prefix}-allow-lb-health`,
      network: network.network.id,
      direction: "INGRESS",
      sourceRanges: [...HEALTH_CHECK_RANGES],
      allows: [{ protocol: "tcp", ports: [String(layer.workload.port)] }],
      description: "Google load balancer and health checks to the Spive UI pods (container-native NEGs).",
    }, { ...apis.opts, deleteBeforeReplace: true });
  }

  const zones = zonePlacements(layer);
  const waves = planWaves(zones, rollout);
  const bakes = bakePlan(waves, rollout, { version: layer.version });
  const deploymentsByWave: k8s.apps.v1.Deployment[][] = waves.map(() => []);
  const sleeps = new Map<string, time.Sleep>();
  const gateOf = (wave: number): pulumi.Resource[] => {
    const gate = waveGate(wave, bakes);
    // The first wave pulls the images first: it waits for the pull grant (every later wave waits for it).
    if (gate.kind === "start") return [pull, admission];
    if (gate.kind === "wave") return deploymentsByWave[gate.wave]!;
    let sleep = sleeps.get(gate.step.name);
    if (!sleep) {
      sleep = new time.Sleep(`${prefix}-${gate.step.name}`, { createDuration: gate.step.createDuration, triggers: { ...gate.step.triggers } }, { dependsOn: deploymentsByWave[gate.step.afterWave]! });
      sleeps.set(gate.step.name, sleep);
    }
    return [sleep];
  };

  const regions: Record<string, GkeRegion> = {};
  for (const r of layer.regions) {
    regions[r.name] = new GkeRegion(`${prefix}-${r.name}`, {
      project,
      prefix,
      region: r.name,
      zones: r.zones,
      network: network.network.id,
      subnetwork: network.subnets[r.name]!.id,
      podsRange: "pods",
      servicesRange: "services",
      authorizedNetworks: net.authorizedNetworks,
      retiring: layer.retiringRegions.includes(r.name),
      nodeServiceAccount: nodes.email,
      nodePool: {
        machineType: layer.nodePool.machineType,
        diskSizeGb: layer.nodePool.diskSizeGb,
        maxSurge: layer.nodePool.maxSurge,
        size: caps.autoscaling ? { min: layer.nodePool.minNodesPerZone, max: layer.nodePool.maxNodesPerZone } : { fixed: layer.nodePool.nodesPerZone },
      },
      namespace: SPIVE_NAMESPACE,
    }, apis.opts);
    await yieldToEngine();
  }

  // The project's Workload Identity pool exists only once a cluster with
  // Workload Identity does: binding to it earlier fails on a fresh project.
  new gcp.serviceaccount.IAMMember(`${prefix}-workload-identity`, {
    serviceAccountId: app.account.name,
    role: "roles/iam.workloadIdentityUser",
    member: `serviceAccount:${project}.svc.id.goog[${SPIVE_NAMESPACE}/${ksaName}]`,
  }, { ...apis.opts, dependsOn: Object.values(regions).map((g) => g.cluster) });

  const scale = caps.autoscaling
    ? { min: layer.workload.replicas, max: layer.workload.maxReplicas, targetCpuPercent: layer.workload.targetCpuPercent }
    : { replicas: layer.workload.replicas };
  const negName = `${prefix}-ui`;
  // A Deployment's pods run as this ServiceAccount: each waits for its region's (a missing one blocks pod creation).
  const ksas = new Map<string, k8s.core.v1.ServiceAccount>();
  for (const r of layer.regions) {
    const region = regions[r.name]!;
    const opts = { parent: region, provider: region.provider };
    const ksa = new k8s.core.v1.ServiceAccount(`${prefix}-${r.name}-ksa`, {
      metadata: { name: ksaName, namespace: region.namespace, annotations: { "iam.gke.io/gcp-service-account": app.email } },
      automountServiceAccountToken: false,
    }, opts);
    ksas.set(r.name, ksa);
    new k8s.networking.v1.NetworkPolicy(`${prefix}-${r.name}-ingress`, {
      metadata: { name: "spive-ingress", namespace: region.namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          { from: [{ podSelector: {} }] },
          ...(caps.discoverable ? [{ from: HEALTH_CHECK_RANGES.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: layer.workload.port }] }] : []),
        ],
      },
    }, opts);
    await yieldToEngine();
  }

  // Declared wave by wave, so each wave's gate lists the complete previous wave.
  // Ecosystem workloads ride in the wave of their region's first zone.
  const all = placements(layer);
  const firstZoneDeployments = new Map(layer.regions.map((r) => [r.name, [] as k8s.apps.v1.Deployment[]]));
  for (const wave of waves) {
    const gate = gateOf(wave.index);
    for (const z of wave.zones) {
      const region = regions[z.region]!;
      for (const p of all.filter((x) => x.zone === z.zone)) {
        const w = new SpiveWorkload(p.key, {
          namespace: region.namespace,
          app: prefix,
          labels: { region: p.region, zone: p.zone, shard: String(p.shard) },
          deploymentLabels: { "spive.dev/wave": String(wave.index) },
          image,
          args: [`--layer=${layer.level}`, `--region=${p.region}`, `--zone=${p.zone}`, `--shard=${p.shard}`, `--shards=${layer.shards}`],
          scale,
          cpu: layer.workload.cpu,
          memory: layer.workload.memory,
          port: layer.workload.port,
          serviceAccountName: ksaName,
          zone: p.zone,
          provider: region.provider,
          dependsOn: [...gate, ksas.get(p.region)!],
        }, { parent: region });
        deploymentsByWave[wave.index]!.push(w.deployment);
        if (z.zoneIndex === 0) firstZoneDeployments.get(z.region)!.push(w.deployment);
      }
      if (z.zoneIndex !== 0) {
        await yieldToEngine();
        continue;
      }
      for (const eco of layer.ecosystem) {
        const w = new SpiveWorkload(`${prefix}-${eco}-${z.region}`, {
          namespace: region.namespace,
          app: `${prefix}-${eco}`,
          labels: { region: z.region, component: eco },
          deploymentLabels: { "spive.dev/wave": String(wave.index) },
          image: images[1 + layer.ecosystem.indexOf(eco)]!,
          args: [`--layer=${layer.level}`, `--region=${z.region}`, `--zones=${layer.regions.find((r) => r.name === z.region)!.zones.join(",")}`],
          scale: { replicas: 2 },
          cpu: "250m",
          memory: "256Mi",
          port: layer.workload.port,
          serviceAccountName: ksaName,
          provider: region.provider,
          dependsOn: [...gate, ksas.get(z.region)!],
        }, { parent: region });
        deploymentsByWave[wave.index]!.push(w.deployment);
      }
      await yieldToEngine();
    }
  }

  // A Service is awaited until it has ready endpoints, so each region's is
  // declared after the Deployments of its first zone (its first wave).
  const services: k8s.core.v1.Service[] = [];
  for (const r of layer.regions) {
    const region = regions[r.name]!;
    services.push(new k8s.core.v1.Service(`${prefix}-${r.name}-svc`, {
      metadata: {
        name: prefix,
        namespace: region.namespace,
        annotations: caps.discoverable ? { "cloud.google.com/neg": JSON.stringify({ exposed_ports: { "80": { name: negName } } }) } : {},
      },
      spec: { type: "ClusterIP", selector: { app: prefix }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    }, { parent: region, provider: region.provider, dependsOn: firstZoneDeployments.get(r.name)! }));
    await yieldToEngine();
  }

  let endpoint: string | undefined;
  let publicZone: Record<string, unknown> | undefined;
  if (caps.discoverable) {
    const pub = new PublicEndpoint(publicEndpointName(prefix), {
      project,
      prefix,
      domain: dns.domain,
      host: dns.uiHost,
      port: layer.workload.port,
      negZones: zones.map((z) => z.zone),
      negName,
      negsFrom: services,
      delegations: delegation?.kind === "delegate" ? [delegation.delegation] : [],
    }, apis.opts);
    endpoint = `https://${pub.fqdn.replace(/\.$/, "")}/`;
    publicZone = { dnsName: dns.domain, nameServers: pub.nameServers, dsRecords: pub.dsRecords };
  } else {
    new PrivateDns(`${prefix}-private-dns`, { project, domain: dns.domain, network: network.network.id }, apis.opts);
  }

  return {
    level: layer.level,
    project,
    managerServiceAccountEmail: app.email,
    regions: layer.regions.map((r) => r.name),
    controlPlane: caps.controlPlane,
    clusters: Object.values(regions).map((g) => g.cluster.name),
    waves: waves.length,
    ...(endpoint ? { endpoint } : {}),
    ...(publicZone ? { publicZone } : {}),
  };
}

/**
 * The project's Binary Authorization policy: deny by default (blocking and
 * audit-logged), admit the layer's own images (their Artifact Registry
 * repositories) and, through Google's global policy, the system images GKE
 * runs itself. Break-glass: docs/layers.md.
 */
export function binauthzPolicyArgs(project: string, images: readonly string[]): gcp.binaryauthorization.PolicyArgs {
  return {
    project,
    description: "Spive: only the Spive artifact repository and Google's system images are admitted.",
    globalPolicyEvaluationMode: "ENABLE",
    admissionWhitelistPatterns: admissionPatterns(images).map((namePattern) => ({ namePattern })),
    defaultAdmissionRule: { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" },
  };
}
