import { UnknownValueError, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, type Props, type Rule, type StackResource } from "./model";
import { checkResource, RULES } from "./registry";

/**
 * The CrossGuard side of the pack: each registry rule wrapped as a
 * `ResourceValidationPolicy` or `StackValidationPolicy`, enforcement
 * "mandatory". This module constructs no `PolicyPack` (that starts a server):
 * only `policy/index.ts` does, so tests can import this one.
 */

/**
 * Copies CrossGuard's unknown-checking proxy into plain data: a value the
 * engine does not know yet (during a preview) becomes {@link UNKNOWN} instead
 * of throwing, so a rule can judge everything that is known.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const read = (obj: Record<string | number, unknown>, key: string | number): unknown => {
    try {
      return toPlain(obj[key]);
    } catch (err) {
      if (err instanceof UnknownValueError) return UNKNOWN;
      throw err;
    }
  };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(value as unknown as Record<number, unknown>, i));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = read(value as Record<string, unknown>, key);
  return out;
}

/** Wraps one registry rule for CrossGuard. */
export function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
  const common = { name: rule.id, description: `${rule.description} (${rule.control})`, enforcementLevel: "mandatory" as const };
  if (rule.kind === "resource") {
    return {
      ...common,
      validateResource: (args, reportViolation) => {
        if (!rule.appliesTo(args.type)) return;
        const r: StackResource = { urn: args.urn, type: args.type, name: args.name, props: toPlain(args.props) as Props, deleteBeforeReplace: args.opts?.deleteBeforeReplace === true, ignoreChanges: args.opts?.ignoreChanges ?? [] };
        for (const message of checkResource(rule, r)) reportViolation(message);
      },
    };
  }
  return {
    ...common,
    validateStack: (args, reportViolation) => {
      // In a preview, the engine hands back *no* properties for a resource
      // whose provider's configuration is not known yet (a Kubernetes provider
      // whose cluster is still to be created: a first deployment, a new
      // region), rather than its inputs (pulumi/sdk go/common/resource/plugin
      // provider_plugin.go, Create with Preview). Such a resource cannot be
      // judged yet: leaving it in would report "no replicas, no disruption
      // budget" for every workload of a new cluster. The resource rules still
      // judge its inputs, and the stack rules judge it at `pulumi up`, once
      // its outputs exist. Found by the rehearsal on the real engine (docs/real-engine.md).
      const resources: StackResource[] = args.resources.filter((r) => !(r.props && typeof r.props === "object" && Object.keys(r.props).length === 0)).map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: toPlain(r.props) as Props,
        provider: r.provider?.urn,
        dependsOn: r.dependencies?.map((d) => d.urn),
        deleteBeforeReplace: r.opts?.deleteBeforeReplace === true,
        ignoreChanges: r.opts?.ignoreChanges ?? [],
      }));
      for (const f of rule.check(resources)) reportViolation(f.message, f.urn);
    },
  };
}

/** Every policy of the pack, one per registry rule, in registry order. */
export const PACK_POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = RULES.map(toPolicy);

/** The pack's name, as `pulumi preview --policy-pack policy` reports it. */
export const PACK_NAME = "spive-guardrails";
