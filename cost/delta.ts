import type { CostEstimate, Range } from "./model";
import { resourceTotal } from "./model";

/**
 * The cost side of a pull-request diff: one stack's monthly estimate at the
 * base revision and in this revision, the change, and the resources that
 * cause most of it. Pure: both estimates are computed beforehand with the
 * same price table, so the change is the infrastructure's, not the prices'.
 */

/** One resource's share of a stack's change. */
export interface ResourceCostChange {
  /** The resource's type (or `usage:<what>` for stack-level lines). */
  readonly type: string;
  /** The resource's name. */
  readonly name: string;
  /** added (only in this revision), removed (only at the base) or changed. */
  readonly status: "added" | "removed" | "changed";
  /** This revision's total minus the base's, minimum → maximum. */
  readonly change: Range;
}

/** One stack's cost change. */
export interface StackCostDelta {
  /** The estimate at the base revision (zero for a stack the base does not have). */
  readonly before: Range;
  /** The estimate of this revision. */
  readonly after: Range;
  /** after − before, end by end. */
  readonly change: Range;
  /** The resources with the largest change, largest first (at most `top`). */
  readonly top: readonly ResourceCostChange[];
  /** Resources with a change, in all. */
  readonly changedResources: number;
  /** The stack's threshold (USD a month) from its config. */
  readonly threshold: number;
  /** True when the change at either end (autoscalers at their minimum, or at their maximum) exceeds the threshold. */
  readonly overThreshold: boolean;
  /** Unpriced resources of this revision that the base did not have (their cost is not in the change). */
  readonly newlyUnpriced: readonly string[];
}

function keys(e: CostEstimate | undefined): Map<string, { type: string; name: string }> {
  const out = new Map<string, { type: string; name: string }>();
  for (const l of e?.lines ?? []) out.set(l.urn ?? `${l.type}::${l.name}`, { type: l.type, name: l.name });
  return out;
}

function totalOf(e: CostEstimate | undefined, key: string): Range {
  if (!e) return { min: 0, max: 0 };
  if (key.startsWith("urn:")) return resourceTotal(e, key);
  return e.lines.filter((l) => !l.urn && `${l.type}::${l.name}` === key && l.monthly).reduce((s, l) => ({ min: s.min + l.monthly!.min, max: s.max + l.monthly!.max }), { min: 0, max: 0 });
}

/** The change of one stack's estimate from `base` (undefined: the stack is new) to `head`. */
export function costDelta(base: CostEstimate | undefined, head: CostEstimate, threshold: number, top = 5): StackCostDelta {
  const before = base?.total ?? { min: 0, max: 0 };
  const after = head.total;
  const change = { min: after.min - before.min, max: after.max - before.max };
  const b = keys(base);
  const h = keys(head);
  const changes: ResourceCostChange[] = [];
  for (const key of new Set([...b.keys(), ...h.keys()])) {
    const was = totalOf(base, key);
    const now = totalOf(head, key);
    const d = { min: now.min - was.min, max: now.max - was.max };
    if (Math.abs(d.min) < 0.005 && Math.abs(d.max) < 0.005) continue;
    const id = h.get(key) ?? b.get(key)!;
    changes.push({ type: id.type, name: id.name, status: !b.has(key) ? "added" : !h.has(key) ? "removed" : "changed", change: d });
  }
  changes.sort((x, y) => Math.max(Math.abs(y.change.min), Math.abs(y.change.max)) - Math.max(Math.abs(x.change.min), Math.abs(x.change.max)) || (x.name < y.name ? -1 : 1));
  const wasUnpriced = new Set((base?.unpriced ?? []).map((u) => u.urn));
  const newlyUnpriced = [...new Set(head.unpriced.filter((u) => !wasUnpriced.has(u.urn)).map((u) => `${u.type} ${u.name}`))];
  return { before, after, change, top: changes.slice(0, top), changedResources: changes.length, threshold, overThreshold: Math.max(change.min, change.max) > threshold, newlyUnpriced };
}
