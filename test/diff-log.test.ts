import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { diffLogs, eventIdentity, isEmptyLogDiff, parseLogText } from "../plan/log-diff";
import { renderDiffMarkdown } from "../plan/markdown";
import { bootstrapLogOf } from "../plan/revision";

const LOG = fs.readFileSync(path.join(REPO_ROOT, "SpiveProdBootstrap.jsonl"), "utf8");
const lines = (): Record<string, any>[] => LOG.trim().split("\n").map((l) => JSON.parse(l));
const text = (events: Record<string, any>[]): string => `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;

function indexOf(events: Record<string, any>[], kind: string, nth = 0): number {
  const all = events.map((e, i) => [e, i] as const).filter(([e]) => e.kind === kind);
  if (all.length <= nth) throw new Error(`the committed log has fewer than ${nth + 1} ${kind} events`);
  return all[nth]![1];
}

describe("bootstrap log event-level diff", () => {
  it("keys every event of the committed log by a unique identity", () => {
    const parsed = parseLogText(LOG);
    expect(parsed.problems).toEqual([]);
    expect(parsed.events.length).toBe(lines().length);
    expect(new Set(parsed.events.map((e) => e.key)).size).toBe(parsed.events.length);
    expect(parsed.events[0]!.key).toBe("Header");
    expect(eventIdentity({ kind: "CreateStream", gid: "gid:prod0/x", store: "S", durable: true })).toBe("CreateStream gid:prod0/x");
  });

  it("the same log diffs empty", () => {
    const d = diffLogs(LOG, LOG);
    expect(isEmptyLogDiff(d)).toBe(true);
    expect(d.unchanged).toBe(lines().length);
  });

  it("an inserted instance is one added event, not a shifted tail", () => {
    const events = lines();
    const first = indexOf(events, "CreateInstance");
    const extra = { ...events[first], id: "spive-prod0-extra-0" };
    const head = [...events.slice(0, first), extra, ...events.slice(first)];
    const d = diffLogs(LOG, text(head));
    expect(d.added.map((e) => [e.key, e.line])).toEqual([["CreateInstance spive-prod0-extra-0", first + 1]]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.moved).toEqual([]);
    expect(d.unchanged).toBe(events.length);
  });

  it("reports removed events and changed fields with old and new values, keyed by identity", () => {
    const events = lines();
    const instance = indexOf(events, "CreateInstance");
    const type = indexOf(events, "CreateType");
    const head = events.map((e) => structuredClone(e));
    head[instance]!.args = [...(head[instance]!.args ?? []), "--verbose"];
    head[type]!.extension.version = "2099.1.0";
    const removedStream = indexOf(events, "CreateStream", 0);
    const streamGid = events[removedStream]!.gid;
    const withoutStream = head.filter((_, i) => i !== removedStream);
    const d = diffLogs(LOG, text(withoutStream));
    expect(d.removed.map((e) => e.key)).toEqual([`CreateStream ${streamGid}`]);
    expect(d.changed.map((c) => c.key)).toEqual([`CreateType ${events[type]!.name}`, `CreateInstance ${events[instance]!.id}`]);
    expect(d.changed[0]!.fields).toEqual([{ path: "extension.version", before: events[type]!.extension.version, after: "2099.1.0" }]);
    expect(d.changed[1]!.fields).toEqual([{ path: `args[${(events[instance]!.args ?? []).length}]`, after: "--verbose" }]);
    const md = renderDiffMarkdown({ baseRef: "main", baseCommit: "abc", headLabel: "x", stacks: [], log: d, command: "npx spive diff prod0 --base main" });
    expect(md).toContain("### SpiveProdBootstrap.jsonl: 0 added, 1 removed, 2 changed, 0 moved events");
    expect(md).toContain(`  - \`extension.version\`: \`"${events[type]!.extension.version}"\` → \`"2099.1.0"\``);
  });

  it("reports an event moved before another as moved, and unreadable lines as problems", () => {
    const events = lines();
    const a = indexOf(events, "CreateInstance", 0);
    const b = indexOf(events, "CreateInstance", 1);
    const head = events.slice();
    [head[a], head[b]] = [head[b]!, head[a]!];
    const d = diffLogs(LOG, `${text(head)}{"kind":"Bogus"}\nnot json\n`);
    expect(d.moved).toHaveLength(1);
    expect([events[a]!.id, events[b]!.id].map((id) => `CreateInstance ${id}`)).toContain(d.moved[0]!.key);
    expect(d.changed).toEqual([]);
    expect(d.headProblems).toHaveLength(2);
    expect(d.headProblems[0]).toMatch(/^SpiveProdBootstrap\.jsonl:\d+/);
    expect(isEmptyLogDiff(d)).toBe(false);
  });

  it("a log missing at one revision is all added or all removed", () => {
    expect(diffLogs(undefined, LOG)).toMatchObject({ baseExists: false, removed: [], unchanged: 0 });
    expect(diffLogs(undefined, LOG).added).toHaveLength(lines().length);
    expect(diffLogs(LOG, undefined).removed).toHaveLength(lines().length);
  });
});

describe("which file is the bootstrap log", () => {
  it.each([
    ["logs/prod0.jsonl", path.join("logs", "prod0.jsonl")],
    ["../outside.jsonl", "SpiveProdBootstrap.jsonl"],
    ["/etc/passwd", "SpiveProdBootstrap.jsonl"],
    [undefined, "SpiveProdBootstrap.jsonl"],
  ])("spive:bootstrap.log %j reads %s", (log, expected) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "spive-log-of-"));
    try {
      fs.mkdirSync(path.join(root, "stacks"));
      const bootstrap = log === undefined ? "" : `  spive:bootstrap:\n    log: ${JSON.stringify(log)}\n`;
      fs.writeFileSync(path.join(root, "stacks", "Pulumi.prod0.yaml"), `config:\n  gcp:project: p\n${bootstrap}`);
      expect(bootstrapLogOf(root)).toBe(expected);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("a tree without a prod0 config reads the default file", () => {
    expect(bootstrapLogOf(os.tmpdir())).toBe("SpiveProdBootstrap.jsonl");
  });
});
