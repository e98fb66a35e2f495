import type { Command, Option } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../cli/main";
import { REPO_ROOT } from "../config/load";

/**
 * Every command the README, the runbooks and the examples show must exist: each `spive …`
 * (or `npx spive …`, `node bin/spive.js …`) in a shell code block or an inline
 * code span is checked against the real commander tree — subcommand names,
 * `--flags` and argument counts — and each `npm run <script>` and
 * `dev-*\/*.sh` against package.json and the files on disk.
 */

/** One command found in a document. */
interface Found {
  readonly where: string;
  readonly text: string;
}

const SHELL_FENCES = new Set(["", "sh", "bash", "shell", "console", "zsh"]);
const SPIVE = /^(?:npx\s+spive|spive|node\s+bin\/spive\.js|\.\/bin\/spive\.js)(?=\s|$)/;
const NPM = /^npm\s+(?:run\s+(\S+)|(start|test)\b)/;
const SCRIPT = /^(?:bash\s+|sh\s+|\.\/)?((?:dev-[\w-]+|\.ci|scripts)\/[\w./-]+\.sh|\.ci\/run)(?=\s|$)/;

/** Splits a shell line into command segments (on `&&`, `||`, `;`, `|`), dropping comments, redirections and env assignments. */
function segments(line: string): string[] {
  const noComment = line.replace(/(^|\s)#.*$/, "");
  return noComment
    .split(/&&|\|\||;|\|/)
    .map((s) => s.replace(/\s\d?>>?&?\s*\S+/g, "").trim().replace(/^\$\s+/, "").replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, ""))
    .filter((s) => s !== "");
}

/** Every command line in a Markdown document: shell fences line by line, and inline code spans outside fences. */
function commandsIn(markdown: string, file: string): Found[] {
  const out: Found[] = [];
  const lines = markdown.split("\n");
  let fence: string | undefined;
  let continued = "";
  lines.forEach((raw, i) => {
    // A shell line ending in a backslash continues on the next one.
    const line = continued + raw;
    continued = "";
    if (fence !== undefined && SHELL_FENCES.has(fence) && line.endsWith("\\")) {
      continued = `${line.slice(0, -1)} `;
      return;
    }
    const where = `${file}:${i + 1}`;
    const m = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (m) {
      fence = fence === undefined ? m[2]!.toLowerCase() : undefined;
      return;
    }
    if (fence !== undefined) {
      if (SHELL_FENCES.has(fence)) for (const s of segments(line)) out.push({ where, text: s });
      return;
    }
    for (const span of line.matchAll(/`([^`]+)`/g)) {
      for (const s of segments(span[1]!)) out.push({ where, text: s });
    }
  });
  return out.filter((f) => (SPIVE.test(f.text) && !isOutput(f.text)) || NPM.test(f.text) || SCRIPT.test(f.text));
}

/** A line the CLI prints rather than a command: `spive policy prod1: 30 rules checked …` (a word ending in ":" right after the command). */
function isOutput(text: string): boolean {
  return text.replace(SPIVE, "").trim().split(/\s+/).slice(0, 3).some((w) => w.endsWith(":"));
}

/** Splits arguments like a shell: whitespace-separated, with single or double quotes. */
function tokens(s: string): string[] {
  return [...s.matchAll(/(\[[^\]]*\])|"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

/** Checks the option at `args[i]`; returns how many value tokens it consumed, or the problem. */
function checkOption(cmd: Command, pathSoFar: readonly string[], args: readonly string[], i: number): number | string {
  const [flag, inline] = args[i]!.split("=", 2) as [string, string | undefined];
  if (flag === "--help" || flag === "-h") return 0;
  const opt = findOption(cmd, flag);
  if (!opt) return `\`${pathSoFar.join(" ")}\` has no option ${flag} (it has: ${cmd.options.map((o) => o.long ?? o.short).join(", ") || "none"})`;
  const next = args[i + 1];
  if (opt.required && inline === undefined) {
    if (next === undefined || next.startsWith("-")) return `\`${pathSoFar.join(" ")} ${flag}\` needs a value`;
    return 1;
  }
  return opt.optional && inline === undefined && next !== undefined && !next.startsWith("-") ? 1 : 0;
}

/** Checks a `spive …` line against the commander tree; returns the problem, or undefined when it parses. */
function checkSpive(program: Command, text: string): string | undefined {
  const args = tokens(text.replace(SPIVE, ""));
  let cmd = program;
  const pathSoFar = ["spive"];
  let positionals = 0;
  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    if (tok === "..." || tok === "|") continue;
    // A usage group such as `[--log FILE]` or `[FILE]`: check its flag; an optional positional is not counted.
    const group = /^\[(.*)\]$/.exec(tok);
    if (group) {
      const inner = tokens(group[1]!);
      if (inner[0]?.startsWith("-")) {
        const problem = checkOption(cmd, pathSoFar, inner, 0);
        if (typeof problem === "string") return problem;
      }
      continue;
    }
    if (tok.startsWith("-")) {
      const used = checkOption(cmd, pathSoFar, args, i);
      if (typeof used === "string") return used;
      i += used;
      continue;
    }
    if (positionals === 0 && cmd.commands.length > 0) {
      const sub = cmd.commands.find((c) => c.name() === tok || c.aliases().includes(tok));
      if (sub) {
        cmd = sub;
        pathSoFar.push(tok);
        continue;
      }
      if (tok === "help") return undefined;
      if (cmd.registeredArguments.length === 0) {
        return `\`${pathSoFar.join(" ")}\` has no command "${tok}" (it has: ${cmd.commands.map((c) => c.name()).join(", ")})`;
      }
    }
    positionals++;
  }
  const declared = cmd.registeredArguments;
  const variadic = declared.some((a) => a.variadic);
  if (!variadic && positionals > declared.length) {
    return `\`${pathSoFar.join(" ")}\` takes at most ${declared.length} argument${declared.length === 1 ? "" : "s"}, got ${positionals}`;
  }
  const required = declared.filter((a) => a.required).length;
  // A bare command path (`spive plan` in prose) names the command; once anything follows, the arguments must be complete.
  if (args.length > pathSoFar.length - 1 && positionals < required) {
    return `\`${pathSoFar.join(" ")}\` needs ${required} argument${required === 1 ? "" : "s"} (${declared.map((a) => a.name()).join(", ")}), got ${positionals}`;
  }
  return undefined;
}

/** Checks an `npm …` or script line against package.json and the files on disk. */
function checkOther(text: string, scripts: Record<string, string>): string | undefined {
  const npm = NPM.exec(text);
  if (npm) {
    const name = npm[1] ?? npm[2]!;
    // `npm run bench:*` names a family of scripts: at least one must exist.
    const pattern = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    return Object.keys(scripts).some((k) => pattern.test(k)) ? undefined : `package.json has no script "${name}"`;
  }
  const file = SCRIPT.exec(text)![1]!;
  return fs.existsSync(path.join(REPO_ROOT, file)) ? undefined : `${file} does not exist`;
}

/** The README, every doc under docs/ and the examples' READMEs. */
function documents(): { file: string; text: string }[] {
  const mdIn = (dir: string): string[] =>
    fs.existsSync(path.join(REPO_ROOT, dir))
      ? fs.readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
      : [];
  return ["README.md", ...mdIn("docs"), ...mdIn("examples")].sort().map((file) => ({ file, text: fs.readFileSync(path.join(REPO_ROOT, file), "utf8") }));
}

// buildProgram() require()s every cli/commands/*.ts module, which vitest's transform does not see; tsx compiles them, as bin/spive.js does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require("tsx/cjs/api") as { register(): () => void }).register();
const program = buildProgram();
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("the command checker", () => {
  it.each([
    ["npx spive diagram --stacks-dir examples/small-prod1", undefined],
    ["spive diagram --write", undefined],
    ["node bin/spive.js rollout plan prod1 --json", undefined],
    ["spive rollout plan <stack> [--json]", undefined],
    ["spive rollout", undefined],
    ["spive diagram --nope", "`spive diagram` has no option --nope"],
    ["spive diagram --stacks-dir", "`spive diagram --stacks-dir` needs a value"],
    ["spive diagram [--stacks-dir DIR] [--write]", undefined],
    ["spive diagram [--nope X]", "`spive diagram` has no option --nope"],
    ["spive nosuch thing", "`spive` has no command \"nosuch\""],
    ["spive rollout plan", undefined],
    ["spive rollout plan prod1 prod2", "`spive rollout plan` takes at most 1 argument, got 2"],
    ["spive rollout plan --json", "`spive rollout plan` needs 1 argument (stack), got 0"],
  ])("%s", (line, problem) => {
    const got = checkSpive(program, line);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it("finds commands in shell fences and inline code, but not in YAML or Mermaid, and skips other tools", () => {
    const md = [
      "Run `npx spive diagram` or `spive-prod1-s0` (a name), `kubectl -n spive rollout status x`.",
      "```sh",
      "$ npm ci && npm test   # the CI command",
      "FOO=1 npx spive rollout plan prod1 --json | jq . > out.json",
      "dev-0/stop.sh",
      "npx spive diff prod1 \\",
      "  --base origin/main",
      "spive policy prod1: 30 rules checked against 948 resources: no violations.",
      "```",
      "```mermaid",
      "spive diagram --nope",
      "```",
    ].join("\n");
    expect(commandsIn(md, "x.md")).toEqual([
      { where: "x.md:1", text: "npx spive diagram" },
      { where: "x.md:3", text: "npm test" },
      { where: "x.md:4", text: "npx spive rollout plan prod1 --json" },
      { where: "x.md:5", text: "dev-0/stop.sh" },
      { where: "x.md:7", text: "npx spive diff prod1    --base origin/main" },
    ]);
    expect(checkOther("npm run nosuch", scripts)).toBe('package.json has no script "nosuch"');
    expect(checkOther("npm run bench:*", scripts)).toBeUndefined();
    expect(checkOther("npm run nosuch:*", scripts)).toBe('package.json has no script "nosuch:*"');
    expect(checkOther("dev-9/nosuch.sh", scripts)).toBe("dev-9/nosuch.sh does not exist");
  });
});

describe("every command in README.md, docs/ and examples/ exists", () => {
  const found = documents().flatMap((d) => commandsIn(d.text, d.file));

  it("finds the commands the README promises", () => {
    const readme = found.filter((f) => f.where.startsWith("README.md:")).map((f) => f.text);
    for (const cmd of ["plan", "diff", "bootstrap", "status", "rollout", "policy", "diagram"]) {
      expect(readme.some((t) => new RegExp(`^(?:npx )?spive ${cmd}\\b`).test(t)), `README.md shows no \`spive ${cmd}\``).toBe(true);
    }
    expect(readme).toContain("npm test");
    expect(readme).toContain("npm start");
  });

  it("parses each one against the real CLI, package.json and the files on disk", () => {
    const problems = found
      .map((f) => {
        const problem = SPIVE.test(f.text) ? checkSpive(program, f.text) : checkOther(f.text, scripts);
        return problem && `${f.where} \`${f.text}\`: ${problem}`;
      })
      .filter((p): p is string => p !== undefined);
    expect(problems).toEqual([]);
  });
});
