import { flatten, shortUrn, type JsonValue, type PlannedResource, type PlanSnapshot } from "./snapshot";

/**
 * Renders plan snapshots for people (`spive plan <stack>`) and machines
 * (`spive plan <stack> --json`). Both renderings are pure functions of the
 * snapshot, so the same revision always prints the same bytes.
 */

/** Longest value printed in full in the text rendering and in diffs; longer ones are cut with their length noted. */
export const MAX_VALUE_CHARS = 240;

/** A JSON value on one line, cut past `max` characters with the full length noted. */
export function formatValue(value: JsonValue, max: number = MAX_VALUE_CHARS): string {
  const text = JSON.stringify(value);
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length} characters)`;
}

/** A value of an option path (`@parent`, `@dependsOn`, …) with its URNs shortened; other values as formatValue. */
export function formatPathValue(path: string, value: JsonValue, max: number = MAX_VALUE_CHARS): string {
  if (path === "@parent" || path === "@provider") return typeof value === "string" ? shortUrn(value) : formatValue(value, max);
  if (path === "@dependsOn" && Array.isArray(value)) return `[${value.map((v) => (typeof v === "string" ? shortUrn(v) : formatValue(v, max))).join(", ")}]`;
  return formatValue(value, max);
}

/** The text block of one resource: a header line, its options, then one `path = value` line per input leaf. */
export function renderResourceText(r: PlannedResource): string {
  const kind = r.read ? "read" : r.custom ? "resource" : "component";
  const lines = [`${r.type}  ${r.name}  (${kind})`];
  if (r.parent) lines.push(`  @parent = ${shortUrn(r.parent)}`);
  if (r.provider) lines.push(`  @provider = ${shortUrn(r.provider)}`);
  if (r.protect) lines.push("  @protect = true");
  if (r.deleteBeforeReplace) lines.push("  @deleteBeforeReplace = true");
  if (r.dependsOn.length > 0) lines.push(`  @dependsOn = [${r.dependsOn.map(shortUrn).join(", ")}]`);
  if (r.ignoreChanges.length > 0) lines.push(`  @ignoreChanges = ${JSON.stringify(r.ignoreChanges)}`);
  for (const { path, value } of flatten(r.inputs)) lines.push(`  ${path} = ${formatValue(value, Number.MAX_SAFE_INTEGER)}`);
  return lines.join("\n");
}

/**
 * The text rendering of a plan: a summary line, resource counts per type,
 * then every resource in snapshot order (type, then URN).
 */
export function renderPlanText(plan: PlanSnapshot): string {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const width = Math.max(0, ...[...counts.keys()].map((t) => t.length));
  const out = [`# spive plan ${plan.stack}: ${plan.resources.length} resources, ${counts.size} types`, ""];
  for (const [type, n] of counts) out.push(`${type.padEnd(width)}  ${String(n).padStart(5)}`);
  for (const r of plan.resources) out.push("", renderResourceText(r));
  return `${out.join("\n")}\n`;
}

/** The JSON rendering of a plan: the snapshot with two-space indentation and a final newline. */
export function renderPlanJson(plan: PlanSnapshot): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
