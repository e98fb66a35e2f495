import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devBinding } from "../doubles/dev";
import { alive, Harness, ids } from "./bootstrap-harness";

// End to end against the doubles (real processes on loopback): runs in a row
// replace the installation with exactly the log's instances, and an invalid
// log stops at validate with the running installation untouched.

const h = new Harness();
afterAll(() => h.dispose());

describe("dev-0r (two runner hosts, one per zone)", () => {
  beforeAll(() => h.up("dev-0r"));

  it("two runs in a row: the second wipes the first's instances and recreates exactly the log's set", async () => {
    const first = h.log("first", 6, "first");
    const second = h.log("second", 8, "second");
    const r1 = await h.run("dev-0r", first);
    expect(r1.ok, r1.ok ? "" : r1.error.message).toBe(true);
    const s1 = await h.status("dev-0r");
    expect(ids(s1)).toEqual(Array.from({ length: 6 }, (_, i) => `first-${i}`).sort());
    expect(s1.instances.every((i) => i.state === "running" && i.host.endsWith(`${i.zone}-0`))).toBe(true);

    const r2 = await h.run("dev-0r", second);
    expect(r2.ok, r2.ok ? "" : r2.error.message).toBe(true);
    if (!r2.ok) return;
    expect(r2.result.wipe.reduce((n, w) => n + w.deleted, 0)).toBe(6);
    const s2 = await h.status("dev-0r");
    expect(ids(s2)).toEqual(Array.from({ length: 8 }, (_, i) => `second-${i}`).sort());
    // The first run's instance processes are gone, and so are both runs' bootstrap instances.
    expect(alive(s1.instances.map((i) => i.pid!))).toEqual([]);
    expect(alive([...r1.pids, ...r2.pids])).toEqual([]);
    expect(r2.pids).toHaveLength(2);
  });

  it("an invalid log fails in phase validate and leaves the running installation untouched", async () => {
    const before = await h.status("dev-0r");
    expect(before.instances.length).toBeGreaterThan(0);
    const bad = h.log("bad", 4);
    fs.writeFileSync(bad, fs.readFileSync(bad, "utf8").replace('"zone":"europe-west1-c"', '"zone":"europe-west9-z"'));
    const r = await h.run("dev-0r", bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("validate");
    expect(r.error.message).toMatch(/^bootstrap failed in phase validate: the log is invalid, nothing was touched: .*bad\.jsonl:\d+ CreateInstance\.zone: zone "europe-west9-z" is not declared by the prod0 stack/);
    expect(r.error.message.split("\n")).toHaveLength(1);
    expect(r.pids).toEqual([]);
    const after = await h.status("dev-0r");
    expect(after.instances).toEqual(before.instances);
  });
});

describe("the preflight of the real binding", () => {
  it("an instance command that cannot serve the binding fails in phase dry-replay, before anything is wiped", async () => {
    const before = await h.status("dev-0r");
    const local = devBinding("dev-0r", h.root);
    const spanner = { ...local, eventStore: { kind: "spanner" as const, project: "spive-prod0", instance: "spive-prod0-events", database: "spive-events" } };
    const r = await h.run("dev-0r", h.log("preflight", 4, "preflight"), { binding: spanner });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/^bootstrap failed in phase dry-replay: the instance command cannot serve the dev-0r binding \(--check exited with code 1\): This SpiveProdBootstrap double writes streams only to a local event store; the binding gives a spanner store/);
    expect(alive(r.pids)).toEqual([]);
    expect((await h.status("dev-0r")).instances).toEqual(before.instances);
  });
});

describe("dev-0 (one runner host serving both zones)", () => {
  it("runs the same bootstrap and the wipe of an empty host succeeds", async () => {
    await h.up("dev-0");
    const r = await h.run("dev-0", h.log("single", 4));
    expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
    if (!r.ok) return;
    expect(r.result.wipe).toEqual([expect.objectContaining({ host: "dev-0-basic-runner-0", deleted: 0 })]);
    const s = await h.status("dev-0");
    expect(s.hosts).toHaveLength(1);
    expect(new Set(s.instances.map((i) => i.zone))).toEqual(new Set(["europe-west1-b", "europe-west1-c"]));
    expect(r.result.stopDelayMs).not.toBeNull();
  });
});
