import { describe, expect, it } from "vitest";
import { CHECKS, runConformance, type CheckResult } from "../bootstrap/conformance/suite";
import { parseCommand } from "../bootstrap/driver/instance-process";
import { REPO_ROOT } from "../config/load";
import { run as runProc } from "./helpers/proc";

/** Runs `node bin/spive.js <args>` at the repository root. */
function spive(args: readonly string[]) {
  return runProc(process.execPath, ["bin/spive.js", ...args], { cwd: REPO_ROOT, timeout: 600_000 });
}

/**
 * Issue 13, must-have 7: the conformance kit of the bootstrap instance
 * contract. The double conforms; each deliberately broken instance
 * (test/fixtures/broken-instance.ts) fails the check it breaks, with a
 * clear reason.
 */

const DOUBLE = "node --require tsx/cjs doubles/bin/serve.ts bootstrap-instance";
const broken = (mode: string) => parseCommand(`node --require tsx/cjs test/fixtures/broken-instance.ts ${mode}`);
const run = (mode: string, check: (typeof CHECKS)[number]) => runConformance({ command: broken(mode), cwd: REPO_ROOT, bounds: { stopMs: 5_000, startMs: 20_000 }, only: [check] });
const byName = (results: readonly CheckResult[], name: (typeof CHECKS)[number]) => results.find((r) => r.name === name)!;

describe("spive bootstrap conformance", () => {
  it("the SpiveProdBootstrap double conforms: every check passes, exit 0", async () => {
    const r = await spive(["bootstrap", "conformance", "--command", DOUBLE, "--json"]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { ok: boolean; results: CheckResult[] };
    expect(out.results.filter((x) => !x.ok)).toEqual([]);
    expect(out.results.map((x) => x.name)).toEqual([...CHECKS]);
    expect(out.ok).toBe(true);
    expect(r.status).toBe(0);
  }, 600_000);

  it.each([
    ["no-handshake", "startup handshake", /did not happen within|exited .* before it listened/],
    ["check-accepts-anything", "check refuses a bad binding", /^--check with a binding that has no runner host and an unknown event store exited 0; expected a non-zero exit/],
    ["check-contacts-runner", "check accepts a binding it can serve", /^--check called the runner hosts 1 time\(s\); expected it to contact nothing\.$/],
    ["done-early", "consume to the last position", /^the instance reports done at position (\d+); expected done only at the log's last position \d+\.$/],
    ["bad-progress", "progress", /GET \/v1\/progress.* failed: .* broke the contract at doneAt/],
    ["not-idempotent", "idempotent CreateStream", /^run 2 on the same binding: the instance failed: line \d+ CreateStream: stream gid:prod0\/spive already exists\.$/],
    ["ignores-sigterm", "stop on SIGTERM within the bound", /^the instance did not exit within 5000 ms of SIGTERM .* and was killed; expected it to exit on SIGTERM\.$/],
    ["acts-after-exit", "stop on SIGTERM within the bound", /^the runner hosts received 1 call\(s\) within 3000 ms after the instance exited; expected no side effect after SIGTERM/],
  ] as const)("a broken instance (%s) fails %s with a clear reason", async (mode, check, reason) => {
    // Only the check it breaks (the whole kit against the double is the first test).
    const results = await run(mode, check);
    const r = byName(results, check);
    expect(r.ok, JSON.stringify(results, null, 2)).toBe(false);
    expect(r.reason).toMatch(reason);
  }, 600_000);

  it("exits 1 naming the failed checks", async () => {
    const r = await spive(["bootstrap", "conformance", "--command", "node --require tsx/cjs test/fixtures/broken-instance.ts check-accepts-anything"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/does not conform: 1 of 7 checks failed \(check refuses a bad binding\)\.\n$/);
    expect(r.stderr).toContain("FAIL  check refuses a bad binding: --check with a binding that has no runner host");
  }, 600_000);
});
