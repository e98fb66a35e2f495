import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { unknownCheckingProxy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type StackResource } from "../policy/model";
import { PACK_NAME, PACK_POLICIES, toPlain, toPolicy } from "../policy/policies";
import { fromRecorded, providerUrn, RESOURCE_RULES, RULES, runRules, STACK_RULES } from "../policy/registry";
import { selectorMatches } from "../policy/rules/kubernetes";
import { goldenStack, MUTATIONS, mutatedStack, type Mutation } from "./policy-golden";

const ruleIdsReporting = (resources: readonly StackResource[]): string[] => [...new Set(runRules(resources).violations.map((v) => v.ruleId))].sort();

describe("the rule registry", () => {
  it("has unique kebab-case ids, a description and a cited control for every rule", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.description).toMatch(/\.$/);
      expect(r.control).toMatch(/^(CIS GKE Benchmark 1\.5\.0 \d+\.\d+\.\d+|CIS GCP Foundations Benchmark 2\.0\.0 \d|Kubernetes Pod Security Standards|Spive reliability R\d|Spive deployability D\d)/);
    }
  });

  it("covers every control the issue names", () => {
    const cis = RULES.map((r) => r.control).join(" ");
    for (const n of ["5.6.5", "5.6.4", "5.6.3", "5.6.2", "5.6.7", "5.2.2", "5.4.2", "5.2.1", "5.5.1", "5.5.2", "5.5.3", "5.5.4", "5.5.5", "5.5.6", "5.5.7", "5.7.1", "5.8.1", "5.8.3", "5.10.2"]) {
      expect(cis).toContain(`1.5.0 ${n}`);
    }
    expect(RULES.map((r) => r.id)).toEqual(
      expect.arrayContaining(["deletion-protection", "dns-dnssec", "iam-no-primitive-roles", "iam-no-service-account-keys", "firewall-no-internet-admin-ports", "k8s-pod-security-restricted", "k8s-resources", "k8s-probes", "k8s-pod-disruption-budget", "k8s-zone-spread", "k8s-min-replicas"]),
    );
  });

  it("the golden stack passes every rule", () => {
    expect(runRules(mutatedStack([])).violations).toEqual([]);
  });
});

describe("mutation: flipping one guarded field trips exactly its rule", () => {
  it("every rule has at least one mutation", () => {
    expect(new Set(MUTATIONS.map((m) => m.rule))).toEqual(new Set(RULES.map((r) => r.id)));
  });

  it.each(MUTATIONS.map((m) => [`${m.rule}: ${m.target} ${m.path} = ${JSON.stringify(m.value) ?? "unset"}`, m] as const))("%s", (_label, m: Mutation) => {
    const run = runRules(mutatedStack([m]));
    expect([...new Set(run.violations.map((v) => v.ruleId))]).toEqual([m.rule]);
    for (const v of run.violations) {
      expect(v.message).toMatch(/expected .+, got .+\.$/);
      expect(v.control).toBe(RULES.find((r) => r.id === m.rule)!.control);
    }
  });

  it("any set of flips trips exactly the union of their rules", () => {
    fc.assert(
      fc.property(fc.subarray([...MUTATIONS], { minLength: 0, maxLength: 8 }), (ms) => {
        expect(ruleIdsReporting(mutatedStack(ms))).toEqual([...new Set(ms.map((m) => m.rule))].sort());
      }),
      { numRuns: 150 },
    );
  });
});

describe("each rule: a violating and a passing resource", () => {
  const g = goldenStack();
  const one = (r: StackResource) => runRules([r]).violations;
  const covered = (r: StackResource) => runRules([r, g.webPdb!]).violations;
  const withProps = (r: StackResource, props: Record<string, unknown>): StackResource => ({ ...r, props: { ...r.props, ...props } });

  it.each([
    ["gke-private-nodes", withProps(g.cluster!, { privateClusterConfig: { enablePrivateNodes: false, enablePrivateEndpoint: true } }), g.cluster!],
    ["gke-network-policy", withProps(g.cluster!, { datapathProvider: undefined }), withProps(g.cluster!, { datapathProvider: undefined, networkPolicy: { enabled: true } })],
    ["gke-vpc-native", withProps(g.cluster!, { networkingMode: "ROUTES" }), withProps(g.cluster!, { networkingMode: undefined })],
    ["gke-no-default-service-account", withProps(g.cluster!, { removeDefaultNodePool: false, nodeConfig: undefined }), withProps(g.cluster!, { removeDefaultNodePool: true, nodeConfig: undefined })],
    ["gke-logging-monitoring", withProps(g.cluster!, { monitoringService: "none" }), withProps(g.cluster!, { monitoringService: "monitoring.googleapis.com/kubernetes" })],
    ["deletion-protection", withProps(g.bigtable!, { deletionProtection: false }), withProps(g.bigtable!, { deletionProtection: undefined })],
    ["dns-dnssec", withProps(g.zone!, { visibility: undefined, dnssecConfig: undefined }), g.privateZone!],
    ["iam-no-primitive-roles", withProps(g.iamMember!, { role: "roles/viewer" }), withProps(g.iamMember!, { role: "roles/container.viewer" })],
    ["iam-no-primitive-roles", { ...g.iamMember!, type: "gcp:bigtable/instanceIamBinding:InstanceIamBinding", props: { role: "roles/owner" } }, { ...g.iamMember!, type: "gcp:bigtable/instanceIamBinding:InstanceIamBinding", props: { role: "roles/bigtable.user" } }],
    ["firewall-no-internet-admin-ports", withProps(g.publicFirewall!, { sourceRanges: ["::/0"], allows: [{ protocol: "udp", ports: ["3389"] }] }), withProps(g.publicFirewall!, { direction: "EGRESS", allows: [{ protocol: "all" }] })],
    ["firewall-no-internet-admin-ports", withProps(g.publicFirewall!, { sourceRanges: undefined, allows: [{ protocol: "tcp", ports: ["22"] }] }), withProps(g.publicFirewall!, { sourceRanges: undefined, sourceTags: ["runner"], allows: [{ protocol: "tcp", ports: ["22"] }] })],
    ["firewall-no-internet-admin-ports", withProps(g.publicFirewall!, { allows: [{ protocol: "tcp", ports: ["8000-9000", "20-23"] }] }), withProps(g.publicFirewall!, { allows: [{ protocol: "icmp" }, { protocol: "tcp", ports: ["80", "443"] }] })],
  ] as const)("%s", (rule, bad, good) => {
    expect(one(bad).map((v) => v.ruleId)).toContain(rule);
    expect(one(good).filter((v) => v.ruleId === rule)).toEqual([]);
  });

  it("names the resource, the property, the expectation and the given value", () => {
    const [v] = one(withProps(g.cluster!, { enableLegacyAbac: true }));
    expect(v!.message).toBe('gcp:container/cluster:Cluster "gke-europe-west1" > enableLegacyAbac: expected unset or false, got true.');
    const [k] = one({ urn: "urn:pulumi:prod1::p::gcp:serviceaccount/key:Key::k", type: "gcp:serviceaccount/key:Key", name: "k", props: { serviceAccountId: "sa" } });
    expect(k!.message).toMatch(/^gcp:serviceaccount\/key:Key "k" > serviceAccountId: expected no user-managed key for any service account, got a key for "sa"\.$/);
  });

  it("pod security reads the pod-level context when the container sets none, and checks init containers", () => {
    const d = structuredClone(g.deployment!);
    const spec = (d.props.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    const c = (spec.containers as Record<string, unknown>[])[0]!;
    delete (c.securityContext as Record<string, unknown>).runAsNonRoot;
    expect(covered(d)).toEqual([]);
    (spec.securityContext as Record<string, unknown>).runAsNonRoot = false;
    expect(covered(d).map((v) => v.message)).toEqual([
      expect.stringContaining("containers.0 (spive).securityContext.runAsNonRoot (or spec.template.spec.securityContext.runAsNonRoot): expected true, got false."),
    ]);
    const e = structuredClone(g.deployment!);
    const espec = (e.props.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    espec.initContainers = [{ name: "init", image: "x", resources: { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } }, securityContext: { capabilities: { drop: ["ALL"] } } }];
    expect(covered(e).map((v) => v.ruleId)).toEqual(["k8s-pod-security-restricted"]);
    expect(covered(e)[0]!.message).toContain("initContainers.0 (init).securityContext.allowPrivilegeEscalation: expected false, got unset.");
  });

  it("zone spread accepts a zone nodeSelector (a per-zone placement) instead of a spread constraint; DaemonSets are exempt", () => {
    const d = structuredClone(g.deployment!);
    const spec = (d.props.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    delete spec.topologySpreadConstraints;
    expect(covered(d).map((v) => v.ruleId)).toEqual(["k8s-zone-spread"]);
    spec.nodeSelector = { "topology.kubernetes.io/zone": "europe-west1-b" };
    expect(covered(d)).toEqual([]);
    const ds = { ...structuredClone(g.deployment!), type: "kubernetes:apps/v1:DaemonSet" };
    delete (ds.props.spec as { template: { spec: Record<string, unknown> } }).template.spec.topologySpreadConstraints;
    expect(one(ds)).toEqual([]);
  });

  it("replicas are required on prod1 and above only, and read from the HPA when one owns the count", () => {
    const d = structuredClone(g.deployment!);
    (d.props.spec as Record<string, unknown>).replicas = 1;
    const pdb = g.webPdb!;
    expect(runRules([d, pdb]).violations.map((v) => v.message)).toEqual([
      'Deployment "web" on stack prod1 (prod-1): spec.replicas: expected at least 2 replicas, got 1.',
    ]);
    const onProd0 = { ...d, urn: d.urn.replace("urn:pulumi:prod1::", "urn:pulumi:prod0::") };
    const pdb0 = { ...pdb, urn: pdb.urn.replace("urn:pulumi:prod1::", "urn:pulumi:prod0::") };
    expect(runRules([onProd0, pdb0]).violations).toEqual([]);
    const onDev = { ...d, urn: d.urn.replace("urn:pulumi:prod1::", "urn:pulumi:dev::") };
    expect(runRules([onDev, pdb]).violations).toEqual([]);
    const hpaLow = { ...g.hpa!, props: { ...g.hpa!.props, spec: { scaleTargetRef: { kind: "Deployment", name: "api" } } } };
    expect(runRules([g.scaled!, g.scaledPdb!, hpaLow]).violations.map((v) => v.message)).toEqual([
      'Deployment "api" on stack prod1 (prod-1): HorizontalPodAutoscaler "api" spec.minReplicas: expected at least 2 replicas, got 1.',
    ]);
  });

  it("a Deployment without any PodDisruptionBudget is reported with its labels", () => {
    const v = runRules([g.deployment!]).violations;
    expect(v.map((x) => x.ruleId)).toEqual(["k8s-pod-disruption-budget"]);
    expect(v[0]!.message).toBe(
      'Deployment "web" in namespace "spive": expected a PodDisruptionBudget in the same namespace on the same cluster whose selector matches its pod labels {"app":"web","placement":"web","zone":"europe-west1-b"}, got none.',
    );
    expect(v[0]!.urn).toBe(g.deployment!.urn);
  });
});

describe("label selectors", () => {
  it.each([
    [{}, { app: "a" }, true],
    [undefined, { app: "a" }, false],
    [{ matchLabels: { app: "a" } }, { app: "a", x: "y" }, true],
    [{ matchLabels: { app: "b" } }, { app: "a" }, false],
    [{ matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }] }, { app: "a" }, true],
    [{ matchExpressions: [{ key: "app", operator: "NotIn", values: ["a"] }] }, { app: "a" }, false],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, { app: "a" }, false],
    [{ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, { app: "a" }, true],
    [{ matchLabels: { app: UNKNOWN } }, { app: "a" }, true],
  ])("selector %j on labels %j matches: %s", (selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe("the CrossGuard adapter", () => {
  const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

  it("turns values unknown during a preview into UNKNOWN instead of throwing, and does not judge them", () => {
    const props = unknownCheckingProxy({ a: { b: UNKNOWN_STRING, c: [1, UNKNOWN_STRING] }, d: "x" });
    expect(() => (props as { a: { b: unknown } }).a.b).toThrow();
    expect(toPlain(props)).toEqual({ a: { b: UNKNOWN, c: [1, UNKNOWN] }, d: "x" });
    const cluster = goldenStack().cluster!;
    const policy = toPolicy(RULES.find((r) => r.id === "gke-private-nodes")!);
    const reported: string[] = [];
    const validate = (p: Record<string, unknown>) =>
      (policy as { validateResource: (a: unknown, r: (m: string) => void) => void }).validateResource(
        { type: cluster.type, urn: cluster.urn, name: cluster.name, props: unknownCheckingProxy(p) },
        (m) => reported.push(m),
      );
    validate({ ...cluster.props, privateClusterConfig: { enablePrivateNodes: UNKNOWN_STRING } });
    expect(reported).toEqual([]);
    validate({ ...cluster.props, privateClusterConfig: { enablePrivateNodes: false } });
    expect(reported).toEqual(['gcp:container/cluster:Cluster "gke-europe-west1" > privateClusterConfig.enablePrivateNodes: expected true (private nodes), got false.']);
  });

  it("stack policies see outputs with their provider URN and report against the offending resource", () => {
    const g = goldenStack();
    const policy = PACK_POLICIES.find((p) => p.name === "k8s-pod-disruption-budget") as { validateStack: (a: unknown, r: (m: string, urn?: string) => void) => void };
    const asPolicyResource = (r: StackResource) => ({ type: r.type, urn: r.urn, name: r.name, props: unknownCheckingProxy(structuredClone(r.props)), provider: r.provider ? { urn: r.provider } : undefined });
    const reports: [string, string | undefined][] = [];
    policy.validateStack({ resources: [g.deployment!, g.webPdb!].map(asPolicyResource) }, (m, urn) => reports.push([m, urn]));
    expect(reports).toEqual([]);
    policy.validateStack({ resources: [g.deployment!, { ...g.webPdb!, provider: "urn:other" }].map(asPolicyResource) }, (m, urn) => reports.push([m, urn]));
    expect(reports).toEqual([[expect.stringContaining('Deployment "web"'), g.deployment!.urn]]);
  });

  it("offline, components and reads are not judged and provider references lose their id", () => {
    expect(providerUrn("urn:pulumi:prod1::spive-infra::pulumi:providers:kubernetes::gke::gke-id")).toBe("urn:pulumi:prod1::spive-infra::pulumi:providers:kubernetes::gke");
    const base = { dependsOn: [], protect: false, ignoreChanges: [], inputs: {} };
    const resources = fromRecorded([
      { ...base, urn: "u1", type: "spive:layer:GkeRegion", name: "c", custom: false, read: false },
      { ...base, urn: "u2", type: "pulumi:pulumi:StackReference", name: "s", custom: true, read: true },
      { ...base, urn: "u3", type: "gcp:serviceaccount/key:Key", name: "k", custom: true, read: false, provider: "urn:pulumi:a::b::pulumi:providers:gcp::p::id" },
    ]);
    expect(resources).toEqual([{ urn: "u3", type: "gcp:serviceaccount/key:Key", name: "k", props: {}, provider: "urn:pulumi:a::b::pulumi:providers:gcp::p", dependsOn: [], deleteBeforeReplace: false, ignoreChanges: [] }]);
  });
});

describe("the pack under the Pulumi CLI", () => {
  const dir = path.join(__dirname, "..", "policy");

  it("has one mandatory policy per registry rule, of the matching kind and name", () => {
    expect(PACK_POLICIES.map((p) => p.name)).toEqual(RULES.map((r) => r.id));
    for (const p of PACK_POLICIES) expect(p.enforcementLevel).toBe("mandatory");
    expect(PACK_POLICIES.filter((p) => "validateStack" in p).map((p) => p.name)).toEqual(STACK_RULES.map((r) => r.id));
    expect(PACK_POLICIES.filter((p) => "validateResource" in p).map((p) => p.name)).toEqual(RESOURCE_RULES.map((r) => r.id));
  });

  it("constructs the PolicyPack only in its entry file, with exactly the registry's policies, mandatory", () => {
    const entry = fs.readFileSync(path.join(dir, "index.ts"), "utf8");
    expect(entry.match(/new PolicyPack\(/g)).toHaveLength(1);
    expect(entry).toMatch(/import \{ PACK_NAME, PACK_POLICIES \} from "\.\/policies";/);
    expect(entry).toMatch(/new PolicyPack\(PACK_NAME, \{[^}]*enforcementLevel: "mandatory",\s*policies: PACK_POLICIES,\s*\}\);/s);
    const others = fs
      .readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && f !== "index.ts")
      .filter((f) => /new PolicyPack\b/.test(fs.readFileSync(path.join(dir, f), "utf8")));
    expect(others).toEqual([]);
  });

  it("docs/policy.md lists every rule with its kind", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "policy.md"), "utf8");
    for (const r of RULES) expect(doc).toContain(`| \`${r.id}\` | ${r.kind} |`);
  });

  it("is a Node.js pack whose package.json has the version PolicyPack requires and whose dependencies resolve from the pack folder", () => {
    expect(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version?: string; main?: string };
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.main).toBe("index.ts");
    expect(PACK_NAME).toBe("spive-guardrails");
    for (const mod of ["@pulumi/policy", "@pulumi/pulumi/cmd/run-policy-pack", "typescript"]) {
      expect(() => require.resolve(mod, { paths: [dir] })).not.toThrow();
    }
  });
});
