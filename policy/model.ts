/**
 * The shapes every guardrail shares. A rule is a plain function over plain
 * data — `(type, inputs)` for a resource rule, the stack's resource list for a
 * stack rule — so the same code runs under the Pulumi CLI (`--policy-pack
 * policy`, through `policy/policies.ts`) and offline over the resources the
 * mock engine records (`spive policy <stack>`, the tests). Nothing here
 * imports Pulumi.
 */

/** Marks a value the engine does not know yet (an output of a resource not created, during a preview). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** A resource's properties as plain data: unknown values are {@link UNKNOWN}. */
export type Props = Readonly<Record<string, unknown>>;

/** Where a resource rule is looking: enough to name the resource in a message. */
export interface ResourceContext {
  /** The resource's URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
  readonly urn: string;
  /** The resource's logical name. */
  readonly name: string;
  /** Whether the `deleteBeforeReplace` option is set. */
  readonly deleteBeforeReplace?: boolean;
  /** The properties listed in its `ignoreChanges` option. */
  readonly ignoreChanges?: readonly string[];
}

/**
 * A rule that judges one resource from its inputs, as CrossGuard's
 * `ResourceValidationPolicy` does before the resource is created or updated.
 */
export interface ResourceRule {
  /** Distinguishes resource rules from stack rules. */
  readonly kind: "resource";
  /** The policy name: kebab-case, unique in the pack. */
  readonly id: string;
  /** One sentence: what the rule demands. */
  readonly description: string;
  /** The control it implements, e.g. `CIS GKE 1.5.0 5.6.5`. */
  readonly control: string;
  /** The resource types it judges, for the docs (patterns such as `gcp:*IamMember` allowed). */
  readonly types: readonly string[];
  /** True for the type tokens it judges; every other type is not applicable. */
  readonly appliesTo: (type: string) => boolean;
  /**
   * Returns one message per violation (empty when compliant). Each message
   * names the property path, what was expected and what was given; the
   * runner prefixes the resource. Values still unknown are never reported.
   */
  readonly check: (type: string, inputs: Props, ctx: ResourceContext) => string[];
}

/** One resource of a stack, as a stack rule sees it. */
export interface StackResource {
  /** The URN. */
  readonly urn: string;
  /** The type token. */
  readonly type: string;
  /** The logical name. */
  readonly name: string;
  /** Its properties (outputs under the CLI, recorded inputs offline). */
  readonly props: Props;
  /** The URN of its explicit provider (for Kubernetes: which cluster), if any. */
  readonly provider?: string;
  /** URNs of the resources it depends on (explicit `dependsOn` and input dependencies), when known. */
  readonly dependsOn?: readonly string[];
  /** Whether the `deleteBeforeReplace` option is set. */
  readonly deleteBeforeReplace?: boolean;
  /** The properties listed in its `ignoreChanges` option. */
  readonly ignoreChanges?: readonly string[];
}

/** A violation a stack rule attributes to one resource. */
export interface StackFinding {
  /** The offending resource's URN. */
  readonly urn: string;
  /** A full sentence. */
  readonly message: string;
}

/**
 * A rule that judges the stack as a whole (relations between resources), as
 * CrossGuard's `StackValidationPolicy` does after the resources are known.
 */
export interface StackRule {
  /** Distinguishes stack rules from resource rules. */
  readonly kind: "stack";
  /** The policy name: kebab-case, unique in the pack. */
  readonly id: string;
  /** One sentence: what the rule demands. */
  readonly description: string;
  /** The control it implements. */
  readonly control: string;
  /** The resource types it looks at. */
  readonly types: readonly string[];
  /** Returns every violation in the stack (empty when compliant). */
  readonly check: (resources: readonly StackResource[]) => StackFinding[];
}

/** Any guardrail. */
export type Rule = ResourceRule | StackRule;

/** True when `v` is not known yet. */
export function isUnknown(v: unknown): v is typeof UNKNOWN {
  return v === UNKNOWN;
}

/**
 * Reads a dotted path (`privateClusterConfig.enablePrivateNodes`, numeric
 * segments index arrays). Returns {@link UNKNOWN} as soon as a segment is
 * unknown, `undefined` when a segment is missing.
 */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const seg of path.split(".")) {
    if (isUnknown(cur)) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Renders a given value for a message: JSON, `unset` for undefined. */
export function show(value: unknown): string {
  if (value === undefined) return "unset";
  if (isUnknown(value)) return "unknown";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * The common check: the value at `path` must satisfy `ok`. Returns one
 * message (`<path>: expected <expected>, got <given>.`) or none; an unknown
 * value is not judged.
 */
export function expectAt(inputs: unknown, path: string, ok: (v: unknown) => boolean, expected: string, prefix = ""): string[] {
  const v = at(inputs, path);
  if (isUnknown(v) || ok(v)) return [];
  return [`${prefix}${path}: expected ${expected}, got ${show(v)}.`];
}

/** The stack name in a URN (`urn:pulumi:<stack>::…`), or undefined. */
export function stackOfUrn(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m ? m[1] : undefined;
}

/** The layer level of a stack named `prod<N>`, or undefined for any other name. */
export function layerLevelOfStack(stack: string | undefined): number | undefined {
  const m = stack ? /^prod(\d+)$/.exec(stack) : null;
  return m ? Number(m[1]) : undefined;
}

/** An `appliesTo` for a fixed list of type tokens. */
export function only(...types: string[]): (type: string) => boolean {
  return (type) => types.includes(type);
}
