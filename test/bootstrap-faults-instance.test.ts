import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { INSTANCE_FAULT_ENV } from "../doubles/bootstrap-instance";
import { alive, Harness, ids, TEST_TIMEOUTS } from "./bootstrap-harness";

// The instance-side fault matrix, end to end on dev-0r: the bootstrap
// instance crashing at 1 %, 50 % and 99 % of the log, hanging (the wait
// phase times out), and SIGTERM to the driver while it waits. Each run fails
// non-zero within its timeout with one line naming the phase, no bootstrap
// process is left behind, and the next run succeeds. Faults are injected
// through SPIVE_FAULT_INSTANCE (real run only; the dry replay is clean).

const h = new Harness();
const INSTANCES = 13; // 20 events: 1 % is position 1, 50 % position 10, 99 % position 19 (the End is 20).
let log: string;

beforeAll(async () => {
  log = h.log("instance-faults", INSTANCES);
  await h.up("dev-0r");
});
afterAll(() => h.dispose());

async function expectNextRunSucceeds(): Promise<void> {
  const next = await h.run("dev-0r", log);
  expect(next.ok, next.ok ? "" : next.error.message).toBe(true);
  expect(alive(next.pids)).toEqual([]);
  expect(ids(await h.status("dev-0r"))).toHaveLength(INSTANCES);
}

describe("bootstrap instance faults", () => {
  it.each([
    [0.01, 1],
    [0.5, 10],
    [0.99, 19],
  ])("the instance crashing at %s of the log (position %s): phase wait names the exit", async (fraction, position) => {
    const r = await h.run("dev-0r", log, { env: { [INSTANCE_FAULT_ENV]: `run:crash@${fraction}` } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("wait");
    expect(r.error.message).toMatch(/^bootstrap failed in phase wait: the bootstrap instance exited \(code 70\) at position (\d+) of 20$/);
    expect(Number(/at position (\d+)/.exec(r.error.message)![1])).toBeLessThanOrEqual(position);
    expect(r.pids).toHaveLength(2);
    expect(alive(r.pids)).toEqual([]);
    await expectNextRunSucceeds();
  });

  it("the instance hanging: phase wait times out within its bound and the instance is stopped", async () => {
    const r = await h.run("dev-0r", log, { env: { [INSTANCE_FAULT_ENV]: "run:hang@0.5" }, timeouts: ["wait=2"] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe("bootstrap failed in phase wait: did not finish within 2 s (spive:bootstrap.timeouts.consumeSeconds)");
    expect(alive(r.pids)).toEqual([]);
    await expectNextRunSucceeds();
  });

  it("SIGTERM to the driver while it waits: exit 143, phase wait named, the instance stopped", async () => {
    const driver = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "run", "--target", "dev-0r", "--log", log, ...TEST_TIMEOUTS.flatMap((t) => ["--timeout", t])], {
      cwd: REPO_ROOT,
      env: { ...process.env, SPIVE_STATE_DIR: h.root, [INSTANCE_FAULT_ENV]: "run:hang@0.5" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let signalled = false;
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => driver.once("exit", (code) => resolve({ code, stderr })));
    driver.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      // Waiting and stuck at 50 %: the real run's instance is up and has made progress.
      if (!signalled && /bootstrap: wait …/.test(stderr) && /wait: position [1-9]\d*\/20/.test(stderr)) {
        signalled = true;
        driver.kill("SIGTERM");
      }
    });
    const done = await exited;
    expect(signalled).toBe(true);
    expect(done.code).toBe(143);
    const lines = done.stderr.trim().split("\n");
    expect(lines[lines.length - 1]).toBe("spive bootstrap run: bootstrap failed in phase wait: interrupted by SIGTERM; the bootstrap instance is stopped");
    const pids = [...done.stderr.matchAll(/SpiveProdBootstrap instance pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(1);
    expect(alive(pids)).toEqual([]);
    await expectNextRunSucceeds();
  });
});
