import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { at, ofType } from "./helpers/resources";

const evs: Record<string, Evaluation> = {};
beforeAll(async () => {
  for (const s of ["prod2", "prod3"]) evs[s] = await evaluateStack(s);
}, 120_000);

describe.each(["prod2", "prod3"])("%s on the mock engine", (stack) => {
  const cfg = loadStackConfig(stack);
  const layer = cfg["spive:layer"];
  const prefix = `spive-prod${layer.level}`;

  it("autoscales: node pools with min < max, an HPA per SpiveProd Deployment that owns the replica count", () => {
    const ev = evs[stack]!;
    for (const p of ofType(ev, "gcp:container/nodePool:NodePool")) {
      expect(p.inputs.autoscaling.minNodeCount).toBeLessThan(p.inputs.autoscaling.maxNodeCount);
      expect(p.inputs.nodeCount).toBeUndefined();
    }
    const ds = ofType(ev, "kubernetes:apps/v1:Deployment").filter((d) => at(d, "metadata.labels.app") === prefix);
    expect(ds).toHaveLength(layer.regions.length * 2);
    const hpas = ofType(ev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    for (const d of ds) {
      expect(at(d, "spec.replicas")).toBeUndefined();
      const hpa = hpas.find((h) => at(h, "spec.scaleTargetRef.name") === d.name)!;
      expect(hpa.inputs.spec).toMatchObject({ minReplicas: layer.workload.replicas, maxReplicas: layer.workload.maxReplicas });
    }
    const pdbs = ofType(ev, "kubernetes:policy/v1:PodDisruptionBudget").map((p) => p.name);
    for (const d of ds) expect(pdbs).toContain(d.name);
  });

  it("is discoverable: a public DNSSEC zone and an HTTPS endpoint with a Google-managed certificate", () => {
    const ev = evs[stack]!;
    const zone = ofType(ev, "gcp:dns/managedZone:ManagedZone")[0]!;
    expect(zone.inputs).toMatchObject({ visibility: "public", dnsName: cfg["spive:dns"]!.domain, dnssecConfig: { state: "on" } });
    const fqdn = `${cfg["spive:dns"]!.uiHost}.${cfg["spive:dns"]!.domain}`;
    expect(ofType(ev, "gcp:compute/managedSslCertificate:ManagedSslCertificate")[0]!.inputs.managed.domains).toEqual([fqdn]);
    expect(ofType(ev, "gcp:compute/globalForwardingRule:GlobalForwardingRule")[0]!.inputs.portRange).toBe("443");
    expect(ofType(ev, "gcp:dns/recordSet:RecordSet")[0]!.inputs).toMatchObject({ name: fqdn, type: "A" });
    const backends = ofType(ev, "gcp:compute/backendService:BackendService")[0]!.inputs.backends as { group: string }[];
    expect(backends).toHaveLength(layer.regions.length * 2);
    expect(ev.outputs.endpoint).toBe(`https://${fqdn.replace(/\.$/, "")}/`);
  });

  it("reads the layer below through the contract and grants its manager scoped roles", () => {
    const ev = evs[stack]!;
    const ref = ofType(ev, "pulumi:pulumi:StackReference");
    // The committed config names the stack only; the organization and project are the running stack's.
    expect(ref.map((r) => r.name)).toEqual([`spive/spive-infra/${cfg["spive:below"]!.stack}`]);
    const below = `serviceAccount:spive-prod${layer.level - 1}@spive-prod${layer.level - 1}.iam.gserviceaccount.com`;
    const grants = ofType(ev, "gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === below);
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expect(g.inputs).toMatchObject({ project: cfg["gcp:project"] });
  });

  it("is secure by default on every cluster, node pool and workload", () => {
    const ev = evs[stack]!;
    for (const c of ofType(ev, "gcp:container/cluster:Cluster")) {
      expect(c.inputs).toMatchObject({
        privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
        controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true }, ipEndpointsConfig: { enabled: false } },
        workloadIdentityConfig: { workloadPool: `${cfg["gcp:project"]}.svc.id.goog` },
        enableShieldedNodes: true,
        datapathProvider: "ADVANCED_DATAPATH",
        releaseChannel: { channel: "REGULAR" },
        deletionProtection: true,
        enableLegacyAbac: false,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      });
      expect(c.protect).toBe(true);
      expect(c.inputs.privateClusterConfig.masterIpv4CidrBlock).toBeUndefined();
      expect(c.inputs.masterAuthorizedNetworksConfig).toBeUndefined();
    }
    const nodeSa = `${prefix}-nodes@${cfg["gcp:project"]}.iam.gserviceaccount.com`;
    for (const p of ofType(ev, "gcp:container/nodePool:NodePool")) {
      expect(p.inputs.management).toEqual({ autoRepair: true, autoUpgrade: true });
      expect(p.inputs.nodeConfig).toMatchObject({
        serviceAccount: nodeSa,
        imageType: "COS_CONTAINERD",
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
      });
    }
    for (const ns of ofType(ev, "kubernetes:core/v1:Namespace")) expect(at(ns, "metadata.labels")["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const d of ofType(ev, "kubernetes:apps/v1:Deployment")) {
      const pod = at(d, "spec.template.spec");
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey)).toContain("topology.kubernetes.io/zone");
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
        expect(c.resources.requests).toEqual(c.resources.limits);
        expect(c.readinessProbe).toBeDefined();
        expect(c.livenessProbe).toBeDefined();
      }
    }
  });

  it("says whether it is the control plane", () => {
    expect(evs[stack]!.outputs.controlPlane).toBe(stack === "prod3");
  });
});
