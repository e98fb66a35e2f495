import { afterEach, describe, expect, it, vi } from "vitest";
import { Command } from "commander";
import { describeResult, progressPrinter, register as registerRun } from "../cli/commands/bootstrap-run";
import { register as registerStatus } from "../cli/commands/status";

// The CLI side of the bootstrap: progress lines on a non-terminal, the
// summary line, and one-line failures for a bad target or a target that is
// not running, with a non-zero exit code.

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(argv: string[]): Promise<{ stderr: string; code: number | string | undefined }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  const program = new Command("spive").exitOverride();
  registerRun(program);
  registerStatus(program);
  await program.parseAsync(["node", "spive", ...argv]);
  return { stderr, code: process.exitCode };
}

describe("bootstrap run (CLI)", () => {
  it("prints phases and progress in 10 % steps when not on a terminal", () => {
    const out: string[] = [];
    const p = progressPrinter((s) => out.push(s), false);
    p({ type: "phase-start", phase: "wait", rehearsal: false });
    for (let pos = 1; pos <= 40; pos++) p({ type: "progress", rehearsal: false, position: pos, lastPosition: 40 });
    p({ type: "phase-end", phase: "wait", rehearsal: false, ms: 12, note: "consumed 40/40" });
    const progress = out.filter((l) => l.includes("position"));
    expect(out[0]).toBe("bootstrap: wait …\n");
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.length).toBeLessThanOrEqual(11);
    expect(progress[progress.length - 1]).toBe("bootstrap: wait: position 40/40 (100 %)\n");
    expect(out[out.length - 1]).toBe("bootstrap: wait done in 12 ms (consumed 40/40)\n");
  });

  it("sums a successful run up in one line", () => {
    const line = describeResult("dev-0", { runId: "ci-42-1", logSha256: "ab".repeat(32), lastPosition: 17, instances: 2, phaseMs: { validate: 500, wait: 1000 }, wipe: [], wipeWallMs: 0, stopDelayMs: 4, stopDoneMs: 30 });
    expect(line).toBe(`bootstrap of dev-0 done in 1.5 s: 2 instances running, log consumed to position 17, instance stopped 4 ms after its last event; run ci-42-1, log sha256 ${"ab".repeat(32)}.\n`);
  });

  it.each([
    [["status", "--target", "dev-0r"], /^spive status: dev-0r is not running \(no live doubles recorded in .*\); start it with dev-0r\/start\.sh\.\n$/],
  ])("%j fails with one line and exit code 1", async (argv, message) => {
    const env = { SPIVE_STATE_DIR: process.env.SPIVE_STATE_DIR, SPIVE_BOOTSTRAP_BINDING: process.env.SPIVE_BOOTSTRAP_BINDING };
    process.env.SPIVE_STATE_DIR = "/nonexistent/spive-state";
    delete process.env.SPIVE_BOOTSTRAP_BINDING;
    try {
      const { stderr, code } = await run(argv);
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});
