import { z } from "zod";
import type { Evaluation, RecordedResource } from "./recorder";

/**
 * A plan snapshot: the desired resources of one stack in a canonical form
 * that is identical from run to run and comparable across revisions. It is
 * what `spive plan --json` prints and what `spive diff` compares. The
 * snapshot holds no Pulumi objects, only JSON, so a snapshot taken in a child
 * process (the base revision of a diff) can be read back and checked here.
 */

/** The `format` tag of a plan snapshot. */
export const PLAN_FORMAT = "spive-plan";

/** The plan snapshot format version this code writes and reads. */
export const PLAN_FORMAT_VERSION = 1;

/** How an input the mock engine cannot know during a preview (an output of another resource) appears in a snapshot. */
export const UNKNOWN_VALUE = "<known after apply>";

/**
 * How a secret input appears in a snapshot: never its value, since plans are
 * printed in pull-request comments and CI logs. A change of a secret's value
 * therefore does not show in a diff; adding or removing one does.
 */
export const SECRET_VALUE = "<secret>";

/** How a reference to another resource appears when the engine hands over a resource object rather than its URN. */
export const RESOURCE_VALUE = "<resource reference>";

// Pulumi's wire markers (@pulumi/pulumi runtime/rpc): the key that tags special
// values, and the tag of a secret.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A JSON value, as held in a snapshot. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]),
);

/** One desired resource in a plan snapshot. */
export const PlannedResource = z
  .strictObject({
    urn: z.string().min(1).describe("The resource's URN; the identity a diff matches resources by."),
    type: z.string().min(1).describe("The type token, e.g. gcp:container/nodePool:NodePool."),
    name: z.string().min(1).describe("The logical name."),
    parent: z.string().optional().describe("The parent's URN; absent for children of the stack."),
    custom: z.boolean().describe("True for provider-managed resources, false for components."),
    read: z.boolean().describe("True for reads (StackReference) rather than managed resources."),
    protect: z.boolean().describe("Whether the resource is protected from deletion."),
    ignoreChanges: z.array(z.string()).describe("Properties whose changes Pulumi ignores, sorted."),
    deleteBeforeReplace: z.literal(true).optional().describe("Present (true) when the resource is deleted before its replacement is created."),
    dependsOn: z.array(z.string()).describe("URNs of explicit dependencies, sorted."),
    provider: z.string().optional().describe("The URN of the explicit provider, without its id."),
    inputs: z.record(z.string(), JsonValueSchema).describe("The inputs with keys sorted; unknowns, secrets and resource objects replaced by markers."),
  })
  .describe("One desired resource.");

/** One desired resource in a plan snapshot. */
export type PlannedResource = z.infer<typeof PlannedResource>;

/** The desired resources of one stack at one revision. */
export const PlanSnapshot = z
  .strictObject({
    format: z.literal(PLAN_FORMAT),
    version: z.literal(PLAN_FORMAT_VERSION),
    stack: z.string().min(1).describe("The stack name, e.g. prod2."),
    resources: z.array(PlannedResource).describe("Every desired resource, sorted by type, then URN."),
  })
  .describe("A plan snapshot of one stack.");

/** The desired resources of one stack at one revision. */
export type PlanSnapshot = z.infer<typeof PlanSnapshot>;

function isUnknownMarker(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiUnknown === true;
}

/**
 * Turns any value the mock engine recorded into canonical JSON: object keys
 * sorted, `undefined` members dropped, unknowns, secrets and resource objects
 * replaced by markers, non-finite numbers and other non-JSON values made into
 * strings. The same value always yields the same JSON text.
 */
export function canonicalize(value: unknown): JsonValue {
  if (value === null) return null;
  if (isUnknownMarker(value)) return UNKNOWN_VALUE;
  if (typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) return SECRET_VALUE;
  if (typeof value === "object" && (value as Record<string, unknown>).__pulumiResource === true) return RESOURCE_VALUE;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "undefined":
      return null;
    case "object": {
      if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonicalize(v)));
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(value as object).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) out[key] = canonicalize(v);
      }
      return out;
    }
    default:
      return String(value);
  }
}

/** The URN a provider reference (`<urn>::<id>`) names, without the id. */
export function providerUrn(reference: string): string {
  const cut = reference.lastIndexOf("::");
  return reference.startsWith("urn:pulumi:") && cut > 0 && reference.slice(0, cut).split("::").length >= 4 ? reference.slice(0, cut) : reference;
}

/** Converts one recorded resource into its canonical snapshot form. */
export function plannedResource(r: RecordedResource): PlannedResource {
  const inputs = canonicalize(r.inputs) as Record<string, JsonValue>;
  const out: PlannedResource = {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    read: r.read,
    protect: r.protect,
    ignoreChanges: r.ignoreChanges.slice().sort(),
    dependsOn: r.dependsOn.slice().sort(),
    inputs,
  };
  if (r.parent) out.parent = r.parent;
  if (r.provider) out.provider = providerUrn(r.provider);
  if (r.deleteBeforeReplace) out.deleteBeforeReplace = true;
  return out;
}

/** Orders resources by type, then URN (code-unit order, independent of locale). */
export function compareResources(a: { type: string; urn: string }, b: { type: string; urn: string }): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0;
}

/** The plan snapshot of an offline evaluation of `stack`. */
export function snapshotOf(stack: string, evaluation: Pick<Evaluation, "resources">): PlanSnapshot {
  return {
    format: PLAN_FORMAT,
    version: PLAN_FORMAT_VERSION,
    stack,
    resources: evaluation.resources.map(plannedResource).sort(compareResources),
  };
}

/**
 * Reads a plan snapshot back from JSON (e.g. a child process's output); a
 * value that is not a snapshot fails with one sentence naming `source`.
 */
export function parseSnapshot(value: unknown, source: string): PlanSnapshot {
  const parsed = PlanSnapshot.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: expected a ${PLAN_FORMAT} v${PLAN_FORMAT_VERSION} snapshot, but ${issue.path.join(".") || "the value"} is invalid (${issue.message}).`);
  }
  return parsed.data;
}

/** One leaf of a flattened value: its path (`spec.template.spec.containers[0].image`) and its JSON value. */
export interface FlatEntry {
  /** The path, in JavaScript accessor notation. */
  readonly path: string;
  /** The leaf value; empty objects and arrays are leaves. */
  readonly value: JsonValue;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** The path of `key` under `prefix`, in accessor notation (`a.b`, `a["x.y"]`). */
export function joinPath(prefix: string, key: string): string {
  if (IDENTIFIER.test(key)) return prefix ? `${prefix}.${key}` : key;
  return `${prefix}[${JSON.stringify(key)}]`;
}

/**
 * Flattens a canonical value into its leaves, in key order. Two values are
 * equal exactly when their flattenings are; a diff compares leaves by path.
 */
export function flatten(value: JsonValue, prefix = ""): FlatEntry[] {
  const out: FlatEntry[] = [];
  const walk = (v: JsonValue, p: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) out.push({ path: p, value: v });
      v.forEach((item, i) => walk(item, `${p}[${i}]`));
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      if (keys.length === 0) out.push({ path: p, value: v });
      for (const k of keys) walk(v[k]!, joinPath(p, k));
    } else {
      out.push({ path: p, value: v });
    }
  };
  walk(value, prefix);
  return out;
}

/**
 * The comparable attributes of a resource: its inputs by path, plus its
 * options under `@`-prefixed names (`@parent`, `@protect`, `@dependsOn`, …),
 * which no input path can collide with.
 */
export function comparableEntries(r: PlannedResource): FlatEntry[] {
  const options: Record<string, JsonValue> = {
    "@parent": r.parent ?? null,
    "@provider": r.provider ?? null,
    "@protect": r.protect,
    "@dependsOn": r.dependsOn,
    "@ignoreChanges": r.ignoreChanges,
    "@deleteBeforeReplace": r.deleteBeforeReplace ?? false,
  };
  const entries = Object.entries(options)
    .filter(([, v]) => v !== null && v !== false && !(Array.isArray(v) && v.length === 0))
    .map(([path, value]) => ({ path, value }));
  return [...entries, ...flatten(r.inputs)];
}

/** A URN shortened for display: `<type>::<name>`, where type is the resource's own type (not its parents'). */
export function shortUrn(urn: string): string {
  const parts = urn.split("::");
  if (parts.length < 4) return urn;
  const type = parts[2]!.split("$").pop()!;
  return `${type}::${parts.slice(3).join("::")}`;
}
