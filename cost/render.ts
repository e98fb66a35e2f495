import type { CostEstimate, PoolCapacity, Range } from "./model";

/**
 * Renderings of a cost estimate: text for `spive cost <stack>`, JSON for
 * `--json`, and the Markdown tables of docs/cost.md. All are pure functions
 * of the estimate.
 */

/** `$1,234` (whole dollars from $100, cents below), with a minus sign for negative amounts. */
export function usd(n: number): string {
  const abs = Math.abs(n);
  const text = abs >= 100 ? Math.round(abs).toLocaleString("en-US") : abs.toFixed(2);
  return `${n < 0 && Number(text.replace(/,/g, "")) !== 0 ? "-" : ""}$${text}`;
}

/** A range of dollars: `$1,234` when fixed, `$1,234 → $5,678` when autoscaled. */
export function usdRange(r: Range): string {
  return Math.abs(r.max - r.min) < 0.005 ? usd(r.min) : `${usd(r.min)} → ${usd(r.max)}`;
}

/** A signed dollar delta: `+$12`, `-$3.50`, `$0`. */
export function usdDelta(n: number): string {
  if (Math.abs(n) < 0.005) return "$0";
  return n > 0 ? `+${usd(n)}` : usd(n);
}

/** A signed delta of a range: `+$12` or `+$12 → +$40`. */
export function usdDeltaRange(r: Range): string {
  return Math.abs(r.max - r.min) < 0.005 ? usdDelta(r.min) : `${usdDelta(r.min)} → ${usdDelta(r.max)}`;
}

function qty(r: Range, digits = 1): string {
  const f = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));
  return r.min === r.max ? f(r.min) : `${f(r.min)}→${f(r.max)}`;
}

function pct(part: number, whole: number | undefined): string {
  return whole && whole > 0 ? `${Math.round((part / whole) * 100)} %` : "?";
}

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/** The summary sentence of an estimate: total, then what it does not cover. */
export function summaryLine(e: CostEstimate): string {
  const notes: string[] = [];
  const unpricedResources = new Set(e.unpriced.map((u) => u.urn)).size;
  if (unpricedResources > 0) notes.push(`${unpricedResources} resource(s) unpriced (not included)`);
  if (e.fallbackRegions.length > 0) notes.push(`${e.fallbackRegions.length} region(s) at fallback prices`);
  return `${usdRange(e.total)} per month${notes.length ? ` (${notes.join("; ")})` : ""}`;
}

/** The capacity row of a pool: allocatable against requested, with the verdict. */
function poolRow(p: PoolCapacity): string[] {
  return [
    p.name,
    p.machineType,
    qty(p.nodes, 0),
    p.allocatableCpu ? qty(p.allocatableCpu) : "?",
    qty(p.requestedCpu),
    `${pct(p.requestedCpu.min, p.allocatableCpu?.min)}${p.nodes.min !== p.nodes.max ? ` → ${pct(p.requestedCpu.max, p.allocatableCpu?.max)}` : ""}`,
    p.allocatableMemoryGiB ? qty(p.allocatableMemoryGiB) : "?",
    qty(p.requestedMemoryGiB),
    `${pct(p.requestedMemoryGiB.min, p.allocatableMemoryGiB?.min)}${p.nodes.min !== p.nodes.max ? ` → ${pct(p.requestedMemoryGiB.max, p.allocatableMemoryGiB?.max)}` : ""}`,
    p.verdict,
  ];
}

/** The text rendering of `spive cost <stack>`. */
export function renderCostText(e: CostEstimate, assumptionsSource: string): string {
  const out = [`# spive cost ${e.stack}: ${summaryLine(e)}`, ""];
  out.push(`List prices in ${e.currency} from pricing/gcp.yaml, ${e.hoursPerMonth} hours a month, before sustained-use, committed-use or negotiated discounts; ranges are minimum → maximum of the autoscalers (docs/cost.md).`, "");
  out.push("By resource type (usage:<assumption> lines come from the stack's usage assumptions):");
  out.push(table([["TYPE", "RESOURCES", "MONTHLY", "UNPRICED LINES"], ...e.byType.map((g) => [g.key, String(g.resources), usdRange(g.monthly), g.unpricedLines ? String(g.unpricedLines) : ""])], new Set([1, 2])));
  out.push("", "By region (* prices of the fallback region, see pricing/gcp.yaml > regionFallback):");
  const fallback = new Set(e.fallbackRegions);
  out.push(table([["REGION", "MONTHLY"], ...e.byRegion.map((g) => [`${g.key}${fallback.has(g.key) ? " *" : ""}`, usdRange(g.monthly)])], new Set([1])));
  if (e.pools.length > 0) {
    out.push("", "Node pools: allocatable against requested (requests of the Deployments scheduled there; minimum → maximum):");
    out.push(table([["POOL", "MACHINE", "NODES", "ALLOC CPU", "REQ CPU", "CPU", "ALLOC GiB", "REQ GiB", "MEMORY", "VERDICT"], ...e.pools.map(poolRow)], new Set([2, 3, 4, 5, 6, 7, 8])));
  }
  if (e.unpriced.length > 0) {
    out.push("", "Unpriced (not included in the totals):");
    for (const u of e.unpriced) out.push(`- ${u.type} ${u.name}: ${u.reason}`);
  }
  out.push("", `Assumptions (${assumptionsSource}):`);
  for (const [k, v] of Object.entries(e.assumptions)) out.push(`- ${k}: ${v}`);
  out.push("", `Free (no charge of their own): ${e.free.map((f) => `${f.type} ×${f.count}`).join(", ") || "none"}`);
  return `${out.join("\n")}\n`;
}

/** The JSON rendering of `spive cost <stack> --json`. */
export function renderCostJson(e: CostEstimate): string {
  return `${JSON.stringify(e, null, 2)}\n`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/** The Markdown section of one layer in docs/cost.md: total, by type, by region (top 10 and the rest), pools, unpriced. */
export function renderCostMarkdown(e: CostEstimate): string {
  const out = [`### ${e.stack}: ${summaryLine(e)}`, ""];
  out.push("| resource type | resources | monthly |", "|---|---:|---:|");
  for (const g of e.byType) out.push(`| \`${mdCell(g.key)}\` | ${g.resources} | ${usdRange(g.monthly)}${g.unpricedLines ? ` (+${g.unpricedLines} unpriced)` : ""} |`);
  out.push("", "| region | monthly |", "|---|---:|");
  const fallback = new Set(e.fallbackRegions);
  const shown = e.byRegion.slice(0, 10);
  for (const g of shown) out.push(`| ${g.key}${fallback.has(g.key) ? " (fallback prices)" : ""} | ${usdRange(g.monthly)} |`);
  const rest = e.byRegion.slice(10);
  if (rest.length > 0) {
    const sum = rest.reduce((s, g) => ({ min: s.min + g.monthly.min, max: s.max + g.monthly.max }), { min: 0, max: 0 });
    out.push(`| ${rest.length} other regions | ${usdRange(sum)} |`);
  }
  if (e.pools.length > 0) {
    const verdicts = new Map<string, number>();
    for (const p of e.pools) verdicts.set(p.verdict, (verdicts.get(p.verdict) ?? 0) + 1);
    const p = e.pools[0]!;
    out.push("", `Node pools: ${[...verdicts].map(([v, n]) => `${n} ${v}`).join(", ")}. Each ${p.machineType} pool has ${qty(p.nodes, 0)} nodes with ${p.allocatableCpu ? qty(p.allocatableCpu) : "?"} vCPU and ${p.allocatableMemoryGiB ? qty(p.allocatableMemoryGiB) : "?"} GiB allocatable for ${qty(p.requestedCpu)} vCPU and ${qty(p.requestedMemoryGiB)} GiB requested (${p.name}).`);
  }
  if (e.unpriced.length > 0) {
    out.push("", "Unpriced:");
    for (const u of e.unpriced) out.push(`- \`${u.type}\` ${u.name}: ${u.reason}`);
  }
  return out.join("\n");
}
