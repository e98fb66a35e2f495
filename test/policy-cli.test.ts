import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../cli/commands/policy";
import { runCommand } from "./helpers/cli";
import { run as runProcess } from "./helpers/proc";
import { REPO_ROOT, STACKS_DIR } from "../config/load";
import { RULES } from "../policy/registry";
import type { PolicyReport } from "../policy/report";

/** Runs `spive <args>` in-process with only the policy command registered. */
const run = (args: string[]) => runCommand(register, args);

/**
 * A stacks folder whose prod0 config is valid for the schema but opens the
 * runner API firewall to the whole internet on the RDP port: exactly the
 * kind of change only the policy pack catches.
 */
let violatingDir: string;

beforeAll(() => {
  violatingDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-policy-"));
  for (const f of fs.readdirSync(STACKS_DIR)) fs.copyFileSync(path.join(STACKS_DIR, f), path.join(violatingDir, f));
  const file = path.join(violatingDir, "Pulumi.prod0.yaml");
  const text = fs.readFileSync(file, "utf8");
  const changed = text.replace("apiPort: 7070", "apiPort: 3389").replace(/(  spive:network:\n    cidr: \S+\n)/, "$1    deployerCidrs: [0.0.0.0/0]\n");
  expect(changed).toContain("deployerCidrs: [0.0.0.0/0]");
  expect(changed).toContain("apiPort: 3389");
  fs.writeFileSync(file, changed);
});

afterAll(() => fs.rmSync(violatingDir, { recursive: true, force: true }));

describe("spive policy <stack>", () => {
  it("prints a clean summary (rules and resources checked) and exits 0 for a committed stack", async () => {
    const { stdout, stderr, exitCode } = await run(["policy", "prod0"]);
    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(new RegExp(`^spive policy prod0: ${RULES.length} rules checked against \\d+ resources: no violations\\.\\n$`));
  });

  it("prints every violation, grouped by rule with its control, and exits 1 for a violating config", async () => {
    const { stdout, stderr, exitCode } = await run(["policy", "prod0", "--stacks-dir", violatingDir]);
    expect(stderr).toBe("");
    expect(exitCode).toBe(1);
    expect(stdout.split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^spive policy prod0: 1 violation of 1 rule \\(${RULES.length} rules checked against \\d+ resources\\):$`)),
      "  firewall-no-internet-admin-ports [CIS GCP Foundations Benchmark 2.0.0 3.6, 3.7]",
      '    gcp:compute/firewall:Firewall "spive-prod0-allow-deployer-to-runner-api" > allows.0: expected no RDP (tcp/3389) open to the internet, got {"ports":["3389"],"protocol":"tcp"} from 0.0.0.0/0.',
      "",
    ]);
  });

  it("prints the report as JSON with --json", async () => {
    const { stdout, exitCode } = await run(["policy", "prod0", "--json", "--stacks-dir", violatingDir]);
    expect(exitCode).toBe(1);
    const report = JSON.parse(stdout) as PolicyReport;
    expect(report.stack).toBe("prod0");
    expect(report.rulesChecked).toBe(RULES.length);
    expect(report.violations.map((v) => [v.ruleId, v.name])).toEqual([["firewall-no-internet-admin-ports", "spive-prod0-allow-deployer-to-runner-api"]]);
  });

  it("exits 2 with one sentence on stderr when the stack cannot be evaluated", async () => {
    const unknown = await run(["policy", "prod9"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe('spive policy: expected a stack name, one of prod0, prod1, prod2, prod3; got "prod9".\n');
  });

  it("exits 1 from the real binary on a violating config", async () => {
    const r = await runProcess(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "policy", "prod0", "--stacks-dir", violatingDir], { cwd: REPO_ROOT });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("firewall-no-internet-admin-ports");
  });
});
