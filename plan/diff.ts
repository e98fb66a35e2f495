import { comparableEntries, type JsonValue, type PlannedResource, type PlanSnapshot } from "./snapshot";

/**
 * The resource-level diff of two plan snapshots of one stack. Resources are
 * matched by URN (what Pulumi matches them by, aliases aside): a URN only in
 * the head is added, only in the base removed, in both with any differing
 * input or option changed. A changed resource lists each differing leaf path
 * with its old and new value.
 */

/** One differing leaf of a changed resource. */
export interface PathChange {
  /** The input path (`spec.replicas`) or option (`@protect`). */
  readonly path: string;
  /** The base value; absent when the path is new. */
  readonly before?: JsonValue;
  /** The head value; absent when the path is gone. */
  readonly after?: JsonValue;
}

/** A resource present in both snapshots whose inputs or options differ. */
export interface ResourceChange {
  /** The URN. */
  readonly urn: string;
  /** The type token. */
  readonly type: string;
  /** The logical name. */
  readonly name: string;
  /** The differing paths, in path order of the head (then paths only in the base). */
  readonly changes: readonly PathChange[];
}

/** Added, removed and changed counts of one resource type. */
export interface TypeCounts {
  /** The type token. */
  readonly type: string;
  /** Resources only in the head. */
  readonly added: number;
  /** Resources only in the base. */
  readonly removed: number;
  /** Resources in both whose inputs or options differ. */
  readonly changed: number;
}

/** The diff of two snapshots of one stack. */
export interface PlanDiff {
  /** Resources only in the head, in snapshot order. */
  readonly added: readonly PlannedResource[];
  /** Resources only in the base, in snapshot order. */
  readonly removed: readonly PlannedResource[];
  /** Resources in both that differ, in snapshot order. */
  readonly changed: readonly ResourceChange[];
  /** How many resources are in both and identical. */
  readonly unchanged: number;
  /** Counts per type (only types with at least one difference), sorted by type. */
  readonly counts: readonly TypeCounts[];
}

function same(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The differing leaf paths of two versions of one resource; empty when they are identical. */
export function diffResource(before: PlannedResource, after: PlannedResource): PathChange[] {
  const base = new Map(comparableEntries(before).map((e) => [e.path, e.value]));
  const changes: PathChange[] = [];
  for (const { path, value } of comparableEntries(after)) {
    if (!base.has(path)) changes.push({ path, after: value });
    else if (!same(base.get(path)!, value)) changes.push({ path, before: base.get(path)!, after: value });
    base.delete(path);
  }
  for (const [path, value] of base) changes.push({ path, before: value });
  return changes;
}

/** Diffs two snapshots of the same stack (`base` → `head`). An absent snapshot counts as a stack with no resources. */
export function diffPlans(base: PlanSnapshot | undefined, head: PlanSnapshot | undefined): PlanDiff {
  const before = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
  const after = new Map((head?.resources ?? []).map((r) => [r.urn, r]));
  const added: PlannedResource[] = [];
  const removed: PlannedResource[] = [];
  const changed: ResourceChange[] = [];
  let unchanged = 0;
  for (const r of head?.resources ?? []) {
    const old = before.get(r.urn);
    if (!old) {
      added.push(r);
      continue;
    }
    const changes = diffResource(old, r);
    if (changes.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, changes });
    else unchanged++;
  }
  for (const r of base?.resources ?? []) if (!after.has(r.urn)) removed.push(r);
  const byType = new Map<string, { added: number; removed: number; changed: number }>();
  const bump = (type: string, key: "added" | "removed" | "changed"): void => {
    const c = byType.get(type) ?? { added: 0, removed: 0, changed: 0 };
    c[key]++;
    byType.set(type, c);
  };
  added.forEach((r) => bump(r.type, "added"));
  removed.forEach((r) => bump(r.type, "removed"));
  changed.forEach((r) => bump(r.type, "changed"));
  const counts = [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, c]) => ({ type, ...c }));
  return { added, removed, changed, unchanged, counts };
}

/** Whether a diff has no difference at all. */
export function isEmptyDiff(d: PlanDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
