import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LEASE_HEADER, type LeaseHolder } from "../bootstrap/contracts/lease-api";
import { bootstrapInDoubt, describeLastBootstrap, lastBootstrapOf } from "../bootstrap/driver/status";
import { makeOwnedTempDir, OWNER_FILE, sweepStaleTempDirs } from "../bootstrap/driver/temp-dirs";
import { HttpError, type JsonRequest } from "../doubles/http-server";
import { LeaseTable } from "../doubles/lease";
import { parseJsonFile } from "../doubles/tracking";

// The lease table of the runner host double, the status's reading of the
// hosts' records, owned temporary folders and the file-error sentences, in
// process with a fake clock.

const holder = (runId: string, at = "2026-11-29T10:00:00.000Z"): LeaseHolder => ({ runId, host: "ci-runner-1", pid: 4242, startedAt: at });
const req = (method: string, p: string, body?: unknown, lease?: string): JsonRequest => ({
  method,
  path: p,
  query: new URLSearchParams(),
  body,
  closed: new AbortController().signal,
  headers: lease ? { [LEASE_HEADER]: lease } : {},
});
const answer = (t: LeaseTable, r: JsonRequest) => {
  try {
    return t.handle(r)!;
  } catch (err) {
    return { status: (err as HttpError).status, body: { error: (err as Error).message } };
  }
};

describe("the runner host's lease table", () => {
  it("grants one run, refuses another naming the holder, renews, releases with the outcome", () => {
    let now = Date.parse("2026-11-29T10:00:00.000Z");
    const t = new LeaseTable("host-b", () => now);
    const a = answer(t, req("PUT", "/v1/lease", { holder: holder("run-a"), ttlSeconds: 60, phase: "lease" }));
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ renewed: false, tookOver: null, lease: { expiresAt: "2026-11-29T10:01:00.000Z" } });
    const b = answer(t, req("PUT", "/v1/lease", { holder: holder("run-b"), ttlSeconds: 60, phase: "lease" }));
    expect(b.status).toBe(409);
    expect((b.body as { error: string }).error).toBe(
      "Runner host host-b is leased to bootstrap run run-a (host ci-runner-1, pid 4242, started 2026-11-29T10:00:00.000Z), in phase lease, until 2026-11-29T10:01:00.000Z; one bootstrap at a time: wait for that run to end or for its lease to expire.",
    );
    now += 30_000;
    const renewed = answer(t, req("PUT", "/v1/lease", { holder: holder("run-a"), ttlSeconds: 60, phase: "wipe" }));
    expect(renewed.body).toMatchObject({ renewed: true, lease: { phase: "wipe", expiresAt: "2026-11-29T10:01:30.000Z" } });
    // State-changing calls need the holder's run id.
    expect(() => t.admit(req("DELETE", "/v1/instances"))).toThrow(/^Runner host host-b is leased to bootstrap run run-a .*; DELETE \/v1\/instances carries no lease, so it is refused/);
    expect(() => t.admit(req("DELETE", "/v1/instances", undefined, "run-b"))).toThrow(/names run run-b, so it is refused/);
    expect(() => t.admit(req("DELETE", "/v1/instances", undefined, "run-a"))).not.toThrow();
    const released = answer(t, req("POST", "/v1/lease/release", { runId: "run-a", outcome: "succeeded", phase: "verify" }));
    expect(released.body).toMatchObject({ released: true, last: { outcome: "succeeded", phase: "verify" } });
    expect(t.status().lease).toBeNull();
    // After the release, a call naming the old lease is refused; one naming none is admitted.
    expect(() => t.admit(req("PUT", "/v1/instances/x", undefined, "run-a"))).toThrow(/holds no live lease for run run-a/);
    expect(() => t.admit(req("PUT", "/v1/instances/x"))).not.toThrow();
  });

  it("an expired lease is recorded as abandoned and taken over by the next run, not before", () => {
    let now = Date.parse("2026-11-29T10:00:00.000Z");
    const t = new LeaseTable("host-c", () => now);
    answer(t, req("PUT", "/v1/lease", { holder: holder("dead-run"), ttlSeconds: 10, phase: "wait" }));
    now += 9_000;
    expect(answer(t, req("PUT", "/v1/lease", { holder: holder("next-run"), ttlSeconds: 10, phase: "lease" })).status).toBe(409);
    now += 2_000;
    expect(t.status().last).toMatchObject({ holder: { runId: "dead-run" }, outcome: "abandoned", phase: "wait" });
    const taken = answer(t, req("PUT", "/v1/lease", { holder: holder("next-run"), ttlSeconds: 10, phase: "lease" }));
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ tookOver: { runId: "dead-run" } });
  });

  it("rejects a malformed request with a sentence", () => {
    const t = new LeaseTable("host-d");
    const bad = answer(t, req("PUT", "/v1/lease", { holder: { ...holder("run a"), pid: 1 }, ttlSeconds: 60, phase: "lease" }));
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/^PUT \/v1\/lease: holder\.runId: a run id/);
  });
});

describe("the last bootstrap in status", () => {
  const last = (runId: string, outcome: "running" | "succeeded" | "failed" | "abandoned", phase: string, at: string) => ({ holder: holder(runId, at), phase, outcome, logSha256: null, endedAt: outcome === "running" ? null : at, detail: outcome === "failed" ? "boom." : null });
  it("takes the newest run, and is in doubt only when it did not finish or failed after its wipe", () => {
    const ok = lastBootstrapOf([{ lease: null, last: last("old", "failed", "wait", "2026-11-29T09:00:00.000Z") }, { lease: null, last: last("new", "succeeded", "verify", "2026-11-29T10:00:00.000Z") }]);
    expect(ok).toMatchObject({ holder: { runId: "new" }, outcome: "succeeded" });
    expect(bootstrapInDoubt(ok)).toBe(false);
    const early = lastBootstrapOf([{ lease: null, last: last("x", "failed", "preflight", "2026-11-29T10:00:00.000Z") }]);
    expect(bootstrapInDoubt(early)).toBe(false);
    expect(describeLastBootstrap(early)).toMatch(/failed in phase preflight .*Nothing was touched by it\.$/);
    const late = lastBootstrapOf([{ lease: null, last: last("y", "failed", "wait", "2026-11-29T10:00:00.000Z") }]);
    expect(bootstrapInDoubt(late)).toBe(true);
    // Running with no live lease anywhere: its driver is gone.
    const gone = lastBootstrapOf([{ lease: null, last: last("z", "running", "wait", "2026-11-29T10:00:00.000Z") }]);
    expect(gone).toMatchObject({ outcome: "abandoned", unfinished: true, touched: true });
    expect(describeLastBootstrap(gone)).toMatch(/^last bootstrap: run z did not finish: it stopped in phase wait/);
    expect(describeLastBootstrap(null)).toBe("last bootstrap: none recorded by the runner hosts.");
  });
});

describe("owned temporary folders", () => {
  it("a folder whose owner died is removed; a live owner's and an ownerless one are kept", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "owned-test-"));
    try {
      const mine = makeOwnedTempDir("spive-run-", root);
      const ownerless = fs.mkdtempSync(path.join(root, "spive-run-"));
      // A folder owned by a process that has exited.
      const child = spawn(process.execPath, ["-e", "0"]);
      await new Promise((r) => child.once("exit", r));
      const dead = fs.mkdtempSync(path.join(root, "spive-run-"));
      fs.writeFileSync(path.join(dead, OWNER_FILE), JSON.stringify({ pid: child.pid, startTicks: 1, hostname: os.hostname() }));
      expect(sweepStaleTempDirs(root)).toEqual([dead]);
      expect(fs.existsSync(mine)).toBe(true);
      expect(fs.existsSync(ownerless)).toBe(true);
      expect((fs.statSync(mine).mode & 0o777).toString(8)).toBe("700");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("file errors", () => {
  it.each([
    ["", /^\/x\/state\.json:1: expected a state, got an empty file; fix it\.$/],
    ['{\n  "a": 1,\n  "b": oops\n}', /^\/x\/state\.json:3:\d+: expected a state, got text that is not JSON \(.*\); fix it\.$/],
  ])("%j names the file and line", (text, message) => {
    expect(() => parseJsonFile("/x/state.json", text, "a state", "fix it.")).toThrow(message);
  });
});
