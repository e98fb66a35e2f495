import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { parseSnapshot, snapshotOf } from "../plan/snapshot";
import { evaluateStack } from "../plan/stack";
import { run } from "./helpers/proc";

/**
 * End to end through the CLI and git: a throwaway repository holding a copy
 * of this working tree is committed as the base, then prod0's config and the
 * bootstrap log are changed in its working tree, and `spive diff prod0
 * --base HEAD` must report exactly those changes.
 */

let repo: string;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=spive-test", "-c", "user.email=test@spive.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" });
}

async function spive(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await run(process.execPath, [path.join(cwd, "bin", "spive.js"), ...args], { cwd, timeout: 150_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "spive-diff-e2e-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0");
  for (const file of files) {
    const from = path.join(REPO_ROOT, file);
    if (!file || !fs.existsSync(from) || !fs.statSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.copyFileSync(from, path.join(repo, file));
  }
  git("init", "-q");
  fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules\n");
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
});

afterAll(() => {
  if (repo) {
    fs.unlinkSync(path.join(repo, "node_modules"));
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

describe("spive diff against a git base revision", () => {
  it("reports exactly a prod0 config change and a bootstrap log change, and cleans up after itself", async () => {
    const stackFile = path.join(repo, "stacks", "Pulumi.prod0.yaml");
    const yaml = fs.readFileSync(stackFile, "utf8");
    expect(yaml).toMatch(/^    processingUnits: 100$/m);
    fs.writeFileSync(stackFile, yaml.replace(/^    processingUnits: 100$/m, "    processingUnits: 200"));
    const logFile = path.join(repo, "SpiveProdBootstrap.jsonl");
    const events = fs.readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const instance = events.find((e) => e.kind === "CreateInstance");
    instance.args = [...(instance.args ?? []), "--log-level=debug"];
    fs.writeFileSync(logFile, `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
    // The export of the base and the plan outputs must all be gone afterwards.
    // The command gets a temporary folder of its own, so files of other tests
    // running at the same time cannot be mistaken for its leftovers.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-diff-tmp-"));
    const leftovers = (): string[] => fs.readdirSync(tmp).filter((f) => /^spive-(base|plan)-/.test(f));

    const r = await spive(repo, ["diff", "prod0", "--base", "HEAD", "--timeout", "120"], { ...process.env, TMPDIR: tmp });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^Base `HEAD` \(`[0-9a-f]{12}`\) → this revision \([0-9a-f]{12} with uncommitted changes\)\./m);
    // The config change, and the log change as the bootstrap command's new log digest.
    expect(md).toContain("### prod0: 0 added, 0 removed, 2 changed");
    expect(md).toContain("| `gcp:spanner/instance:Instance` | 0 | 0 | 1 |");
    expect(md).toContain("| `command:local:Command` | 0 | 0 | 1 |");
    const changeLines = md.split("\n").filter((l) => /^- `[^@]/.test(l));
    expect(changeLines).toEqual([
      expect.stringMatching(/^- `triggers\[1\]`: `"sha256:[0-9a-f]{64}"` → `"sha256:[0-9a-f]{64}"`$/),
      "- `processingUnits`: `100` → `200`",
    ]);
    expect(md).toContain("### SpiveProdBootstrap.jsonl: 0 added, 0 removed, 1 changed, 0 moved events");
    expect(md).toContain(`- **~** \`CreateInstance ${instance.id}\``);
    expect(md).toContain(`  - \`args[${instance.args.length - 1}]\`: (absent) → \`"--log-level=debug"\``);
    expect(leftovers()).toEqual([]);
    fs.rmSync(tmp, { recursive: true, force: true });
    // Two revisions planned in child processes: about 20 s on a quiet 2-core machine, 60 s seen under load.
  }, 200_000);

  it("fails with one sentence for a ref that names no commit", async () => {
    const r = await spive(repo, ["diff", "prod0", "--base", "no-such-branch"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^spive diff: --base: the git ref "no-such-branch" does not name a commit in .+; fetch it first/);
  });
});

describe("spive plan", () => {
  it("prints the same snapshot as the in-process evaluation, as JSON", async () => {
    const r = await spive(REPO_ROOT, ["plan", "prod0", "--json"]);
    expect(r.status).toBe(0);
    const printed = parseSnapshot(JSON.parse(r.stdout), "spive plan prod0 --json");
    expect(printed).toEqual(snapshotOf("prod0", await evaluateStack("prod0", { preview: true })));
  }, 120_000);

  it("refuses an unknown stack with exit code 1", async () => {
    const r = await spive(REPO_ROOT, ["plan", "prod7"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('spive plan: expected a stack name, one of prod0, prod1, prod2, prod3; got "prod7".\n');
  });
});
