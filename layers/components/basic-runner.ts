import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { artifactRepositoryOf } from "../../topology/images";
import { internalHostname, runnerHostName } from "../../topology/placements";
import type { RunnerHost } from "../contract";

/** Inputs of the spive-prod0-basic-runner service. */
export interface BasicRunnerArgs {
  /** The GCP project. */
  readonly project: string;
  /** The region. */
  readonly region: string;
  /** The two zones. */
  readonly zones: readonly string[];
  /** Hosts per zone. */
  readonly hostsPerZone: number;
  /** Machine type. */
  readonly machineType: string;
  /** Boot image. */
  readonly bootImage: string;
  /** Runner API port. */
  readonly apiPort: number;
  /** The runner container image, tagged. */
  readonly runnerImage: string;
  /** The subnet the hosts live in. */
  readonly subnetwork: pulumi.Input<string>;
  /** The SpiveProd0 service account the hosts run as. */
  readonly serviceAccountEmail: pulumi.Input<string>;
  /** What the hosts must wait for (the image pull grant): the per-instance configs that create them depend on it. */
  readonly after?: readonly pulumi.Resource[];
  /** Who may change the runner API's state: the ID token audience and the allowed service accounts (docs/contracts.md, Authentication). */
  readonly apiAuth: RunnerApiAuth;
}

/** The runner API's authentication settings, passed to the runner container. */
export interface RunnerApiAuth {
  /** The ID token audience the runner accepts. */
  readonly audience: string;
  /** The service accounts whose ID tokens may change state. */
  readonly allowedIdentities: readonly string[];
}

/** The network tag firewall rules select runner hosts by. */
export const RUNNER_TAG = "spive-prod0-basic-runner";

/** The runner unit's restart pacing: wait between restarts, and give up after `burst` starts in `intervalSec`. */
export const RUNNER_START_LIMIT = { restartSec: 5, burst: 5, intervalSec: 300 } as const;

/** cloud-init for Container-Optimized OS: runs the basic runner as a systemd unit. */
export function runnerCloudInit(image: string, apiPort: number, auth: RunnerApiAuth): string {
  // Docker on COS authenticates to Artifact Registry through the host's
  // service account once the registry host is configured.
  const registry = artifactRepositoryOf(image)?.host;
  return [
    "#cloud-config",
    "write_files:",
    "  - path: /etc/systemd/system/spive-basic-runner.service",
    "    permissions: '0644'",
    "    content: |",
    "      [Unit]",
    "      Description=spive-prod0-basic-runner",
    "      Wants=network-online.target",
    "      After=network-online.target",
    // At most 5 starts in 5 minutes: a runner that cannot stay up stops
    // restarting, fails its health check, and autohealing recreates the host.
    `      StartLimitIntervalSec=${RUNNER_START_LIMIT.intervalSec}`,
    `      StartLimitBurst=${RUNNER_START_LIMIT.burst}`,
    "      [Service]",
    "      Environment=HOME=/home/spive-runner",
    // A container left by a crash or an unclean stop holds the name: remove it first ("-": none is fine).
    "      ExecStartPre=-/usr/bin/docker rm --force spive-basic-runner",
    ...(registry ? [`      ExecStartPre=/usr/bin/docker-credential-gcr configure-docker --registries=${registry}`] : []),
    `      ExecStart=/usr/bin/docker run --rm --name spive-basic-runner --network host --read-only ${image} --listen 0.0.0.0:${apiPort} --auth-audience ${auth.audience} --allowed-identities ${auth.allowedIdentities.join(",")}`,
    "      ExecStop=/usr/bin/docker stop spive-basic-runner",
    "      Restart=always",
    `      RestartSec=${RUNNER_START_LIMIT.restartSec}`,
    // The first start pulls the image.
    "      TimeoutStartSec=300",
    "runcmd:",
    "  - systemctl daemon-reload",
    "  - systemctl start spive-basic-runner.service",
    "",
  ].join("\n");
}

/**
 * The spive-prod0-basic-runner service: one zonal managed instance group per
 * zone, with per-instance configs that give every host a stable name (and so
 * a stable internal DNS name), autohealing on the runner API's health, no
 * external IPs, shielded VMs and OS Login.
 */
export class BasicRunner extends pulumi.ComponentResource {
  /** Every host, zone by zone. */
  readonly hosts: RunnerHost[];

  constructor(name: string, args: BasicRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spive:layer:BasicRunner", name, {}, opts);
    const parent = { parent: this };
    const template = new gcp.compute.InstanceTemplate(`${name}-template`, {
      project: args.project,
      namePrefix: `${name}-`,
      machineType: args.machineType,
      region: args.region,
      tags: [RUNNER_TAG],
      disks: [{ sourceImage: args.bootImage, autoDelete: true, boot: true, diskSizeGb: 20, diskType: "pd-balanced" }],
      networkInterfaces: [{ subnetwork: args.subnetwork }],
      serviceAccount: { email: args.serviceAccountEmail, scopes: ["cloud-platform"] },
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      metadata: {
        "enable-oslogin": "TRUE",
        "block-project-ssh-keys": "TRUE",
        "user-data": runnerCloudInit(args.runnerImage, args.apiPort, args.apiAuth),
      },
      labels: { layer: "prod0", service: "spive-prod0-basic-runner" },
    }, { ...parent, replaceOnChanges: [] });
    const health = new gcp.compute.HealthCheck(`${name}-health`, {
      project: args.project,
      name: `${name}-health`,
      checkIntervalSec: 10,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      httpHealthCheck: { port: args.apiPort, requestPath: "/healthz" },
    }, parent);
    this.hosts = [];
    // Zone by zone: each zone's group (and its hosts) waits for the previous
    // zone's, so a bad template or image stops in the first zone and never
    // takes down both hosts of the active-active pair (docs/runbook-deploy-and-bootstrap.md).
    let previousZone: pulumi.Resource[] = [];
    for (const zone of args.zones) {
      const mig = new gcp.compute.InstanceGroupManager(`${name}-${zone}`, {
        project: args.project,
        name: `${name}-${zone}`,
        zone,
        baseInstanceName: name,
        versions: [{ instanceTemplate: template.selfLinkUnique, name: "primary" }],
        // The per-instance configs below create the hosts (with stable names)
        // and raise the target size themselves; a size here would add
        // randomly named hosts the bootstrap never sees.
        targetSize: 0,
        namedPorts: [{ name: "runner-api", port: args.apiPort }],
        autoHealingPolicies: { healthCheck: health.id, initialDelaySec: 120 },
        updatePolicy: { type: "PROACTIVE", minimalAction: "REPLACE", maxSurgeFixed: 0, maxUnavailableFixed: 1, replacementMethod: "RECREATE" },
        // An update returns only once every host runs the new version and is stable.
        waitForInstances: true,
        waitForInstancesStatus: "UPDATED",
      }, { ...parent, ignoreChanges: ["targetSize"], deleteBeforeReplace: true, dependsOn: previousZone });
      const zoneResources: pulumi.Resource[] = [mig];
      for (let i = 0; i < args.hostsPerZone; i++) {
        const hostName = runnerHostName(zone, i);
        const pic = new gcp.compute.PerInstanceConfig(hostName, {
          project: args.project,
          zone,
          instanceGroupManager: mig.name,
          name: hostName,
          minimalAction: "NONE",
          mostDisruptiveAllowedAction: "REPLACE",
          removeInstanceOnDestroy: true,
        }, { ...parent, dependsOn: [...(args.after ?? []), ...previousZone] });
        zoneResources.push(pic);
        this.hosts.push({ name: hostName, zone, hostname: internalHostname(hostName, zone, args.project), port: args.apiPort });
      }
      previousZone = zoneResources;
    }
    this.registerOutputs({ hosts: this.hosts });
  }
}
