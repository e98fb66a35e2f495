import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { run } from "./helpers/proc";

/**
 * The cost part of `spive diff`, end to end through the CLI and git: a copy
 * of this working tree is committed as the base, prod2's node pool floor is
 * raised in its working tree, and the pull-request Markdown must open with a
 * cost alert for prod2 and its cost table, naming the node pools as the cause.
 */

let repo: string;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=spive-test", "-c", "user.email=test@spive.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" });
}

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "spive-cost-e2e-"));
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

describe("spive diff with costs", () => {
  it("opens the comment with a cost alert when a change raises a stack's estimate above its threshold", async () => {
    const stackFile = path.join(repo, "stacks", "Pulumi.prod2.yaml");
    const yaml = fs.readFileSync(stackFile, "utf8");
    expect(yaml).toMatch(/^      minNodesPerZone: 1$/m);
    expect(yaml).toMatch(/^    thresholdUsdPerMonth: 500$/m);
    fs.writeFileSync(stackFile, yaml.replace(/^      minNodesPerZone: 1$/m, "      minNodesPerZone: 2"));

    const r = await run(process.execPath, [path.join(repo, "bin", "spive.js"), "diff", "prod2", "--base", "HEAD", "--timeout", "120"], { cwd: repo, timeout: 150_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual(["<!-- spive-diff -->", "## Offline preview diff: prod2"]);
    // One more node per zone in 8 regions: 16 e2-standard-4 nodes with their disks and NAT VM-hours,
    // each 4 × 730 × 0.021811 + 16 × 730 × 0.002923 + 50 × 0.10 + 730 × 0.0014 = 103.85 → +$1,662 at the floor, $0 at the ceiling.
    expect(lines[3]).toMatch(/^> \*\*Cost alert: prod2 \+\$1,662 → \$0 per month\*\* \(\$\S+ → \$\S+ → \$\S+ → \$\S+\), above this stack's threshold of \$500 /);
    expect(lines[5]).toBe("#### Monthly cost estimate");
    const row = lines.find((l) => l.startsWith("| prod2 |"))!;
    expect(row).toMatch(/\| \+\$1,662 → \$0 ⚠ \| `NodePool` `spive-prod2-[a-z0-9-]+-pool` \+\$206 → \$0; /);
    expect(r.stdout.indexOf("Cost alert")).toBeLessThan(r.stdout.indexOf("### prod2: 0 added, 0 removed, 8 changed"));
  }, 200_000);
});
