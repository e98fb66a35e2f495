import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { at, ofType, PUBLIC_TYPES } from "./helpers/resources";

let ev: Evaluation;
const cfg = loadStackConfig("prod0");
const zones = cfg["spive:layer"].regions[0]!.zones;

beforeAll(async () => {
  ev = await evaluateStack("prod0");
});

describe("prod0 on the mock engine", () => {
  it("runs in exactly one region and two zones, active-active", () => {
    expect(zones).toHaveLength(2);
    const migs = ofType(ev, "gcp:compute/instanceGroupManager:InstanceGroupManager");
    expect(migs.map((m) => m.inputs.zone).sort()).toEqual([...zones].sort());
    // The event store is regional Spanner: three read-write replicas in the region, linearizable writes from both zones.
    const spanner = ofType(ev, "gcp:spanner/instance:Instance");
    expect(spanner).toHaveLength(1);
    expect(spanner[0]!.inputs.config).toBe(`regional-${cfg["spive:layer"].regions[0]!.name}`);
    expect(spanner[0]!.inputs.processingUnits).toBe(cfg["spive:eventStore"]!.processingUnits);
    expect(ofType(ev, "gcp:bigtable/instance:Instance")).toHaveLength(0);
  });

  it("exports the basic runner hosts with stable hostnames, one group per zone", () => {
    const hosts = ev.outputs.runnerHosts as { name: string; zone: string; hostname: string; port: number }[];
    expect(hosts.map((h) => h.zone).sort()).toEqual([...zones].sort());
    for (const h of hosts) {
      expect(h.hostname).toBe(`${h.name}.${h.zone}.c.${cfg["gcp:project"]}.internal`);
      expect(h.port).toBe(cfg["spive:runner"]!.apiPort);
    }
    const configs = ofType(ev, "gcp:compute/perInstanceConfig:PerInstanceConfig");
    expect(configs.map((c) => c.inputs.name).sort()).toEqual(hosts.map((h) => h.name).sort());
  });

  it("is undiscoverable: no external IP, no public DNS, no public load balancer", () => {
    for (const t of PUBLIC_TYPES) expect(ofType(ev, t)).toEqual([]);
    expect(ofType(ev, "gcp:dns/managedZone:ManagedZone")).toEqual([]);
    const template = ofType(ev, "gcp:compute/instanceTemplate:InstanceTemplate")[0]!;
    for (const nic of template.inputs.networkInterfaces) expect(nic.accessConfigs ?? []).toEqual([]);
    expect(template.inputs.shieldedInstanceConfig).toMatchObject({ enableSecureBoot: true, enableIntegrityMonitoring: true });
  });

  it("egresses through Cloud NAT", () => {
    expect(ofType(ev, "gcp:compute/routerNat:RouterNat")).toHaveLength(1);
  });

  it("opens the runner API port to the CI deployment network only", () => {
    const rules = ofType(ev, "gcp:compute/firewall:Firewall");
    const deployer = rules.find((r) => r.name === "spive-prod0-allow-deployer-to-runner-api")!;
    expect(deployer.inputs).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["35.235.240.0/20"],
      allows: [{ protocol: "tcp", ports: [String(cfg["spive:runner"]!.apiPort)] }],
    });
    for (const r of rules) expect(r.inputs.sourceRanges ?? []).not.toContain("0.0.0.0/0");
  });

  it("gives SpiveProd0 a dedicated service account, the one the hosts run as", () => {
    const sa = ofType(ev, "gcp:serviceaccount/account:Account");
    expect(sa.map((a) => a.inputs.accountId)).toEqual(["spive-prod0"]);
    const template = ofType(ev, "gcp:compute/instanceTemplate:InstanceTemplate")[0]!;
    expect(at(template, "serviceAccount.email")).toBe("spive-prod0@spive-prod0.iam.gserviceaccount.com");
    expect(ev.outputs.managerServiceAccountEmail).toBe("spive-prod0@spive-prod0.iam.gserviceaccount.com");
  });

  it("protects the event store from deletion", () => {
    const inst = ofType(ev, "gcp:spanner/instance:Instance")[0]!;
    expect(inst.protect).toBe(true);
    const db = ofType(ev, "gcp:spanner/database:Database")[0]!;
    expect(db.inputs).toMatchObject({ deletionProtection: true, enableDropProtection: true });
    expect(db.protect).toBe(true);
    // SpiveProd0 and the CI deployer (who creates the log's streams) may write: database-level roles only.
    const members = ofType(ev, "gcp:spanner/databaseIAMMember:DatabaseIAMMember").map((m) => [m.inputs.role, m.inputs.member]);
    expect(members).toEqual([
      ["roles/spanner.databaseUser", "serviceAccount:spive-prod0@spive-prod0.iam.gserviceaccount.com"],
      ["roles/spanner.databaseUser", `serviceAccount:${cfg["spive:runnerApi"]!.allowedIdentities[0]}`],
    ]);
  });
});
