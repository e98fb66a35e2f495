import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import type { Evaluation, RecordedResource } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { planWaves } from "../rollout";
import { placements, zonePlacements } from "../topology/placements";
import { at, ofType, PUBLIC_TYPES } from "./helpers/resources";

const cfg = loadStackConfig("prod1");
const layer = cfg["spive:layer"];
let ev: Evaluation;
let bumped: Evaluation;

beforeAll(async () => {
  ev = await evaluateStack("prod1");
  bumped = await evaluateStack("prod1", {
    mutate: (raw) => {
      (raw["spive:layer"] as { version: string }).version = "2026.12.0";
      return raw;
    },
  });
}, 120_000);

const deployments = (e: Evaluation) => ofType(e, "kubernetes:apps/v1:Deployment");
const placementDeployments = (e: Evaluation) => deployments(e).filter((d) => at(d, "metadata.labels.app") === "spive-prod1");

describe("prod1 on the mock engine", () => {
  it("has a private GKE cluster per configured region, limited to its two zones", () => {
    const clusters = ofType(ev, "gcp:container/cluster:Cluster");
    expect(clusters).toHaveLength(layer.regions.length);
    for (const r of layer.regions) {
      const c = clusters.find((x) => x.inputs.location === r.name)!;
      expect(c.inputs.nodeLocations).toEqual(r.zones);
      expect(c.inputs.privateClusterConfig).toMatchObject({ enablePrivateNodes: true, enablePrivateEndpoint: true });
    }
  });

  it("runs one SpiveProd1 Deployment per (region, zone, shard), pinned to its zone", () => {
    const ds = placementDeployments(ev);
    const expected = placements(layer);
    expect(ds).toHaveLength(layer.regions.length * 2 * layer.shards);
    expect(ds.map((d) => d.name).sort()).toEqual(expected.map((p) => p.key).sort());
    for (const p of expected) {
      const d = ds.find((x) => x.name === p.key)!;
      expect(at(d, "spec.template.spec.nodeSelector")).toEqual({ "topology.kubernetes.io/zone": p.zone });
      expect(at(d, "spec.template.metadata.labels")).toMatchObject({ shard: String(p.shard), zone: p.zone, region: p.region });
    }
  });

  it("runs the ecosystem (DNS registerer-unregisterer, scaler) in every region", () => {
    for (const eco of ["dns-registerer", "scaler"]) {
      const names = deployments(ev).filter((d) => at(d, "metadata.labels.app") === `spive-prod1-${eco}`).map((d) => d.name).sort();
      expect(names).toEqual(layer.regions.map((r) => `spive-prod1-${eco}-${r.name}`).sort());
    }
  });

  it("uses private DNS only and nothing public", () => {
    for (const t of PUBLIC_TYPES) expect(ofType(ev, t)).toEqual([]);
    const zones = ofType(ev, "gcp:dns/managedZone:ManagedZone");
    expect(zones).toHaveLength(1);
    expect(zones[0]!.inputs.visibility).toBe("private");
  });

  it("has fixed-size node pools and no HPA (this layer does not autoscale)", () => {
    const pools = ofType(ev, "gcp:container/nodePool:NodePool");
    expect(pools).toHaveLength(layer.regions.length);
    for (const p of pools) {
      expect(p.inputs.autoscaling).toBeUndefined();
      expect(p.inputs.nodeCount).toBe(layer.nodePool.nodesPerZone);
    }
    expect(ofType(ev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toEqual([]);
    for (const d of placementDeployments(ev)) expect(at(d, "spec.replicas")).toBe(layer.workload.replicas);
  });

  it("grants prod0's manager identity scoped, non-primitive roles on prod1's project", () => {
    const grants = ofType(ev, "gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === "serviceAccount:spive-prod0@spive-prod0.iam.gserviceaccount.com");
    expect(grants.map((g) => g.inputs.role).sort()).toEqual(["roles/container.clusterViewer", "roles/container.developer", "roles/monitoring.viewer"]);
    for (const g of grants) expect(g.inputs.project).toBe("spive-prod1");
  });
});

describe("prod1 rolls out in waves", () => {
  const waves = planWaves(zonePlacements(layer), cfg["spive:rollout"]!);
  const waveOfZone = new Map(waves.flatMap((w) => w.zones.map((z) => [z.zone, w.index] as const)));
  const waveOf = (d: RecordedResource) => Number(at(d, "metadata.labels")["spive.dev/wave"]);

  it("labels every placement Deployment with its planned wave", () => {
    for (const d of placementDeployments(ev)) expect(waveOf(d)).toBe(waveOfZone.get(at(d, "spec.template.spec.nodeSelector")["topology.kubernetes.io/zone"]));
  });

  it("makes each wave depend on the previous wave's bake, which depends on exactly that wave's Deployments", () => {
    const sleeps = ofType(ev, "time:index/sleep:Sleep");
    expect(sleeps).toHaveLength(waves.length - 1);
    const byUrn = new Map(ev.resources.map((r) => [r.urn, r]));
    const gates = (r: RecordedResource) =>
      r.dependsOn.map((u) => byUrn.get(u)!).filter((x) => x.type === "time:index/sleep:Sleep" || x.type === "kubernetes:apps/v1:Deployment");
    for (const d of deployments(ev)) {
      const w = waveOf(d);
      if (w === 0) {
        expect(gates(d)).toEqual([]);
        continue;
      }
      expect(gates(d)).toHaveLength(1);
      const sleep = gates(d)[0]!;
      expect(sleep.type).toBe("time:index/sleep:Sleep");
      expect(sleep.name).toBe(`spive-prod1-bake-after-wave-${w - 1}`);
      expect(sleep.inputs.createDuration).toBe(`${cfg["spive:rollout"]!.bakeSeconds}s`);
      const gated = gates(sleep);
      expect(gated.every((g) => g.type === "kubernetes:apps/v1:Deployment" && waveOf(g) === w - 1)).toBe(true);
      expect(gated).toHaveLength(deployments(ev).filter((x) => waveOf(x) === w - 1).length);
    }
  });

  it("surges: maxUnavailable 0, maxSurge 1, and a PodDisruptionBudget per Deployment", () => {
    const pdbs = new Set(ofType(ev, "kubernetes:policy/v1:PodDisruptionBudget").map((p) => p.name));
    for (const d of deployments(ev)) {
      expect(at(d, "spec.strategy.rollingUpdate")).toEqual({ maxUnavailable: 0, maxSurge: 1 });
      expect(pdbs.has(d.name)).toBe(true);
    }
    for (const p of ofType(ev, "gcp:container/nodePool:NodePool")) expect(p.inputs.upgradeSettings).toMatchObject({ strategy: "SURGE", maxUnavailable: 0 });
  });

  it("a version bump changes only the Deployments' images (and re-arms the bakes), nothing of prod1's infrastructure", () => {
    const before = new Map(ev.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const changed = bumped.resources.filter((r) => before.get(r.urn) !== JSON.stringify(r.inputs));
    expect(bumped.resources.map((r) => r.urn).sort()).toEqual(ev.resources.map((r) => r.urn).sort());
    expect(new Set(changed.map((r) => r.type))).toEqual(new Set(["kubernetes:apps/v1:Deployment", "time:index/sleep:Sleep"]));
    expect(changed.filter((r) => r.type === "kubernetes:apps/v1:Deployment")).toHaveLength(deployments(ev).length);
    for (const d of changed.filter((r) => r.type === "kubernetes:apps/v1:Deployment")) {
      const old = JSON.parse(before.get(d.urn)!);
      old.spec.template.spec.containers[0].image = at(d, "spec.template.spec.containers")[0].image;
      expect(d.inputs).toEqual(old);
      expect(at(d, "spec.template.spec.containers")[0].image).toMatch(/:2026\.12\.0$/);
    }
  });
});
