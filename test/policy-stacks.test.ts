import { beforeAll, describe, expect, it } from "vitest";
import type { StackResource } from "../policy/model";
import { fromRecorded, RESOURCE_RULES, runRules } from "../policy/registry";
import { DEPLOYMENT, PDB_TYPES } from "../policy/rules/kubernetes";
import { evaluateStack } from "../plan/stack";
import { MUTATIONS, setPath } from "./policy-golden";

/**
 * Every committed stack passes the whole pack offline: each stack is
 * evaluated once on the mock engine (as `pulumi up` runs the program) and
 * every rule runs over what it records.
 */

const STACKS = ["prod0", "prod1", "prod2", "prod3"] as const;
const resources: Record<string, StackResource[]> = {};

beforeAll(async () => {
  for (const stack of STACKS) resources[stack] = fromRecorded((await evaluateStack(stack)).resources);
}, 120_000);

describe("committed stacks pass the policy pack", () => {
  it.each(STACKS)("%s has no violations", (stack) => {
    const run = runRules(resources[stack]!);
    expect(run.resourcesChecked).toBeGreaterThan(10);
    expect(run.violations.map((v) => v.message)).toEqual([]);
  });

  it("every resource rule judges at least one committed resource (no rule passes vacuously)", () => {
    const all = STACKS.flatMap((s) => resources[s]!);
    const idle = RESOURCE_RULES.filter((rule) => rule.id !== "iam-no-service-account-keys" && !all.some((r) => rule.appliesTo(r.type))).map((r) => r.id);
    expect(idle).toEqual([]);
    expect(all.some((r) => r.type === "gcp:serviceaccount/key:Key")).toBe(false);
  });

  it.each(["prod1", "prod2", "prod3"])("%s: the stack rules see Deployments and PodDisruptionBudgets on each cluster", (stack) => {
    const rs = resources[stack]!;
    const deployments = rs.filter((r) => r.type === DEPLOYMENT);
    expect(deployments.length).toBeGreaterThan(0);
    const providers = new Set(deployments.map((d) => d.provider));
    expect(providers.has(undefined)).toBe(false);
    for (const p of providers) expect(rs.some((r) => PDB_TYPES.includes(r.type) && r.provider === p)).toBe(true);
  });

  it("the committed resources are golden too: each single-field flip of a real resource trips exactly its rule", () => {
    const pick = (stack: string, type: string, pred: (r: StackResource) => boolean = () => true): StackResource => {
      const r = resources[stack]!.find((x) => x.type === type && pred(x));
      expect(r, `${stack} has a ${type}`).toBeDefined();
      return r!;
    };
    const real: Record<string, StackResource> = {
      cluster: pick("prod2", "gcp:container/cluster:Cluster"),
      nodePool: pick("prod2", "gcp:container/nodePool:NodePool"),
      spanner: pick("prod0", "gcp:spanner/database:Database"),
      zone: pick("prod2", "gcp:dns/managedZone:ManagedZone", (r) => r.props.visibility === "public"),
      iamMember: pick("prod1", "gcp:projects/iAMMember:IAMMember"),
      deployment: pick("prod1", DEPLOYMENT, (r) => (r.props.spec as { replicas?: number }).replicas !== undefined),
    };
    // Stack rules judge relations, not one resource; the committed clusters
    // have no IP endpoint (DNS endpoint only), so their allowlist rule has
    // nothing to judge there: the golden cluster, which opts in, covers it.
    const resourceRuleIds = new Set(RESOURCE_RULES.map((r) => r.id));
    const resourceMutations = MUTATIONS.filter((m) => m.target in real && resourceRuleIds.has(m.rule) && m.rule !== "gke-authorized-networks");
    expect(resourceMutations.length).toBeGreaterThan(40);
    for (const m of resourceMutations) {
      const r = structuredClone(real[m.target]!);
      setPath(r.props as Record<string, unknown>, m.path, m.value);
      // A flip of a replace-only input of a digest-named resource (the node pool) also
      // trips replacement-safe-names: the name no longer follows its inputs. That rule
      // has its own cases (test/policy-deploy.test.ts); here it is left out.
      const rules = RESOURCE_RULES.filter((rule) => rule.id !== "replacement-safe-names");
      const tripped = [...new Set(runRules([r], rules).violations.map((v) => v.ruleId))];
      expect(tripped, `${m.target} ${r.name}: ${m.path}`).toEqual([m.rule]);
    }
  });
});
