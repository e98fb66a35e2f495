import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register } from "../cli/commands/rollout";
import { runCommand } from "./helpers/cli";
import { run as runProcess } from "./helpers/proc";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { formatRolloutTable, rolloutReport, type RolloutReport } from "../rollout/report";
import { minWaves } from "../rollout/waves";

/** Runs `spive <args>` in-process with only the rollout command registered. */
const run = (args: string[]) => runCommand(register, args);

afterEach(() => vi.restoreAllMocks());

describe("spive rollout plan (in-process)", () => {
  it("prints prod1's waves as a table with the estimated duration", async () => {
    const { stdout, stderr, exitCode } = await run(["rollout", "plan", "prod1"]);
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
    const cfg = loadStackConfig("prod1");
    const layer = cfg["spive:layer"];
    const policy = cfg["spive:rollout"]!;
    const n = minWaves(layer.regions.length, 2, policy);
    expect(stdout).toMatch(/^wave\s+zones\s+placements\s+cumulative\s+start\s+regions \/ zones$/m);
    expect(stdout).toMatch(/^0\s+1\s+2\s+\d+\.\d%\s+\+0s\s+europe-west1-b$/m);
    const rows = stdout.split("\n").filter((l) => /^\d+\s+\d+\s+\d+\s/.test(l));
    expect(rows).toHaveLength(n);
    expect(rows[rows.length - 1]).toMatch(/\s100\.0%\s/);
    const total = n * policy.waveMinutes * 60 + (policy.bakeSeconds > 0 ? (n - 1) * policy.bakeSeconds : 0);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    expect(stdout).toContain(`${n} waves (fewest the policy allows: ${n}; one zone at a time: ${2 * layer.regions.length}).`);
    expect(stdout).toContain(`Estimated duration: ${h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m`}`);
  });

  it("prints JSON with --json, consistent with the table's report", async () => {
    const { stdout, exitCode } = await run(["rollout", "plan", "prod2", "--json"]);
    expect(exitCode).toBe(0);
    const report = JSON.parse(stdout) as RolloutReport;
    expect(report).toEqual(JSON.parse(JSON.stringify(rolloutReport("prod2", loadStackConfig("prod2")))));
    expect(report.stack).toBe("prod2");
    expect(report.waves[0]!.zones).toEqual(["europe-west1-b"]);
    expect(report.waves.flatMap((w) => w.zones).sort()).toEqual(
      loadStackConfig("prod2")["spive:layer"].regions.flatMap((r) => r.zones).sort(),
    );
  });

  it("fails with one sentence and exit code 1 for a stack without a rollout policy", async () => {
    const { stdout, stderr, exitCode } = await run(["rollout", "plan", "prod0"]);
    expect(exitCode).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^spive rollout plan: Stack prod0 has no rolling-upgrade policy: expected a spive:rollout block in stacks\/Pulumi\.prod0\.yaml, got none/);
  });

  it("fails with exit code 1 and the message every command gives for an unknown stack or a malformed name", async () => {
    for (const name of ["prod9", "../prod1"]) {
      const r = await run(["rollout", "plan", name]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toBe(`spive rollout plan: expected a stack name, one of prod0, prod1, prod2, prod3; got ${JSON.stringify(name)}.\n`);
    }
  });

  it("reads another stacks folder with --stacks-dir, as plan and policy do", async () => {
    const r = await run(["rollout", "plan", "prod1", "--stacks-dir", path.join(REPO_ROOT, "examples", "small-prod1"), "--json"]);
    expect(r.exitCode).toBe(0);
    // The small setup's two regions, not the committed prod1's forty-two.
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: "prod1", regions: loadStackConfig("prod1", path.join(REPO_ROOT, "examples", "small-prod1"))["spive:layer"].regions.length });
    expect(JSON.parse(r.stdout).regions).not.toBe(loadStackConfig("prod1")["spive:layer"].regions.length);
    const missing = await run(["rollout", "plan", "prod2", "--stacks-dir", "nowhere"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^spive rollout plan: .*nowhere\/Pulumi\.prod2\.yaml: expected a stack config file, got none/);
  });
});

describe("rollout report of the committed stacks", () => {
  it.each(["prod1", "prod2", "prod3"])("%s: waves cover every zone once, reach the bound, and the table lists them all", (stack) => {
    const cfg = loadStackConfig(stack);
    const report = rolloutReport(stack, cfg);
    const zones = cfg["spive:layer"].regions.flatMap((r) => r.zones);
    expect(report.waves.flatMap((w) => w.zones).sort()).toEqual([...zones].sort());
    expect(report.waves).toHaveLength(report.minWaves);
    expect(report.waves[0]!.regions).toEqual([cfg["spive:rollout"]!.canaryRegion]);
    expect(report.waves.at(-1)!.cumulativePercent).toBe(100);
    expect(report.placements).toBe(zones.length * cfg["spive:layer"].shards);
    const table = formatRolloutTable(report);
    for (const z of zones) expect(table).toContain(z);
  });
});

describe("bin/spive.js (spawned)", () => {
  it("runs `rollout plan prod1 --json` end to end through the CLI entry point", async () => {
    const res = await runProcess(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "rollout", "plan", "prod1", "--json"], { cwd: REPO_ROOT });
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout) as RolloutReport;
    expect(report.stack).toBe("prod1");
    expect(report.waves).toHaveLength(report.minWaves);
    expect(report.oneZoneAtATimeWaves).toBe(report.zones);
  });

  it("exits 1 for prod0, which has no rollout policy", async () => {
    const res = await runProcess(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "rollout", "plan", "prod0"], { cwd: REPO_ROOT });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/has no rolling-upgrade policy/);
  });
});
