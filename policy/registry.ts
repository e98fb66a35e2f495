import type { ResourceRule, Rule, StackResource, StackRule } from "./model";
import { GCP_RULES } from "./rules/gcp";
import { GKE_RULES } from "./rules/gke";
import { DEPLOY_RESOURCE_RULES, DEPLOY_STACK_RULES } from "./rules/deploy";
import { K8S_RESOURCE_RULES, K8S_STACK_RULES } from "./rules/kubernetes";
import { NETWORK_RULES } from "./rules/network";

/**
 * The rule registry: every guardrail of the pack, and the offline runner that
 * applies them to a list of resources exactly as the CrossGuard adapter
 * (`policy/policies.ts`) does under the Pulumi CLI.
 */

/** Every rule of the pack, in a stable order (GKE, Google Cloud, Kubernetes, deployability, network). */
export const RULES: readonly Rule[] = [...GKE_RULES, ...GCP_RULES, ...K8S_RESOURCE_RULES, ...K8S_STACK_RULES, ...DEPLOY_RESOURCE_RULES, ...DEPLOY_STACK_RULES, ...NETWORK_RULES];

/** Every resource rule. */
export const RESOURCE_RULES: readonly ResourceRule[] = RULES.filter((r): r is ResourceRule => r.kind === "resource");
/** Every stack rule. */
export const STACK_RULES: readonly StackRule[] = RULES.filter((r): r is StackRule => r.kind === "stack");

/** One violation of one rule by one resource. */
export interface Violation {
  /** The rule's id. */
  readonly ruleId: string;
  /** The control the rule implements. */
  readonly control: string;
  /** The offending resource's URN. */
  readonly urn: string;
  /** Its type token. */
  readonly type: string;
  /** Its logical name. */
  readonly name: string;
  /** A full sentence: the resource, the property, what was expected, what was given. */
  readonly message: string;
}

/** The outcome of running the pack over a stack's resources. */
export interface PolicyRun {
  /** How many rules ran. */
  readonly rulesChecked: number;
  /** How many resources they judged. */
  readonly resourcesChecked: number;
  /** Every violation, in rule order then resource order. */
  readonly violations: Violation[];
}

/** The sentence for a resource rule's finding: `<type> "<name>" > <path>: expected …, got ….` */
export function resourceMessage(type: string, name: string, finding: string): string {
  return `${type} "${name}" > ${finding}`;
}

/** Applies one resource rule to one resource (nothing when the type is not its). */
export function checkResource(rule: ResourceRule, r: StackResource): string[] {
  if (!rule.appliesTo(r.type)) return [];
  return rule.check(r.type, r.props, { urn: r.urn, name: r.name, deleteBeforeReplace: r.deleteBeforeReplace === true, ignoreChanges: r.ignoreChanges ?? [] }).map((m) => resourceMessage(r.type, r.name, m));
}

/** Runs `rules` over `resources`: resource rules on each resource, stack rules on the whole list. */
export function runRules(resources: readonly StackResource[], rules: readonly Rule[] = RULES): PolicyRun {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const violations: Violation[] = [];
  for (const rule of rules) {
    if (rule.kind === "resource") {
      for (const r of resources) {
        for (const message of checkResource(rule, r)) {
          violations.push({ ruleId: rule.id, control: rule.control, urn: r.urn, type: r.type, name: r.name, message });
        }
      }
    } else {
      for (const f of rule.check(resources)) {
        const r = byUrn.get(f.urn);
        violations.push({ ruleId: rule.id, control: rule.control, urn: f.urn, type: r?.type ?? "", name: r?.name ?? "", message: f.message });
      }
    }
  }
  return { rulesChecked: rules.length, resourcesChecked: resources.length, violations };
}

/** A resource as the offline evaluator records it (structurally `plan/recorder.ts`'s RecordedResource). */
export interface RecordedLike {
  /** The URN. */
  readonly urn: string;
  /** The type token. */
  readonly type: string;
  /** The logical name. */
  readonly name: string;
  /** Its inputs. */
  readonly inputs: Record<string, unknown>;
  /** `<provider urn>::<provider id>`, if an explicit provider was given. */
  readonly provider?: string;
  /** False for components. */
  readonly custom: boolean;
  /** True for reads (StackReference). */
  readonly read: boolean;
  /** URNs it depends on. */
  readonly dependsOn?: readonly string[];
  /** Whether `deleteBeforeReplace` is set. */
  readonly deleteBeforeReplace?: boolean;
  /** Properties listed in `ignoreChanges`. */
  readonly ignoreChanges?: readonly string[];
}

/** The URN part of a provider reference (`<urn>::<id>`). */
export function providerUrn(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const parts = ref.split("::");
  return parts.length > 4 ? parts.slice(0, -1).join("::") : ref;
}

/**
 * The resources CrossGuard would judge, from an offline evaluation: every
 * registered custom resource (components and reads are not judged), with its
 * recorded inputs as its properties.
 */
export function fromRecorded(recorded: readonly RecordedLike[]): StackResource[] {
  return recorded
    .filter((r) => r.custom && !r.read)
    .map((r) => ({ urn: r.urn, type: r.type, name: r.name, props: r.inputs, provider: providerUrn(r.provider), dependsOn: r.dependsOn ?? [], deleteBeforeReplace: r.deleteBeforeReplace === true, ignoreChanges: r.ignoreChanges ?? [] }));
}
