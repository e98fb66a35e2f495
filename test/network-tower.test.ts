import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, STACKS_DIR, stacksDirOfProject } from "../config/load";
import { qualifyStackName } from "../config/stack-ref";
import { gkeKubeconfig } from "../layers/components/gke-region";
import { KNOWN_STACKS } from "../layers/registry";
import { fromRecorded, runRules } from "../policy/registry";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { RESERVED_RANGES } from "../topology/address-plan";
import { contains, overlaps } from "../topology/cidr";
import { REGION_CATALOG } from "../topology/regions";
import { ZONE_CATALOG, ZONES_READ_ON } from "../topology/zones";
import { loadStackConfig } from "../config/load";
import { register as registerPlan } from "../cli/commands/plan";
import { register as registerPolicy } from "../cli/commands/policy";
import { runCommand } from "./helpers/cli";
import { at, ofType } from "./helpers/resources";

const CLUSTER = "gcp:container/cluster:Cluster";
const SUBNET = "gcp:compute/subnetwork:Subnetwork";
const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** Every range a stack's subnetworks declare. */
const rangesOf = (ev: Evaluation): string[] =>
  ofType(ev, SUBNET).flatMap((s) => [s.inputs.ipCidrRange as string, ...((s.inputs.secondaryIpRanges ?? []) as { ipCidrRange: string }[]).map((r) => r.ipCidrRange)]);

describe("held-out check: the four committed stacks can be reached and routed", () => {
  const evs: Record<string, Evaluation> = {};
  beforeAll(async () => {
    for (const stack of KNOWN_STACKS) evs[stack] = await evaluateStack(stack);
  }, 600_000);

  it("no cluster has a master CIDR; every cluster exposes its IAM-gated DNS endpoint; none relies on an IP allowlist nothing declares", () => {
    let clusters = 0;
    for (const stack of KNOWN_STACKS) {
      const declared = rangesOf(evs[stack]!);
      for (const c of ofType(evs[stack]!, CLUSTER)) {
        clusters++;
        expect(at(c, "privateClusterConfig.masterIpv4CidrBlock"), `${stack} ${c.name}`).toBeUndefined();
        // PSC needs GKE 1.29 or later: the clusters follow REGULAR, whose versions are all newer; a pin below 1.29 would make a peered cluster.
        expect(at(c, "releaseChannel.channel"), `${stack} ${c.name}`).toBe("REGULAR");
        const pin = at(c, "minMasterVersion") as string | undefined;
        if (pin !== undefined) expect(Number(pin.split(".")[1]), `${stack} ${c.name} minMasterVersion ${pin}`).toBeGreaterThanOrEqual(29);
        expect(at(c, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic"), `${stack} ${c.name}`).toBe(true);
        const ipOn = at(c, "controlPlaneEndpointsConfig.ipEndpointsConfig.enabled") !== false;
        const allowlist = (at(c, "masterAuthorizedNetworksConfig.cidrBlocks") ?? []) as { cidrBlock: string }[];
        if (ipOn) expect(allowlist.length, `${stack} ${c.name}: IP endpoint on with an empty allowlist`).toBeGreaterThan(0);
        for (const n of allowlist) expect(declared.some((d) => contains(d, n.cidrBlock)), `${stack} ${c.name}: ${n.cidrBlock} is declared by no subnet`).toBe(true);
      }
    }
    expect(clusters).toBe(42 + 8 + 8);
  });

  it("every Kubernetes provider talks to its cluster's DNS endpoint, with Google credentials and no pinned CA", () => {
    for (const stack of ["prod1", "prod2", "prod3"]) {
      const providers = ofType(evs[stack]!, K8S_PROVIDER);
      expect(providers).toHaveLength(ofType(evs[stack]!, CLUSTER).length);
      for (const p of providers) {
        const kc = JSON.parse(p.inputs.kubeconfig as string);
        expect(kc.clusters[0].cluster.server).toMatch(/^https:\/\/gke-[0-9a-f]+\.[a-z0-9-]+\.gke\.goog$/);
        expect(kc.clusters[0].cluster["certificate-authority-data"]).toBeUndefined();
        expect(kc.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
      }
    }
  });

  it("no two layers' ranges overlap, and none overlaps a reserved range", () => {
    const all = KNOWN_STACKS.flatMap((stack) => rangesOf(evs[stack]!).map((cidr) => ({ stack, cidr })));
    expect(all.length).toBeGreaterThan(170);
    for (const [i, x] of all.entries()) {
      for (const r of RESERVED_RANGES) expect(overlaps(x.cidr, r.cidr), `${x.stack} ${x.cidr} vs reserved ${r.cidr}`).toBe(false);
      for (const y of all.slice(i + 1)) if (x.stack !== y.stack) expect(overlaps(x.cidr, y.cidr), `${x.stack} ${x.cidr} vs ${y.stack} ${y.cidr}`).toBe(false);
    }
    // Each layer's ranges lie in its own block.
    for (const stack of KNOWN_STACKS) {
      const block = loadStackConfig(stack)["spive:network"].cidr;
      for (const cidr of rangesOf(evs[stack]!)) expect(contains(block, cidr), `${stack} ${cidr} outside ${block}`).toBe(true);
    }
  });

  it("the policy pack's network rules find nothing in any committed stack", () => {
    for (const stack of KNOWN_STACKS) {
      const ids = runRules(fromRecorded(evs[stack]!.resources)).violations.map((v) => v.ruleId);
      expect(ids.filter((id) => ["gke-control-plane-reachability", "address-overlap", "deletion-protection"].includes(id)), stack).toEqual([]);
    }
  });
});

describe("every stack evaluation loads the whole committed tower and refuses an inconsistent one", () => {
  type Raw = Record<string, any>;
  const refused = async (stack: string, mutate: (raw: Raw) => void, opts: { stacksDir?: string } = {}): Promise<string> => {
    try {
      await evaluateStack(stack, { ...opts, mutate: (raw) => (mutate(raw as Raw), raw) });
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`expected ${stack} to be refused, but it evaluated`);
  };

  it("refuses a second control plane below the top", async () => {
    expect(await refused("prod2", (raw) => (raw["spive:layer"].capabilities.controlPlane = true))).toContain(
      "stacks/Pulumi.prod2.yaml > spive:layer.capabilities.controlPlane: expected false (only the top layer, prod3, is the control plane), got true",
    );
  }, 120_000);

  it("refuses a layer that references a stack other than the one a level down", async () => {
    expect(await refused("prod1", (raw) => (raw["spive:below"].stack = "prod2"))).toContain(
      "stacks/Pulumi.prod1.yaml > spive:below.stack: expected a reference to prod0 (one level down), got prod2",
    );
  }, 120_000);

  it("refuses a layer whose block overlaps another layer's", async () => {
    expect(await refused("prod2", (raw) => (raw["spive:network"].cidr = "10.64.0.0/10"))).toContain(
      "stacks/Pulumi.prod2.yaml > spive:network.cidr: expected a block disjoint from every other layer's, got 10.64.0.0/10, which overlaps prod1's 10.64.0.0/10 (stacks/Pulumi.prod1.yaml > spive:network.cidr)",
    );
  }, 120_000);

  it("spive plan and spive policy refuse a second control plane, whichever stack they evaluate", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-tower-"));
    try {
      for (const s of KNOWN_STACKS) fs.copyFileSync(path.join(STACKS_DIR, `Pulumi.${s}.yaml`), path.join(dir, `Pulumi.${s}.yaml`));
      const prod2 = path.join(dir, "Pulumi.prod2.yaml");
      fs.writeFileSync(prod2, fs.readFileSync(prod2, "utf8").replace("controlPlane: false", "controlPlane: true"));
      const expected = `${prod2} > spive:layer.capabilities.controlPlane: expected false (only the top layer, prod3, is the control plane), got true`;
      const plan = await runCommand(registerPlan, ["plan", "prod2", "--stacks-dir", dir]);
      expect(plan.exitCode).not.toBe(0);
      expect(plan.stderr).toContain(expected);
      const policy = await runCommand(registerPolicy, ["policy", "prod1", "--stacks-dir", dir]);
      expect(policy.exitCode).toBe(2);
      expect(policy.stderr).toContain(expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("refuses a tower with a gap in its levels", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-tower-"));
    try {
      for (const s of ["prod0", "prod2", "prod3"]) fs.copyFileSync(path.join(STACKS_DIR, `Pulumi.${s}.yaml`), path.join(dir, `Pulumi.${s}.yaml`));
      fs.copyFileSync(path.join(STACKS_DIR, "Pulumi.prod1.yaml"), path.join(dir, "Pulumi.prod1.yaml"));
      // prod2 reads prod1's committed config offline; then prod1 leaves the tower.
      const message = await refused("prod3", () => fs.rmSync(path.join(dir, "Pulumi.prod1.yaml")), { stacksDir: dir });
      expect(message).toContain("Pulumi.prod2.yaml: expected the tower to have level 1 here, got prod2 (level 2); levels must run from 0 without gaps");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("under the Pulumi CLI the tower is read from the running project's stackConfigDir", () => {
  it("is stacks/ for the repository's project, the example's own folder for a small setup, stacks/ on the mock engine", () => {
    expect(stacksDirOfProject(REPO_ROOT)).toBe(STACKS_DIR);
    const example = path.join(REPO_ROOT, "examples", "small-prod1");
    expect(stacksDirOfProject(example)).toBe(example);
    expect(stacksDirOfProject("")).toBe(STACKS_DIR);
  });
});

describe("stack references work on every backend", () => {
  it("qualifies a short reference with the running stack's organization and project", () => {
    expect(qualifyStackName("prod1", { organization: "organization", project: "spive-infra" })).toBe("organization/spive-infra/prod1");
    expect(qualifyStackName("other/prod1", { organization: "acme", project: "spive-infra" })).toBe("acme/other/prod1");
    expect(qualifyStackName("acme/spive-infra/prod1", { organization: "organization", project: "x" })).toBe("acme/spive-infra/prod1");
  });

  it("on a self-managed backend (organization `organization`) the committed config reads organization/spive-infra/prod1", async () => {
    const ev = await evaluateStack("prod2", { organization: "organization" });
    expect(ofType(ev, "pulumi:pulumi:StackReference").map((r) => r.name)).toEqual(["organization/spive-infra/prod1"]);
  }, 120_000);

  it("a config that names the organization explicitly is used as given, whatever the backend", async () => {
    const ev = await evaluateStack("prod2", { organization: "organization", mutate: (raw) => ((raw["spive:below"] as { stack: string }).stack = "acme/spive-infra/prod1", raw) });
    expect(ofType(ev, "pulumi:pulumi:StackReference").map((r) => r.name)).toEqual(["acme/spive-infra/prod1"]);
  }, 120_000);
});

describe("removing a region: spive:layer.retiringRegions lifts protection for exactly those regions", () => {
  it("unprotects only the retiring region's cluster, labels it, and the policy pack accepts it", async () => {
    const ev = await evaluateStack("prod2", { mutate: (raw) => ((raw["spive:layer"] as { retiringRegions: string[] }).retiringRegions = ["us-east4"], raw) });
    const clusters = ofType(ev, CLUSTER);
    expect(clusters).toHaveLength(8);
    for (const c of clusters) {
      const retiring = c.inputs.location === "us-east4";
      expect(c.protect, c.name).toBe(!retiring);
      expect(c.inputs.deletionProtection, c.name).toBe(!retiring);
      expect(c.inputs.resourceLabels["spive-retiring"], c.name).toBe(retiring ? "true" : undefined);
    }
    expect(runRules(fromRecorded(ev.resources)).violations.filter((v) => v.ruleId === "deletion-protection")).toEqual([]);
  }, 120_000);

  it("the policy pack still refuses an unprotected cluster that is not retiring", async () => {
    const ev = await evaluateStack("prod2");
    const rs = fromRecorded(ev.resources).map((r) => (r.type === CLUSTER && r.name.endsWith("us-east4") ? { ...r, props: { ...r.props, deletionProtection: false } } : r));
    expect(runRules(rs).violations.filter((v) => v.ruleId === "deletion-protection").map((v) => v.name)).toEqual(["spive-prod2-us-east4"]);
  }, 120_000);
});

describe("the zone catalog", () => {
  it("lists the zones of every catalogued region, read from Google's public list on a recorded date", () => {
    expect(Object.keys(ZONE_CATALOG).sort()).toEqual([...REGION_CATALOG].sort());
    for (const [region, zones] of Object.entries(ZONE_CATALOG)) {
      expect(zones.length, region).toBeGreaterThanOrEqual(3);
      for (const z of zones) expect(z).toMatch(new RegExp(`^${region}-[a-z]$`));
    }
    expect(ZONES_READ_ON).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("holds every zone the committed stacks use", () => {
    for (const stack of KNOWN_STACKS) {
      for (const r of loadStackConfig(stack)["spive:layer"].regions) for (const z of r.zones) expect(ZONE_CATALOG[r.name], `${stack} ${z}`).toContain(z);
    }
  });
});

describe("the DNS-endpoint kubeconfig", () => {
  it("points at https://<dns endpoint> and authenticates with gke-gcloud-auth-plugin only", () => {
    const kc = JSON.parse(gkeKubeconfig("c", "gke-abc.europe-west1.gke.goog"));
    expect(kc.clusters).toEqual([{ name: "c", cluster: { server: "https://gke-abc.europe-west1.gke.goog" } }]);
    expect(kc.users[0].user).toEqual({ exec: expect.objectContaining({ command: "gke-gcloud-auth-plugin", apiVersion: "client.authentication.k8s.io/v1beta1" }) });
  });
});
