import { afterAll, describe, expect, it } from "vitest";
import { killGroup, isAlive } from "../doubles/launch";
import { alive, Harness, ids, TEST_TIMEOUTS } from "./bootstrap-harness";

// The runner-side fault matrix, end to end on dev-0r (two runner host
// processes on loopback): a host down before the wipe, a host dying in the
// middle of the wipe, a host refusing an instance. Each run fails non-zero
// within its phase's timeout with one line naming the phase and the host,
// leaves no bootstrap process behind, and the next run succeeds.

const h = new Harness();
afterAll(() => h.dispose());
const HOST_B = "dev-0r-basic-runner-europe-west1-b-0";
const HOST_C = "dev-0r-basic-runner-europe-west1-c-0";
const seconds = (phase: string) => Number(TEST_TIMEOUTS.find((t) => t.startsWith(`${phase}=`))!.split("=")[1]);

async function expectNextRunSucceeds(log: string, expected: number): Promise<void> {
  const next = await h.run("dev-0r", log);
  expect(next.ok, next.ok ? "" : next.error.message).toBe(true);
  expect(alive(next.pids)).toEqual([]);
  expect((await h.status("dev-0r")).instances.filter((i) => i.state === "running")).toHaveLength(expected);
}

describe("runner faults", () => {
  const log = h.log("faults", 6);

  it("a runner host down before the wipe: phase lease (the first contact) names the host, and nothing was wiped", async () => {
    await h.up("dev-0r");
    const ok = await h.run("dev-0r", log);
    expect(ok.ok, ok.ok ? "" : ok.error.message).toBe(true);
    const before = await h.status("dev-0r");
    const pidC = h.pids("dev-0r")[HOST_C]!;
    killGroup(pidC, "SIGKILL");
    while (isAlive(pidC)) await new Promise((r) => setTimeout(r, 10));

    const r = await h.run("dev-0r", log);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("lease");
    expect(r.error.host).toBe(HOST_C);
    expect(r.error.message).toMatch(new RegExp(`^bootstrap failed in phase lease \\(runner host ${HOST_C}\\): the runner host did not grant the bootstrap lease, nothing was touched: PUT http://127\\.0\\.0\\.1:\\d+/v1/lease could not reach the host`));
    expect(r.ms).toBeLessThan(seconds("validate") * 1000 + seconds("lease") * 1000 + 10_000);
    expect(alive(r.pids)).toEqual([]);
    // The live host was not wiped.
    const after = await h.status("dev-0r");
    expect(after.instances.filter((i) => i.host === HOST_B)).toEqual(before.instances.filter((i) => i.host === HOST_B));

    await h.down("dev-0r");
    await h.up("dev-0r");
    await expectNextRunSucceeds(log, 6);
  });

  it("a runner host dying in the middle of the wipe: phase wipe names it", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r", { [HOST_B]: ["--die-on-wipe"] });
    // The first run wipes empty hosts (the fault needs instances to wipe) and starts some.
    const first = await h.run("dev-0r", log);
    expect(first.ok, first.ok ? "" : first.error.message).toBe(true);
    const before = await h.status("dev-0r");

    const r = await h.run("dev-0r", log);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("wipe");
    expect(r.error.host).toBe(HOST_B);
    expect(r.error.message).toMatch(/the wipe did not complete: DELETE http:\/\/127\.0\.0\.1:\d+\/v1\/instances could not reach the host \(ECONNRESET|socket hang up/);
    expect(alive(r.pids)).toEqual([]);
    // The dead host took its instances with it.
    expect(alive(before.instances.filter((i) => i.host === HOST_B).map((i) => i.pid!))).toEqual([]);

    await h.down("dev-0r");
    await h.up("dev-0r");
    await expectNextRunSucceeds(log, 6);
  });

  it("a runner host refusing an instance: phase wait names the refusal, the instance is stopped", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r", { [HOST_C]: ["--refuse", "spive-prod0-3"] });
    const r = await h.run("dev-0r", log);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("wait");
    expect(r.error.message).toMatch(/^bootstrap failed in phase wait: the bootstrap instance failed at position \d+ of 13: line 10 CreateInstance: PUT http:\/\/127\.0\.0\.1:\d+\/v1\/instances\/spive-prod0-3 answered 403: Runner host dev-0r-basic-runner-europe-west1-c-0 refuses instance spive-prod0-3/);
    expect(r.pids).toHaveLength(2);
    expect(alive(r.pids)).toEqual([]);
    expect(ids(await h.status("dev-0r"))).not.toContain("spive-prod0-3");

    await h.down("dev-0r");
    await h.up("dev-0r");
    await expectNextRunSucceeds(log, 6);
  });
});
