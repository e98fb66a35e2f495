import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";

/**
 * Every relative link in the README, docs/ and the examples' READMEs points at
 * a file that exists, and every `#anchor` into a Markdown file at one of its
 * headings (GitHub's slugs), so the runbooks do not rot as files move.
 */

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

/** Relative links `[text](target)` outside code, with the line they are on. */
function linksOf(markdown: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    if (fenced) return;
    const plain = text.replace(/`[^`]*`/g, "");
    for (const m of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ line: i + 1, target });
    }
  });
  return out;
}

/** Checks one file's links; returns one sentence per broken link. */
function brokenLinks(file: string): string[] {
  const abs = path.join(REPO_ROOT, file);
  const text = fs.readFileSync(abs, "utf8");
  return linksOf(text).flatMap(({ line, target }) => {
    const [rel, anchor] = target.split("#", 2) as [string, string | undefined];
    const dest = rel === "" ? abs : path.resolve(path.dirname(abs), decodeURIComponent(rel));
    if (!fs.existsSync(dest)) return [`${file}:${line}: link target ${target} does not exist`];
    if (anchor !== undefined && dest.endsWith(".md") && !anchorsOf(fs.readFileSync(dest, "utf8")).has(anchor)) {
      return [`${file}:${line}: ${path.relative(REPO_ROOT, dest)} has no heading with the anchor #${anchor}`];
    }
    return [];
  });
}

const mdIn = (dir: string) =>
  fs.existsSync(path.join(REPO_ROOT, dir))
    ? fs.readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
    : [];

describe("links in the README and the docs", () => {
  const files = ["README.md", ...mdIn("docs"), ...mdIn("examples")].sort();

  it("checks the documents it is meant to", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "docs/runbook-deploy-and-bootstrap.md", "examples/small-prod1/README.md"]));
  });

  it("finds a broken link and a missing anchor", () => {
    expect(linksOf("see [a](docs/x.md#y), [web](https://example.com) and `[no](code.md)`")).toEqual([{ line: 1, target: "docs/x.md#y" }]);
    expect(slug("Break-glass: rebuild prod-0 from the last good log")).toBe("break-glass-rebuild-prod-0-from-the-last-good-log");
    expect(anchorsOf("# A b\n```\n# not a heading\n```\n## `spive plan` and more\n")).toEqual(new Set(["a-b", "spive-plan-and-more"]));
  });

  it.each(files)("%s has no broken relative link", (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});
