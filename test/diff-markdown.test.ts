import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffPlans } from "../plan/diff";
import { code, DIFF_COMMENT_MARKER, fitBlocks, GITHUB_COMMENT_LIMIT, renderDiffMarkdown, type DiffReport } from "../plan/markdown";
import type { PlannedResource, PlanSnapshot } from "../plan/snapshot";

function big(count: number, value: string): PlanSnapshot {
  const resources: PlannedResource[] = Array.from({ length: count }, (_, i) => ({
    urn: `urn:pulumi:prod1::spive-infra::kubernetes:apps/v1:Deployment::spive-prod1-s${i}`,
    type: "kubernetes:apps/v1:Deployment",
    name: `spive-prod1-s${i}`,
    custom: true,
    read: false,
    protect: false,
    ignoreChanges: [],
    dependsOn: [],
    inputs: { spec: { image: `${value}-${"x".repeat(60)}`, replicas: 2 } },
  }));
  return { format: "spive-plan", version: 1, stack: "prod1", resources };
}

function reportOf(count: number): DiffReport {
  return {
    baseRef: "origin/main",
    baseCommit: "0123456789abcdef",
    headLabel: "this revision (working tree)",
    stacks: [
      { stack: "prod0", base: { status: "ok", resources: 0 }, head: { status: "ok", resources: 0 }, diff: diffPlans(undefined, undefined) },
      { stack: "prod1", base: { status: "ok", resources: count }, head: { status: "ok", resources: count }, diff: diffPlans(big(count, "old"), big(count, "new")) },
    ],
    command: "npx spive diff --all --base origin/main",
  };
}

const count = (s: string, needle: string): number => s.split(needle).length - 1;

describe("diff Markdown fits one pull-request comment", () => {
  it("a small diff is complete, starts with the marker and puts counts before details", () => {
    const md = renderDiffMarkdown(reportOf(3));
    expect(md.startsWith(`${DIFF_COMMENT_MARKER}\n`)).toBe(true);
    expect(md).not.toContain("Truncated");
    expect(md.indexOf("| `kubernetes:apps/v1:Deployment` | 0 | 0 | 3 |")).toBeLessThan(md.indexOf("<details>"));
    expect(md).toContain("### prod0: no changes (0 resources)");
  });

  it("past GitHub's limit it truncates between blocks, keeps every summary, closes open elements and says so", () => {
    const report = reportOf(2000);
    const full = renderDiffMarkdown(report, Number.MAX_SAFE_INTEGER);
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const md = renderDiffMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain("### prod1: 0 added, 0 removed, 2000 changed (0 unchanged)");
    expect(md).toMatch(/> \*\*Truncated\*\*: this comment stops at GitHub's 65,536-character limit; \d+ detail blocks are not shown\. Run `npx spive diff --all --base origin\/main` locally for the full diff\.\n$/);
    expect(count(md, "<details>")).toBe(count(md, "</details>"));
    // Cut between blocks: the last resource shown is complete.
    const shown = md.match(/\*\*~ `kubernetes:apps\/v1:Deployment` `spive-prod1-s(\d+)`\*\*\n- `spec\.image`: `"old-x+"` → `"new-x+"`/g) ?? [];
    expect(shown.length).toBeGreaterThan(100);
    expect(count(md, "**~ ")).toBe(shown.length);
  });

  it("never exceeds any limit it is given, with elements balanced", () => {
    const report = reportOf(300);
    fc.assert(
      fc.property(fc.integer({ min: 3_000, max: 80_000 }), (limit) => {
        const md = renderDiffMarkdown(report, limit);
        expect(md.length).toBeLessThanOrEqual(limit);
        expect(count(md, "<details>")).toBe(count(md, "</details>"));
      }),
      { numRuns: 40 },
    );
  });

  it("closes nested open elements in order", () => {
    const md = fitBlocks(
      [{ text: "head" }, { text: "<details>", opens: "</details>" }, { text: "<ul>", opens: "</ul>" }, { text: "x".repeat(500) }, { text: "</ul>", closes: true }, { text: "</details>", closes: true }],
      400,
      "npx spive diff prod0 --base main",
    );
    expect(md.startsWith("head\n\n<details>\n\n<ul>\n\n</ul>\n\n</details>\n\n> **Truncated**")).toBe(true);
  });

  it("inline code survives backticks inside", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "`", " ", "|") }), (s) => {
        const c = code(s);
        const fence = /^`+/.exec(c)![0];
        const inner = c.slice(fence.length, c.length - fence.length);
        expect(c.endsWith(fence)).toBe(true);
        expect(inner.includes(fence)).toBe(false);
        expect([s, ` ${s} `]).toContain(inner);
      }),
      { numRuns: 200 },
    );
  });
});
