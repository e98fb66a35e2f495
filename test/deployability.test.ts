import { beforeAll, describe, expect, it } from "vitest";
import { replacementDigest, REPLACE_ON } from "../plan/replace-on";
import type { RecordedResource } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import type { StackResource } from "../policy/model";
import { fromRecorded, runRules } from "../policy/registry";
import { apiCoverage, binauthzPolicy, replacementSafeNames } from "../policy/rules/deploy";
import { apisFor, SERVICE_TYPE } from "../topology/apis";

/**
 * Issue 12 on the mock engine: each committed stack enables the APIs its
 * resources need and every resource waits for them; no fixed name collides
 * with its replacement; Binary Authorization has a deny-by-default policy;
 * the security settings do what they say; prod-0 updates one zone at a time.
 * Each new policy rule has a violating and a passing case on real resources.
 */

const STACKS = ["prod0", "prod1", "prod2", "prod3"] as const;
const PROJECT: Record<string, string> = { prod0: "spive-prod0", prod1: "spive-prod1", prod2: "spive-prod2", prod3: "spive-prod3" };
const rec: Record<string, RecordedResource[]> = {};
const res: Record<string, StackResource[]> = {};

beforeAll(async () => {
  for (const s of STACKS) {
    rec[s] = (await evaluateStack(s)).resources;
    res[s] = fromRecorded(rec[s]!);
  }
}, 180_000);

const ofType = (stack: string, type: string): RecordedResource[] => rec[stack]!.filter((r) => r.type === type);
const findings = (rule: { check: (r: readonly StackResource[]) => { message: string }[] }, rs: readonly StackResource[]): string[] => rule.check(rs).map((f) => f.message);

describe("APIs enabled by the program (item 4)", () => {
  it.each(STACKS)("%s: every Google Cloud type is in the table, and every resource in the project depends on a Service for each API it needs", (stack) => {
    const services = ofType(stack, SERVICE_TYPE);
    expect(services.length).toBeGreaterThan(4);
    const byApi = new Map(services.map((s) => [s.inputs.service as string, s]));
    let judged = 0;
    for (const r of rec[stack]!.filter((x) => x.custom && !x.read && x.type !== SERVICE_TYPE)) {
      const apis = apisFor(r.type);
      if (r.type.startsWith("gcp:")) expect(apis, r.type).toBeDefined();
      if (!apis || apis.length === 0 || (typeof r.inputs.project === "string" && r.inputs.project !== PROJECT[stack])) continue;
      judged++;
      for (const api of apis) {
        const service = byApi.get(api);
        expect(service, `${r.name} needs ${api}`).toBeDefined();
        expect(r.dependsOn, `${r.name} waits for ${api}`).toContain(service!.urn);
      }
    }
    expect(judged).toBeGreaterThan(10);
  });

  it.each(STACKS)("%s: every API stays enabled when the stack is destroyed, in the layer's own project", (stack) => {
    for (const s of ofType(stack, SERVICE_TYPE)) {
      expect(s.inputs.disableOnDestroy).toBe(false);
      expect(s.inputs.project).toBe(PROJECT[stack]);
    }
  });

  it("prod0 enables IAP (the deployer's tunnel) and the Spanner API (the event store), not Bigtable's; the GKE layers enable container and binary authorization", () => {
    const apis = (stack: string) => ofType(stack, SERVICE_TYPE).map((s) => s.inputs.service as string);
    expect(apis("prod0")).toEqual(expect.arrayContaining(["iap.googleapis.com", "spanner.googleapis.com", "compute.googleapis.com"]));
    expect(apis("prod0").filter((a) => a.startsWith("bigtable"))).toEqual([]);
    for (const s of ["prod1", "prod2", "prod3"]) {
      expect(apis(s)).toEqual(expect.arrayContaining(["container.googleapis.com", "binaryauthorization.googleapis.com", "iamcredentials.googleapis.com", "dns.googleapis.com"]));
    }
  });

  it("api-coverage: passes on prod2, fails when a Service is missing, when a resource does not wait for it, or when it disables on destroy", () => {
    const rs = res["prod2"]!;
    expect(findings(apiCoverage, rs)).toEqual([]);
    const noContainer = rs.filter((r) => !(r.type === SERVICE_TYPE && r.props.service === "container.googleapis.com"));
    expect(findings(apiCoverage, noContainer).length).toBe(16);
    expect(findings(apiCoverage, noContainer)[0]).toMatch(/API container\.googleapis\.com: expected a gcp:projects\/service:Service enabling it in project spive-prod2, got none\.$/);
    const pool = rs.find((r) => r.type === "gcp:container/nodePool:NodePool")!;
    const detached = rs.map((r) => (r === pool ? { ...r, dependsOn: r.dependsOn!.filter((u) => !u.includes("projects/service:Service")) } : r));
    expect(findings(apiCoverage, detached)).toEqual([expect.stringMatching(/NodePool.*> dependsOn: expected the .*container\.googleapis\.com/)]);
    const disabling = rs.map((r) => (r.type === SERVICE_TYPE && r.props.service === "dns.googleapis.com" ? { ...r, props: { ...r.props, disableOnDestroy: true } } : r));
    expect(findings(apiCoverage, disabling)).toEqual([expect.stringMatching(/disableOnDestroy: expected false/)]);
    const unknownType = [...rs, { urn: "urn:x", type: "gcp:newthing/widget:Widget", name: "w", props: {} }];
    expect(findings(apiCoverage, unknownType)).toEqual([expect.stringMatching(/expected an entry in topology\/apis\.ts/)]);
  });
});

describe("replacement-safe resources (item 8)", () => {
  it.each(STACKS)("%s: no resource has a fixed name that would collide with its replacement", (stack) => {
    expect(runRules(res[stack]!, [replacementSafeNames]).violations.map((v) => v.message)).toEqual([]);
  });

  it("every committed type has an entry in REPLACE_ON", () => {
    const types = new Set(STACKS.flatMap((s) => rec[s]!.filter((r) => r.custom).map((r) => r.type)));
    expect([...types].filter((t) => !(t in REPLACE_ON))).toEqual([]);
  });

  it("the managed certificate and the backend service are auto-named; node pools are named after their replace-only inputs", () => {
    for (const s of ["prod2", "prod3"]) {
      expect(ofType(s, "gcp:compute/managedSslCertificate:ManagedSslCertificate")[0]!.inputs.name).toBeUndefined();
      expect(ofType(s, "gcp:compute/backendService:BackendService")[0]!.inputs.name).toBeUndefined();
    }
    for (const s of ["prod1", "prod2", "prod3"]) {
      for (const pool of ofType(s, "gcp:container/nodePool:NodePool")) {
        expect(pool.inputs.name).toBe(`pool-${replacementDigest(pool.type, pool.inputs, pool.ignoreChanges)}`);
        expect((pool.inputs.name as string).length).toBeLessThanOrEqual(40);
      }
    }
  });

  it("a node pool's name changes with a replace-only input, not with an in-place one", () => {
    const pool = ofType("prod2", "gcp:container/nodePool:NodePool")[0]!;
    const digest = (inputs: Record<string, unknown>) => replacementDigest(pool.type, inputs, pool.ignoreChanges);
    const nodeConfig = pool.inputs.nodeConfig as Record<string, unknown>;
    expect(digest({ ...pool.inputs, nodeConfig: { ...nodeConfig, machineType: "e2-standard-8", diskSizeGb: 200 } })).toBe(digest(pool.inputs));
    expect(digest({ ...pool.inputs, nodeConfig: { ...nodeConfig, serviceAccount: "other@spive-prod2.iam.gserviceaccount.com" } })).not.toBe(digest(pool.inputs));
    expect(digest({ ...pool.inputs, nodeConfig: { ...nodeConfig, metadata: { a: "b" } } })).not.toBe(digest(pool.inputs));
    // The autoscaled pool ignores initialNodeCount: a new minimum is not a replacement.
    expect(digest({ ...pool.inputs, initialNodeCount: 7 })).toBe(digest(pool.inputs));
  });

  it("replacement-safe-names: a fixed-name certificate fails, deleteBeforeReplace or no name passes, a stale digest name fails", () => {
    const cert = res["prod2"]!.find((r) => r.type === "gcp:compute/managedSslCertificate:ManagedSslCertificate")!;
    const fixed = { ...cert, props: { ...cert.props, name: "spive-prod2-public-cert" } };
    expect(runRules([fixed], [replacementSafeNames]).violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/> name: expected no fixed name, a name ending in -[0-9a-f]{8} \(the digest of managed, managed\.domains\), or the deleteBeforeReplace option .*got the fixed name "spive-prod2-public-cert"\.$/),
    ]);
    expect(runRules([{ ...fixed, deleteBeforeReplace: true }], [replacementSafeNames]).violations).toEqual([]);
    expect(runRules([cert], [replacementSafeNames]).violations).toEqual([]);
    const pool = res["prod2"]!.find((r) => r.type === "gcp:container/nodePool:NodePool")!;
    const changed = { ...pool, props: { ...pool.props, nodeConfig: { ...(pool.props.nodeConfig as object), oauthScopes: ["https://www.googleapis.com/auth/devstorage.read_only"] } } };
    expect(runRules([changed], [replacementSafeNames]).violations).toHaveLength(1);
  });

  it("the clusters, networks and zones that cannot be auto-named delete before they are replaced", () => {
    const dbr = (s: string, type: string) => ofType(s, type).every((r) => r.deleteBeforeReplace === true);
    expect(dbr("prod1", "gcp:container/cluster:Cluster")).toBe(true);
    expect(dbr("prod1", "gcp:compute/network:Network")).toBe(true);
    expect(dbr("prod1", "gcp:compute/subnetwork:Subnetwork")).toBe(true);
    expect(dbr("prod2", "gcp:dns/managedZone:ManagedZone")).toBe(true);
    expect(ofType("prod0", "gcp:spanner/instance:Instance")).toHaveLength(1);
    expect(dbr("prod0", "gcp:spanner/instance:Instance")).toBe(true);
    expect(dbr("prod0", "gcp:spanner/database:Database")).toBe(true);
  });
});

describe("security settings (item 10)", () => {
  it.each(["prod1", "prod2", "prod3"])("%s: one Binary Authorization policy that denies by default and admits the Spive repository and Google's system images", (stack) => {
    const [policy, ...more] = ofType(stack, "gcp:binaryauthorization/policy:Policy");
    expect(more).toEqual([]);
    expect(policy!.inputs).toMatchObject({
      project: PROJECT[stack],
      globalPolicyEvaluationMode: "ENABLE",
      defaultAdmissionRule: { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" },
      admissionWhitelistPatterns: [{ namePattern: "europe-docker.pkg.dev/spive-artifacts/spive/**" }],
    });
    for (const c of ofType(stack, "gcp:container/cluster:Cluster")) {
      expect(c.inputs.binaryAuthorization).toEqual({ evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" });
      expect(c.inputs.securityPostureConfig).toEqual({ mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" });
    }
    // The first wave of Deployments waits for the policy.
    const first = ofType(stack, "kubernetes:apps/v1:Deployment").filter((d) => (d.inputs.metadata as { labels: Record<string, string> }).labels["spive.dev/wave"] === "0");
    expect(first.length).toBeGreaterThan(0);
    for (const d of first) expect(d.dependsOn).toContain(policy!.urn);
  });

  it("binauthz-policy: passes on prod1, fails without the policy, with an allow-all default, or on a cluster that does not enforce", () => {
    const rs = res["prod1"]!;
    expect(findings(binauthzPolicy, rs)).toEqual([]);
    const without = rs.filter((r) => r.type !== "gcp:binaryauthorization/policy:Policy");
    expect(findings(binauthzPolicy, without)).toHaveLength(42);
    expect(findings(binauthzPolicy, without)[0]).toMatch(/Binary Authorization policy: expected a gcp:binaryauthorization\/policy:Policy in project spive-prod1 .*got none\.$/);
    const allowAll = rs.map((r) => (r.type === "gcp:binaryauthorization/policy:Policy" ? { ...r, props: { ...r.props, defaultAdmissionRule: { evaluationMode: "ALWAYS_ALLOW", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" } } } : r));
    expect(findings(binauthzPolicy, allowAll)).toEqual([expect.stringMatching(/evaluationMode: expected ALWAYS_DENY or REQUIRE_ATTESTATION .*got "ALWAYS_ALLOW"\.$/)]);
    const c0 = rs.find((r) => r.type === "gcp:container/cluster:Cluster")!;
    const off = rs.map((r) => (r === c0 ? { ...r, props: { ...r.props, binaryAuthorization: { evaluationMode: "DISABLED" } } } : r));
    expect(findings(binauthzPolicy, off)).toEqual([expect.stringMatching(/binaryAuthorization\.evaluationMode: expected "PROJECT_SINGLETON_POLICY_ENFORCE", got "DISABLED"\.$/)]);
  });

  it.each(["prod1", "prod2", "prod3"])("%s: the node account holds roles/container.defaultNodeServiceAccount", (stack) => {
    const nodes = ofType(stack, "gcp:projects/iAMMember:IAMMember").filter((m) => String(m.inputs.member).includes("-nodes@"));
    expect(nodes.map((m) => m.inputs.role)).toEqual(["roles/container.defaultNodeServiceAccount"]);
  });

  it.each(["prod1", "prod2", "prod3"])("%s: every Deployment depends on the ServiceAccount its pods run as, on the same cluster", (stack) => {
    const ksas = ofType(stack, "kubernetes:core/v1:ServiceAccount");
    const deployments = ofType(stack, "kubernetes:apps/v1:Deployment");
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const ksa = ksas.find((k) => k.provider === d.provider);
      expect(ksa, d.name).toBeDefined();
      expect((d.inputs.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName).toBe((ksa!.inputs.metadata as { name: string }).name);
      expect(d.dependsOn, d.name).toContain(ksa!.urn);
    }
  });

  it("discoverable layers put a Cloud Armor rate limit in front of their public backend; prod1 has no public endpoint", () => {
    for (const s of ["prod2", "prod3"]) {
      const [armor] = ofType(s, "gcp:compute/securityPolicy:SecurityPolicy");
      const [backend] = ofType(s, "gcp:compute/backendService:BackendService");
      expect(backend!.dependsOn).toContain(armor!.urn);
      expect(String(backend!.inputs.securityPolicy)).toContain(armor!.inputs.name as string);
      const rules = armor!.inputs.rules as { action: string; priority: number; rateLimitOptions?: { enforceOnKey: string; exceedAction: string; rateLimitThreshold: { count: number; intervalSec: number } } }[];
      const throttle = rules.find((r) => r.action === "throttle")!;
      expect(throttle.rateLimitOptions).toMatchObject({ enforceOnKey: "IP", exceedAction: "deny(429)", rateLimitThreshold: { count: 600, intervalSec: 60 } });
      expect(rules.find((r) => r.priority === 2147483647)!.action).toBe("allow");
    }
    expect(ofType("prod1", "gcp:compute/securityPolicy:SecurityPolicy")).toEqual([]);
  });
});

describe("prod-0 runner hosts, one zone at a time (item 9)", () => {
  it("the second zone's group and hosts wait for the first zone's group and hosts; updates wait until every host runs the new version", () => {
    const migs = ofType("prod0", "gcp:compute/instanceGroupManager:InstanceGroupManager").sort((a, b) => String(a.inputs.zone).localeCompare(String(b.inputs.zone)));
    expect(migs.map((m) => m.inputs.zone)).toEqual(["europe-west1-b", "europe-west1-c"]);
    const [first, second] = migs as [RecordedResource, RecordedResource];
    const pics = ofType("prod0", "gcp:compute/perInstanceConfig:PerInstanceConfig");
    const firstPics = pics.filter((p) => p.inputs.zone === first.inputs.zone);
    const secondPics = pics.filter((p) => p.inputs.zone === second.inputs.zone);
    expect(first.dependsOn.some((u) => u.includes("InstanceGroupManager") || u.includes("PerInstanceConfig"))).toBe(false);
    expect(second.dependsOn).toEqual(expect.arrayContaining([first.urn, ...firstPics.map((p) => p.urn)]));
    for (const p of secondPics) expect(p.dependsOn).toContain(first.urn);
    for (const m of migs) expect(m.inputs).toMatchObject({ waitForInstances: true, waitForInstancesStatus: "UPDATED" });
  });

  it("the runner unit paces restarts, gives up after a burst, and removes a stale container before starting", () => {
    const template = ofType("prod0", "gcp:compute/instanceTemplate:InstanceTemplate")[0]!;
    const unit = String((template.inputs.metadata as Record<string, string>)["user-data"]);
    const lines = unit.split("\n").map((l) => l.trim());
    const unitSection = lines.slice(lines.indexOf("[Unit]"), lines.indexOf("[Service]"));
    const serviceSection = lines.slice(lines.indexOf("[Service]"));
    expect(unitSection).toEqual(expect.arrayContaining(["StartLimitIntervalSec=300", "StartLimitBurst=5"]));
    expect(serviceSection).toEqual(expect.arrayContaining(["Restart=always", "RestartSec=5", "ExecStartPre=-/usr/bin/docker rm --force spive-basic-runner"]));
    const cleanup = serviceSection.indexOf("ExecStartPre=-/usr/bin/docker rm --force spive-basic-runner");
    expect(cleanup).toBeLessThan(serviceSection.findIndex((l) => l.startsWith("ExecStart=")));
  });
});
