import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { bootstrapRunId, logDigest, planBootstrapRun } from "../bootstrap/driver/trigger";
import { assertLogValid } from "../bootstrap/log/validate";
import { REPO_ROOT } from "../config/load";
import type { StackConfig } from "../config/schema";
import { subBlock } from "../topology/cidr";
import { layerPrefix } from "../topology/placements";
import { BasicRunner, RUNNER_TAG } from "./components/basic-runner";
import { ProdBootstrap } from "./components/bootstrap";
import { EventStore } from "./components/event-store";
import { ImagePullGrant, NODE_ROLES, ServiceIdentity } from "./components/identity";
import { artifactRepositories } from "../topology/images";
import { HEALTH_CHECK_RANGES, LayerNetwork } from "./components/network";
import { ProjectApis } from "./components/apis";
import { RUNTIME_APIS } from "../topology/apis";

/**
 * prod-0: one region, exactly two zones, active-active, unsharded, hidden.
 * The spive-prod0-basic-runner service in each zone (stable hostnames, stack
 * output `runnerHosts`), the regional Spanner event store (linearizable
 * writes from both zones), egress only through Cloud NAT, ingress only from the CI deployment
 * network (IAP) to the runner API port, and SpiveProd0's dedicated identity.
 * No external IP, no public DNS, no public load balancer.
 *
 * The bootstrap log is validated first, on every evaluation (preview too),
 * so a bad log fails `pulumi preview -s prod0` before anything is declared;
 * the ProdBootstrap command then runs the bootstrap driver on every
 * `pulumi up` (docs/bootstrap.md).
 */
export async function prod0Program(cfg: StackConfig): Promise<Record<string, unknown>> {
  const project = cfg["gcp:project"];
  const layer = cfg["spive:layer"];
  const region = layer.regions[0]!;
  const runner = cfg["spive:runner"]!;
  const store = cfg["spive:eventStore"]!;
  const runnerApi = { audience: cfg["spive:runnerApi"]!.audience, allowedIdentities: [...cfg["spive:runnerApi"]!.allowedIdentities] };
  const prefix = layerPrefix(0);
  const bootstrap = cfg["spive:bootstrap"]!;
  const logFile = path.resolve(REPO_ROOT, bootstrap.log);
  await assertLogValid(logFile, region.zones, { zonesSource: "stacks/Pulumi.prod0.yaml > spive:layer.regions[0].zones" });

  // Every resource below depends on the APIs its type needs (topology/apis.ts).
  const apis = new ProjectApis(`${prefix}-apis`, { project, prefix, runtime: RUNTIME_APIS["basic-runner"] });
  const network = new LayerNetwork(prefix, {
    project,
    prefix,
    subnets: [{ region: region.name, cidr: subBlock(cfg["spive:network"].cidr, 24, 0) }],
  }, apis.opts);
  const deployerFirewall = new gcp.compute.Firewall(`${prefix}-allow-deployer-to-runner-api`, {
    project,
    name: `${prefix}-allow-deployer-to-runner-api`,
    network: network.network.id,
    direction: "INGRESS",
    sourceRanges: [...cfg["spive:network"].deployerCidrs],
    targetTags: [RUNNER_TAG],
    allows: [{ protocol: "tcp", ports: [String(runner.apiPort)] }],
    description: "The CI deployment (through IAP TCP forwarding) reaches the runner API, and nothing else.",
    logConfig: { metadata: "INCLUDE_ALL_METADATA" },
  }, { ...apis.opts, deleteBeforeReplace: true });
  new gcp.compute.Firewall(`${prefix}-allow-health-to-runner-api`, {
    project,
    name: `${prefix}-allow-health-to-runner-api`,
    network: network.network.id,
    direction: "INGRESS",
    sourceRanges: [...HEALTH_CHECK_RANGES],
    targetTags: [RUNNER_TAG],
    allows: [{ protocol: "tcp", ports: [String(runner.apiPort)] }],
    description: "Autohealing health checks of the runner hosts.",
  }, { ...apis.opts, deleteBeforeReplace: true });
  new gcp.compute.Firewall(`${prefix}-allow-runner-peers`, {
    project,
    name: `${prefix}-allow-runner-peers`,
    network: network.network.id,
    direction: "INGRESS",
    sourceTags: [RUNNER_TAG],
    targetTags: [RUNNER_TAG],
    allows: [{ protocol: "tcp", ports: [String(runner.apiPort), String(layer.workload.port)] }],
    description: "Active-active: SpiveProd0 instances in the two zones talk to each other.",
  }, { ...apis.opts, deleteBeforeReplace: true });

  const app = new ServiceIdentity(`${prefix}-app`, {
    project,
    accountId: prefix,
    description: "SpiveProd0: the sole application of prod-0; runs on the basic runner hosts and manages prod-1.",
    roles: NODE_ROLES,
  }, apis.opts);
  const runnerImage = `${layer.workload.image}-basic-runner:${layer.version}`;
  const images = [runnerImage, `${layer.workload.image}:${layer.version}`];
  const repositories = artifactRepositories(images);
  if (repositories.length === 0) pulumi.log.warn(`${prefix}: the images (${images.join(", ")}) are not in Artifact Registry, so no pull grant is declared; the runner hosts must be able to pull them otherwise.`);
  const pull = new ImagePullGrant(`${prefix}-app-pull`, { repositories, memberEmail: app.email }, apis.opts);
  const runners = new BasicRunner(`${prefix}-basic-runner`, {
    project,
    region: region.name,
    zones: region.zones,
    hostsPerZone: runner.hostsPerZone,
    machineType: runner.machineType,
    bootImage: runner.image,
    apiPort: runner.apiPort,
    runnerImage,
    subnetwork: network.subnets[region.name]!.id,
    serviceAccountEmail: app.email,
    apiAuth: runnerApi,
    // A host pulls the runner image as it boots: the grant comes first.
    after: [pull],
  }, apis.opts);
  const eventStore = new EventStore(`${prefix}-event-store`, {
    project,
    region: region.name,
    instance: store.instance,
    database: store.database,
    processingUnits: store.processingUnits,
    // SpiveProd0 reads and appends; the bootstrap (as the CI deployer) creates the log's streams.
    writerEmails: [app.email, runnerApi.allowedIdentities[0]!],
  }, apis.opts);

  const eventStoreOutputs = { project, instance: store.instance, database: store.database };
  new ProdBootstrap(`${prefix}-bootstrap`, {
    plan: planBootstrapRun(
      { runnerHosts: runners.hosts, eventStore: eventStoreOutputs, runnerApi },
      bootstrap,
      bootstrapRunId(pulumi.runtime.isDryRun(), process.env),
      logDigest(fs.readFileSync(logFile)),
    ),
    after: [runners, eventStore, deployerFirewall],
  });

  return {
    level: 0,
    project,
    managerServiceAccountEmail: app.email,
    regions: [region.name],
    controlPlane: layer.capabilities.controlPlane,
    runnerHosts: runners.hosts,
    runnerApi,
    eventStore: eventStoreOutputs,
  };
}
