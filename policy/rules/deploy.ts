import { collidingPaths, nameFollowsReplacement, REPLACE_ON, replacementDigest } from "../../plan/replace-on";
import { apisFor, SERVICE_TYPE } from "../../topology/apis";
import { at, isUnknown, show, type ResourceRule, type StackFinding, type StackResource, type StackRule } from "../model";
import { CLUSTER } from "./gke";

/**
 * Deployability guardrails: what the mock engine cannot see but a first
 * `pulumi up` on a fresh project trips over. Every API a resource needs is
 * enabled by the stack and the resource waits for it; no fixed name collides
 * with its own replacement; Binary Authorization has a policy to enforce.
 */

/** The Binary Authorization policy type token. */
export const BINAUTHZ_POLICY = "gcp:binaryauthorization/policy:Policy";

const stringProp = (r: StackResource, key: string): string | undefined => (typeof r.props[key] === "string" ? (r.props[key] as string) : undefined);

/**
 * Every resource's APIs (topology/apis.ts) are enabled by a
 * `gcp.projects.Service` of the stack in the resource's project, with
 * `disableOnDestroy: false`, and the resource depends on it.
 */
export function apiCoverageFindings(resources: readonly StackResource[]): StackFinding[] {
  const out: StackFinding[] = [];
  const services = resources.filter((r) => r.type === SERVICE_TYPE);
  for (const s of services) {
    const v = at(s.props, "disableOnDestroy");
    if (!isUnknown(v) && v !== false) {
      out.push({ urn: s.urn, message: `${SERVICE_TYPE} "${s.name}" > disableOnDestroy: expected false (an API stays on when a stack is destroyed: other stacks and operators rely on it), got ${show(v)}.` });
    }
  }
  for (const r of resources) {
    if (r.type === SERVICE_TYPE) continue;
    const apis = apisFor(r.type);
    if (apis === undefined) {
      if (r.type.startsWith("gcp:")) {
        out.push({ urn: r.urn, message: `${r.type} "${r.name}" > type: expected an entry in topology/apis.ts naming the APIs it needs, got a type the table does not know.` });
      }
      continue;
    }
    const project = stringProp(r, "project");
    for (const api of apis) {
      const enabling = services.filter((s) => s.props.service === api && (project === undefined || isUnknown(s.props.project) || s.props.project === project));
      if (enabling.length === 0) {
        out.push({ urn: r.urn, message: `${r.type} "${r.name}" > API ${api}: expected a ${SERVICE_TYPE} enabling it${project ? ` in project ${project}` : ""}, got none.` });
      } else if (r.dependsOn !== undefined && !enabling.some((s) => r.dependsOn!.includes(s.urn))) {
        out.push({ urn: r.urn, message: `${r.type} "${r.name}" > dependsOn: expected the ${SERVICE_TYPE} enabling ${api} (${enabling[0]!.name}), got ${show(r.dependsOn.length)} dependencies without it.` });
      }
    }
  }
  return out;
}

/** Every resource's APIs are enabled by the stack and come first. */
export const apiCoverage: StackRule = {
  kind: "stack",
  id: "api-coverage",
  description: "Every resource's Google Cloud APIs are enabled by a gcp.projects.Service of the stack (disableOnDestroy false) that it depends on.",
  control: "Spive reliability R7 (a first deployment on a fresh project never waits on an API nobody enabled)",
  types: ["gcp:*", SERVICE_TYPE],
  check: apiCoverageFindings,
};

/** Kubernetes objects with a fixed metadata.name are deleted before they are replaced by the Kubernetes provider itself: only Google Cloud types are judged. */
const judgedByReplacement = (type: string): boolean => type.startsWith("gcp:") && (REPLACE_ON[type]?.length ?? 0) > 0;

/**
 * A resource with a fixed name and a replace-only input that keeps the name
 * (plan/replace-on.ts) would collide with itself under Pulumi's default
 * create-before-replace: it must be auto-named, carry the digest of those
 * inputs in its name, or set deleteBeforeReplace.
 */
export const replacementSafeNames: ResourceRule = {
  kind: "resource",
  id: "replacement-safe-names",
  description: "A fixed-name resource whose replace-only inputs keep its name is auto-named, named after the digest of those inputs, or sets deleteBeforeReplace.",
  control: "Spive reliability R8 (a replacement never collides with the resource it replaces)",
  types: Object.keys(REPLACE_ON).filter(judgedByReplacement),
  appliesTo: judgedByReplacement,
  check: (type, inputs, ctx) => {
    const name = at(inputs, "name");
    if (typeof name !== "string" || ctx.deleteBeforeReplace) return [];
    const ignore = ctx.ignoreChanges ?? [];
    const colliding = collidingPaths(type, inputs, ignore);
    if (colliding.length === 0 || nameFollowsReplacement(name, type, inputs, ignore)) return [];
    return [
      `name: expected no fixed name, a name ending in -${replacementDigest(type, inputs, ignore)} (the digest of ${colliding.join(", ")}), or the deleteBeforeReplace option (a change to ${colliding[0]} replaces it under the same name), got the fixed name ${show(name)}.`,
    ];
  },
};

/** Default admission modes that admit only allow-listed (or attested) images. */
const DENYING_MODES = ["ALWAYS_DENY", "REQUIRE_ATTESTATION"];

/**
 * Every cluster enforces the project's Binary Authorization policy, and that
 * policy exists in the cluster's project, denies by default, blocks (not only
 * audits), and admits Google's system images through the global policy.
 */
export function binauthzFindings(resources: readonly StackResource[]): StackFinding[] {
  const out: StackFinding[] = [];
  const policies = resources.filter((r) => r.type === BINAUTHZ_POLICY);
  for (const p of policies) {
    const name = `${BINAUTHZ_POLICY} "${p.name}" > `;
    const mode = at(p.props, "defaultAdmissionRule.evaluationMode");
    if (!isUnknown(mode) && !DENYING_MODES.includes(mode as string)) {
      out.push({ urn: p.urn, message: `${name}defaultAdmissionRule.evaluationMode: expected ${DENYING_MODES.join(" or ")} (only the allow-listed repositories run), got ${show(mode)}.` });
    }
    const enforcement = at(p.props, "defaultAdmissionRule.enforcementMode");
    if (!isUnknown(enforcement) && enforcement !== "ENFORCED_BLOCK_AND_AUDIT_LOG") {
      out.push({ urn: p.urn, message: `${name}defaultAdmissionRule.enforcementMode: expected "ENFORCED_BLOCK_AND_AUDIT_LOG", got ${show(enforcement)}.` });
    }
    const global = at(p.props, "globalPolicyEvaluationMode");
    if (!isUnknown(global) && global !== "ENABLE") {
      out.push({ urn: p.urn, message: `${name}globalPolicyEvaluationMode: expected "ENABLE" (Google's system images stay admitted), got ${show(global)}.` });
    }
  }
  for (const c of resources.filter((r) => r.type === CLUSTER)) {
    const mode = at(c.props, "binaryAuthorization.evaluationMode");
    if (!isUnknown(mode) && mode !== "PROJECT_SINGLETON_POLICY_ENFORCE") {
      out.push({ urn: c.urn, message: `${CLUSTER} "${c.name}" > binaryAuthorization.evaluationMode: expected "PROJECT_SINGLETON_POLICY_ENFORCE", got ${show(mode)}.` });
    }
    const project = stringProp(c, "project");
    if (!policies.some((p) => project === undefined || isUnknown(p.props.project) || p.props.project === project)) {
      out.push({ urn: c.urn, message: `${CLUSTER} "${c.name}" > Binary Authorization policy: expected a ${BINAUTHZ_POLICY}${project ? ` in project ${project}` : ""} (an enforced cluster without one admits every image), got none.` });
    }
  }
  return out;
}

/** Enforced Binary Authorization with a policy that denies by default. */
export const binauthzPolicy: StackRule = {
  kind: "stack",
  id: "binauthz-policy",
  description: "Every GKE cluster enforces its project's Binary Authorization policy, which the stack declares: deny by default, blocking, Google's system images admitted.",
  control: "CIS GKE Benchmark 1.5.0 5.10.5 (Binary Authorization), 5.1.4 (approved registries only)",
  types: [CLUSTER, BINAUTHZ_POLICY],
  check: binauthzFindings,
};

/** The deployability resource rules. */
export const DEPLOY_RESOURCE_RULES: readonly ResourceRule[] = [replacementSafeNames];
/** The deployability stack rules. */
export const DEPLOY_STACK_RULES: readonly StackRule[] = [apiCoverage, binauthzPolicy];
