import type { StackCostDelta } from "../cost/delta";
import { usdDeltaRange, usdRange } from "../cost/render";
import { isEmptyDiff, type PathChange, type PlanDiff } from "./diff";
import { isEmptyLogDiff, type EventFieldChange, type LogDiff } from "./log-diff";
import { formatPathValue, formatValue } from "./render";
import type { JsonValue, PlannedResource } from "./snapshot";

/**
 * The Markdown of `spive diff`: sized for one pull-request comment. The
 * summaries of every stack (counts per type) and of the bootstrap log come
 * first, the details after, so that when the text must be cut at GitHub's
 * comment limit, only details are lost. The text is cut between blocks, never
 * inside one, and any open `<details>` element is closed.
 */

/** GitHub's limit on the body of an issue or pull-request comment, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** The hidden marker that identifies the diff comment, so CI updates it in place instead of adding another. */
export const DIFF_COMMENT_MARKER = "<!-- spive-diff -->";

/** How one side (base or head) of one stack was evaluated. */
export type SideResult =
  | { readonly status: "ok"; readonly resources: number }
  | { readonly status: "absent"; readonly reason: string }
  | { readonly status: "failed"; readonly error: string };

/** One stack's part of a diff report. */
export interface StackReport {
  /** The stack name. */
  readonly stack: string;
  /** How the base revision evaluated. */
  readonly base: SideResult;
  /** How the working tree evaluated. */
  readonly head: SideResult;
  /** The resource diff, present when both sides are ok, or the base is absent (then everything is added). */
  readonly diff?: PlanDiff;
  /** The monthly cost change (docs/cost.md), or why it could not be estimated; absent when this revision did not plan. */
  readonly cost?: StackCostDelta | { readonly error: string };
}

/** Everything one `spive diff` run found. */
export interface DiffReport {
  /** The base ref as given, e.g. `origin/main`. */
  readonly baseRef: string;
  /** The commit the base ref resolved to. */
  readonly baseCommit: string;
  /** What the head is, e.g. `working tree` or a commit. */
  readonly headLabel: string;
  /** The stacks, in the order given. */
  readonly stacks: readonly StackReport[];
  /** The event-level diff of the bootstrap log, when prod0 is among the stacks. */
  readonly log?: LogDiff;
  /** The command that reproduces the full diff locally, quoted in the truncation note. */
  readonly command: string;
  /** How both sides were priced, e.g. the price table's file and read dates. */
  readonly pricing?: string;
}

/** A piece of the Markdown; the text is cut only between blocks. */
export interface Block {
  readonly text: string;
  /** Set on a block that opens an element: the text that closes it. */
  readonly opens?: string;
  /** Set on the block that closes the innermost open element. */
  readonly closes?: boolean;
  /** Join to the previous block with a single line break (the next item of a list) rather than a blank line. */
  readonly tight?: boolean;
}

/** Inline code that survives any content: the fence is longer than any backtick run inside. */
export function code(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") || text.startsWith(" ") || text.endsWith(" ") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Escapes text for a Markdown paragraph or table cell (HTML, emphasis, pipes, and line breaks). */
export function escapeText(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function changeLine(c: PathChange | EventFieldChange, display: (path: string, v: JsonValue) => string): string {
  const before = c.before === undefined ? "(absent)" : code(display(c.path, c.before));
  const after = c.after === undefined ? "(absent)" : code(display(c.path, c.after));
  return `- ${code(c.path)}: ${before} → ${after}`;
}

function sideNote(label: string, side: SideResult): string | undefined {
  if (side.status === "absent") return `${label}: ${escapeText(side.reason)}`;
  if (side.status === "failed") return `${label}: could not be planned offline: ${code(side.error.split("\n")[0]!.slice(0, 600))}`;
  return undefined;
}

function stackSummary(s: StackReport): Block[] {
  const out: Block[] = [];
  const notes = [sideNote("Base", s.base), sideNote("This revision", s.head)].filter((n): n is string => n !== undefined);
  if (!s.diff) {
    const counts = [["Base", s.base], ["This revision", s.head]] as const;
    for (const [label, side] of counts) if (side.status === "ok") notes.push(`${label}: ${plural(side.resources, "resource")}`);
    out.push({ text: `### ${s.stack}: not compared\n\n${notes.map((n) => `- ${n}`).join("\n")}` });
    return out;
  }
  const d = s.diff;
  if (isEmptyDiff(d)) {
    out.push({ text: `### ${s.stack}: no changes (${plural(d.unchanged, "resource")})${notes.length ? `\n\n${notes.map((n) => `- ${n}`).join("\n")}` : ""}` });
    return out;
  }
  const title = `### ${s.stack}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed (${d.unchanged} unchanged)`;
  const rows = d.counts.map((c) => `| ${code(c.type)} | ${c.added} | ${c.removed} | ${c.changed} |`);
  const table = ["| type | added | removed | changed |", "|---|---:|---:|---:|", ...rows].join("\n");
  out.push({ text: `${title}\n\n${notes.length ? `${notes.map((n) => `- ${n}`).join("\n")}\n\n` : ""}${table}` });
  return out;
}

function logSummary(log: LogDiff): Block {
  const title = `### ${escapeText(log.file)}`;
  if (!log.baseExists && !log.headExists) return { text: `${title}: absent in both revisions` };
  if (isEmptyLogDiff(log)) return { text: `${title}: no event changes (${plural(log.unchanged, "event")})` };
  const parts = [
    `${log.added.length} added`,
    `${log.removed.length} removed`,
    `${log.changed.length} changed`,
    `${log.moved.length} moved`,
  ];
  const notes: string[] = [];
  if (!log.baseExists) notes.push("- The base revision has no bootstrap log; every event is added.");
  if (!log.headExists) notes.push("- This revision has no bootstrap log; every event is removed.");
  if (log.headProblems.length > 0) notes.push(`- This revision's log has ${plural(log.headProblems.length, "line")} that ${log.headProblems.length === 1 ? "is" : "are"} not a well-formed event (see below).`);
  if (log.baseProblems.length > 0) notes.push(`- The base log has ${plural(log.baseProblems.length, "line")} that ${log.baseProblems.length === 1 ? "is" : "are"} not a well-formed event.`);
  return { text: `${title}: ${parts.join(", ")} events (${log.unchanged} unchanged)${notes.length ? `\n\n${notes.join("\n")}` : ""}` };
}

function resourceList(sign: "+" | "-", resources: readonly PlannedResource[]): Block[] {
  const byType = new Map<string, string[]>();
  for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r.name]);
  return [...byType].map(([type, names], i) => ({ text: `- **${sign}** ${code(type)} (${names.length}): ${names.map(code).join(", ")}`, tight: i > 0 }));
}

function stackDetails(s: StackReport): Block[] {
  const d = s.diff;
  if (!d || isEmptyDiff(d)) return [];
  const blocks: Block[] = [{ text: `<details><summary>${s.stack}: details</summary>\n\n#### ${s.stack}`, opens: "</details>" }];
  if (d.added.length > 0) blocks.push({ text: "Added:" }, ...resourceList("+", d.added));
  if (d.removed.length > 0) blocks.push({ text: "Removed:" }, ...resourceList("-", d.removed));
  if (d.changed.length > 0) blocks.push({ text: "Changed:" });
  for (const c of d.changed) {
    const lines = c.changes.map((ch) => changeLine(ch, (p, v) => formatPathValue(p, v)));
    blocks.push({ text: `**~ ${code(c.type)} ${code(c.name)}**\n${lines.join("\n")}` });
  }
  blocks.push({ text: "</details>", closes: true });
  return blocks;
}

function logDetails(log: LogDiff): Block[] {
  if (isEmptyLogDiff(log)) return [];
  const blocks: Block[] = [{ text: `<details><summary>${escapeText(log.file)}: events</summary>\n\n#### ${escapeText(log.file)}`, opens: "</details>" }];
  const item = (text: string): void => {
    blocks.push({ text, tight: blocks.length > 1 });
  };
  const json = (v: unknown): string => code(formatValue(v as JsonValue));
  for (const e of log.added) item(`- **+** ${code(e.key)} (line ${e.line}): ${json(e.event)}`);
  for (const e of log.removed) item(`- **−** ${code(e.key)} (was line ${e.line}): ${json(e.event)}`);
  for (const c of log.changed) {
    const lines = c.fields.map((f) => `  ${changeLine(f, (_p, v) => formatValue(v))}`);
    item(`- **~** ${code(c.key)} (line ${c.beforeLine} → ${c.afterLine})\n${lines.join("\n")}`);
  }
  for (const m of log.moved) item(`- **↕** ${code(m.key)} moved relative to the other events (line ${m.beforeLine} → ${m.afterLine})`);
  for (const p of log.headProblems) item(`- **!** ${code(p)}`);
  blocks.push({ text: "</details>", closes: true });
  return blocks;
}

/**
 * Joins blocks with blank lines, keeping the result within `limit`
 * characters: past it, the remaining blocks are dropped, open elements are
 * closed, and a note says how much was left out and how to see it all.
 */
export function fitBlocks(blocks: readonly Block[], limit: number, command: string): string {
  const join = (list: readonly Block[]): string => list.map((b, i) => (i === 0 ? b.text : `${b.tight ? "\n" : "\n\n"}${b.text}`)).join("");
  const full = join(blocks);
  if (full.length < limit) return `${full}\n`;
  const open: string[] = [];
  const kept: Block[] = [];
  let length = 0;
  let shown = 0;
  const noteFor = (omitted: number): string =>
    `> **Truncated**: this comment stops at GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character limit; ${plural(omitted, "detail block")} ${omitted === 1 ? "is" : "are"} not shown. Run ${code(command)} locally for the full diff.`;
  const reserve = noteFor(blocks.length).length + 4;
  for (const b of blocks) {
    const nextOpen = b.opens ? [...open, b.opens] : b.closes ? open.slice(0, -1) : open;
    const nextClosers = nextOpen.reduce((n, c) => n + c.length + 2, 0);
    if (length + b.text.length + 2 + nextClosers + reserve > limit) break;
    kept.push(b);
    length += b.text.length + 2;
    shown++;
    if (b.opens) open.push(b.opens);
    else if (b.closes) open.pop();
  }
  const tail = [...open.reverse(), noteFor(blocks.length - shown)].map((text) => ({ text }));
  return `${join([...kept, ...tail])}\n`;
}

function shortType(type: string): string {
  return type.split(":").pop()!;
}

/**
 * The cost blocks of a diff, shown first: a call-out for every stack whose
 * monthly estimate rises by more than its threshold, then one table row per
 * stack with the estimate before and after, the change, and its main causes.
 */
export function costBlocks(report: DiffReport): Block[] {
  const priced = report.stacks.filter((s) => s.cost !== undefined);
  if (priced.length === 0) return [];
  const blocks: Block[] = [];
  for (const s of priced) {
    const c = s.cost!;
    if ("error" in c || !c.overThreshold) continue;
    blocks.push({
      text: `> **Cost alert: ${s.stack} ${usdDeltaRange(c.change)} per month** (${usdRange(c.before)} → ${usdRange(c.after)}), above this stack's threshold of ${usdRange({ min: c.threshold, max: c.threshold })} (${code(`stacks/Pulumi.${s.stack}.yaml > spive:cost.thresholdUsdPerMonth`)}).`,
    });
  }
  const rows = priced.map((s) => {
    const c = s.cost!;
    if ("error" in c) return `| ${s.stack} | | | not estimated: ${escapeText(c.error.split("\n")[0]!.slice(0, 300))} | |`;
    const causes = c.top
      .slice(0, 3)
      .map((t) => `${code(shortType(t.type))} ${code(t.name)} ${usdDeltaRange(t.change)}${t.status === "changed" ? "" : ` (${t.status})`}`)
      .join("; ");
    const more = c.changedResources > 3 ? `; ${c.changedResources - 3} more` : "";
    const unpriced = c.newlyUnpriced.length > 0 ? ` ${plural(c.newlyUnpriced.length, "new resource")} unpriced.` : "";
    return `| ${s.stack} | ${usdRange(c.before)} | ${usdRange(c.after)} | ${usdDeltaRange(c.change)}${c.overThreshold ? " ⚠" : ""} | ${causes}${more}${unpriced} |`;
  });
  blocks.push({
    text: [
      "#### Monthly cost estimate",
      "",
      "| stack | base | this revision | change | main causes |",
      "|---|---:|---:|---:|---|",
      ...rows,
      "",
      `List prices in USD before discounts${report.pricing ? ` (${escapeText(report.pricing)})` : ""}; ranges are minimum → maximum of the autoscalers; unpriced resources are not included. Details: ${code("npx spive cost <stack>")}, docs/cost.md.`,
    ].join("\n"),
  });
  return blocks;
}

/** Renders a diff report as Markdown of at most `limit` characters (default: GitHub's comment limit). */
export function renderDiffMarkdown(report: DiffReport, limit: number = GITHUB_COMMENT_LIMIT): string {
  const stacks = report.stacks.map((s) => s.stack).join(", ");
  const header: Block = { text: [DIFF_COMMENT_MARKER, `## Offline preview diff: ${stacks}`].join("\n") };
  const intro: Block = {
    text: `Base ${code(report.baseRef)} (${code(report.baseCommit.slice(0, 12))}) → ${escapeText(report.headLabel)}. Each stack's program was evaluated with its committed config on Pulumi's mock engine; no cloud was contacted. Resources match by URN; a changed resource lists each changed input path as base → this revision (see docs/ci.md).`,
  };
  const summaries: Block[] = report.stacks.flatMap(stackSummary);
  if (report.log) summaries.push(logSummary(report.log));
  const details: Block[] = report.stacks.flatMap(stackDetails);
  if (report.log) details.push(...logDetails(report.log));
  return fitBlocks([header, ...costBlocks(report), intro, ...summaries, ...details], limit, report.command);
}
