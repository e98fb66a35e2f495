import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialFor } from "../bootstrap/contracts/auth";
import { httpRunnerClient } from "../bootstrap/contracts/clients";
import { httpEventStoreClient } from "../bootstrap/contracts/clients";
import type { DriverEvent } from "../bootstrap/driver/driver";
import { validateLogFile } from "../bootstrap/log/validate";
import { REPO_ROOT } from "../config/load";
import { devBinding, readDevState } from "../doubles/dev";
import { INSTANCE_FAULT_ENV } from "../doubles/bootstrap-instance";
import { isAlive, killGroup } from "../doubles/launch";
import { alive, Harness, ids, ZONES } from "./bootstrap-harness";
import { run as runProc } from "./helpers/proc";

// What a run deploys is what it validated, one run holds a target at a time,
// and everything the replay needs is proved before the wipe (issue 13, must
// haves 1–3), end to end on dev-0r (real runner host and event store double
// processes on loopback).

const h = new Harness();
beforeAll(() => h.up("dev-0r"));
afterAll(() => h.dispose());

/** The phases a run started, in order. */
function phasesOf(events: DriverEvent[]): string[] {
  return events.flatMap((e) => (e.type === "phase-start" && !e.rehearsal ? [e.phase] : []));
}

async function until(what: string, ms: number, probe: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("pinning: the run deploys exactly the bytes it validated", () => {
  it.each([
    ["overwritten with a same-length log of another process with other args", (text: string) => text.replace(/SpiveProd0/g, "SpiveEvil0").replace(/--ordinal=/g, "--EVILARG=")],
    ["truncated", (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ["extended by a line", (text: string) => `${text}{"kind":"CreateInstance","id":"intruder-0","process":"SpiveProd0","zone":"europe-west1-b","args":[]}\n`],
  ])("the log file %s right after the dry replay changes nothing deployed", async (_what, tamper) => {
    const file = h.log(`pin-${tamper.length}-${Math.random().toString(36).slice(2, 7)}`, 6, "pinned");
    const original = fs.readFileSync(file);
    const expected = await validateLogFile(file);
    const r = await h.run("dev-0r", file, {
      report: (e) => {
        // The moment the rehearsal is over, before anything is wiped or started for real.
        if (e.type === "phase-end" && e.phase === "dry-replay") fs.writeFileSync(file, tamper(original.toString("utf8")));
      },
    });
    expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
    if (!r.ok) return;
    expect(fs.readFileSync(file).equals(original)).toBe(false);
    expect(r.result.logSha256).toBe(createHash("sha256").update(original).digest("hex"));
    const s = await h.status("dev-0r");
    const deployed = s.instances.map((i) => ({ id: i.id, process: i.process, zone: i.zone, args: i.args, state: i.state })).sort((a, b) => a.id.localeCompare(b.id));
    const logged = [...expected.state.instances.values()].map((i) => ({ id: i.id, process: i.process, zone: i.zone, args: [...i.args], state: "running" })).sort((a, b) => a.id.localeCompare(b.id));
    expect(deployed).toEqual(logged);
  }, 120_000);

  it("verify compares process, zone, args and runner host, not only ids", async () => {
    const file = h.log("verify-full", 4, "verify");
    const r = await h.run("dev-0r", file, {
      // A runner host that reports one instance with other args than it was given.
      runnerClient: (host, lease, credential) => {
        const real = httpRunnerClient(host.url, credential, lease);
        // Only the real hosts lie, not the rehearsal's.
        if (!host.name.startsWith("dev-0r-")) return real;
        return {
          ...real,
          list: async (o) => {
            const l = await real.list(o);
            return { ...l, instances: l.instances.map((i) => (i.id === "verify-1" ? { ...i, args: ["--ordinal=99"] } : i)) };
          },
        };
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("verify");
    expect(r.error.message).toMatch(/1 instance\(s\) differ from the validated log \(verify-1 runs with args \["--ordinal=99"\] \(log: \["--ordinal=1"\]\)\)/);
  }, 120_000);
});

describe("one bootstrap at a time per target", () => {
  it("a second run while the first holds the lease fails at once naming it, npm start says so, and exactly one run wipes", async () => {
    const first = h.log("lease-first", 6, "first");
    const second = h.log("lease-second", 6, "second");
    const firstEvents: DriverEvent[] = [];
    const secondEvents: DriverEvent[] = [];
    const stopFirst = new AbortController();
    // The first run stops making progress half-way through the real replay, holding the lease until it is interrupted.
    const running = h.run("dev-0r", first, { runId: "first-run-1", env: { [INSTANCE_FAULT_ENV]: "run:hang@0.5" }, signal: stopFirst.signal, report: (e) => firstEvents.push(e) });
    try {
      await until("the first run to reach phase wait", 90_000, () => phasesOf(firstEvents).includes("wait"));

      const t0 = Date.now();
      const r2 = await h.run("dev-0r", second, { runId: "second-run-1", report: (e) => secondEvents.push(e) });
      expect(r2.ok).toBe(false);
      if (r2.ok) return;
      expect(r2.error.phase).toBe("lease");
      expect(r2.error.message).toMatch(
        new RegExp(`^bootstrap failed in phase lease \\(runner host dev-0r-basic-runner-europe-west1-b-0\\): another bootstrap holds the target, nothing was touched: Runner host dev-0r-basic-runner-europe-west1-b-0 is leased to bootstrap run first-run-1 \\(host ${os.hostname().replace(/[.]/g, "\\.")}, pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\), in phase wait, until `),
      );
      // Before anything: no rehearsal, no wipe, no instance.
      expect(phasesOf(secondEvents)).toEqual(["validate", "lease"]);
      expect(r2.pids).toEqual([]);
      // Fails at once: well before the first run's dry replay would even have ended.
      expect(Date.now() - t0).toBeLessThan(30_000);

      // `npm start` (dev-0r/start.sh runs the same script) while the lease is held: says so, exits non-zero, touches nothing.
      const before = await h.status("dev-0r");
      const start = await runProc("bash", ["dev-0r/start.sh"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_STATE_DIR: h.root }, timeout: 120_000 });
      expect(start.status).not.toBe(0);
      expect(start.stderr).toMatch(/bootstrap failed in phase lease .*another bootstrap holds the target, nothing was touched: .*leased to bootstrap run first-run-1/);
      expect((await h.status("dev-0r")).instances).toEqual(before.instances);
    } finally {
      stopFirst.abort();
    }
    const r1 = await running;
    expect(r1.ok).toBe(false);
    expect(alive(r1.pids)).toEqual([]);
    // Exactly one run wiped.
    expect(phasesOf(firstEvents).filter((p) => p === "wipe")).toHaveLength(1);
    expect(phasesOf(secondEvents)).not.toContain("wipe");

    // The interrupted run released the lease: the next run goes through.
    const r3 = await h.run("dev-0r", second, { runId: "third-run-1" });
    expect(r3.ok, r3.ok ? "" : r3.error.message).toBe(true);
    expect(ids(await h.status("dev-0r"))).toEqual(Array.from({ length: 6 }, (_, i) => `second-${i}`).sort());
  }, 240_000);

  it("a lease whose driver stopped renewing is taken over only after it expires", async () => {
    const binding = devBinding("dev-0r", h.root);
    const host = binding.runnerHosts[0]!;
    const credential = credentialFor(binding.auth);
    const { httpLeaseClient } = await import("../bootstrap/contracts/lease-client");
    const holder = { runId: "ghost-run", host: "elsewhere", pid: 4242, startedAt: new Date().toISOString() };
    // Taking a lease changes state: without the installation's credential it is refused (401) and nothing is held.
    await expect(httpLeaseClient(host.url).acquire({ holder, ttlSeconds: 10, phase: "wait", logSha256: null })).rejects.toThrow(/answered 401/);
    expect((await httpLeaseClient(host.url).status()).lease).toBeNull();
    const lease = httpLeaseClient(host.url, credential);
    await lease.acquire({ holder, ttlSeconds: 10, phase: "wait", logSha256: null });
    const acquiredAt = Date.now();
    // The credential is decided first: a wipe without it is 401, whatever the lease.
    await expect(httpRunnerClient(host.url).wipe()).rejects.toThrow(/answered 401/);
    // An authenticated wipe without the lease is refused by the host itself.
    await expect(httpRunnerClient(host.url, credential).wipe()).rejects.toThrow(/answered 423: Runner host .* is leased to bootstrap run ghost-run \(host elsewhere, pid 4242/);
    const r = await h.run("dev-0r", h.log("takeover", 4, "takeover"), { runId: "takeover-early" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/leased to bootstrap run ghost-run \(host elsewhere, pid 4242/);
    await until("the ghost lease to expire", 30_000, () => Date.now() > acquiredAt + 10_500);
    const details: string[] = [];
    const r2 = await h.run("dev-0r", h.log("takeover", 4, "takeover"), { runId: "takeover-late", report: (e) => e.type === "detail" && details.push(e.message) });
    expect(r2.ok, r2.ok ? "" : r2.error.message).toBe(true);
    expect(details.join("\n")).toMatch(/took over the expired lease of bootstrap run ghost-run \(host elsewhere, pid 4242, .*\); that run did not finish/);
  }, 180_000);
});

describe("preflight: nothing is wiped before everything the replay needs is proved", () => {
  it("an event store that is down fails phase preflight and leaves every instance running", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r");
    const log = h.log("preflight-store", 6, "store");
    const ok = await h.run("dev-0r", log);
    expect(ok.ok, ok.ok ? "" : ok.error.message).toBe(true);
    const before = await h.status("dev-0r");
    const store = readDevState("dev-0r", h.root)!.processes.find((p) => p.role === "event-store")!;
    killGroup(store.pid, "SIGKILL");
    await until("the event store double to die", 10_000, () => !isAlive(store.pid));

    const events: DriverEvent[] = [];
    const r = await h.run("dev-0r", log, { report: (e) => events.push(e) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("preflight");
    expect(r.error.message).toMatch(/^bootstrap failed in phase preflight: the event store at http:\/\/127\.0\.0\.1:\d+ is unreachable before the wipe, nothing was wiped: GET http:\/\/127\.0\.0\.1:\d+\/v1\/health could not reach the host/);
    expect(phasesOf(events)).not.toContain("wipe");
    expect((await h.status("dev-0r")).instances).toEqual(before.instances);
    expect(alive(before.instances.map((i) => i.pid!))).toHaveLength(before.instances.length);
  }, 180_000);

  it("a durable stream already present with another definition fails phase preflight naming it and its line", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r");
    const log = h.log("preflight-stream", 4, "stream");
    const ok = await h.run("dev-0r", log);
    expect(ok.ok, ok.ok ? "" : ok.error.message).toBe(true);
    const before = await h.status("dev-0r");
    // Another definition of the log's stream, under a new gid so the store accepts it, then the log is changed to create it differently.
    const binding = devBinding("dev-0r", h.root);
    if (binding.eventStore.kind !== "local") throw new Error("expected a local store");
    await httpEventStoreClient(binding.eventStore.url, credentialFor(binding.auth)).createStream("gid:prod0/other", { store: "LocalEventStoreGateway", durable: false });
    fs.writeFileSync(log, fs.readFileSync(log, "utf8").replace(/gid:prod0\/spive/g, "gid:prod0/other"));

    const events: DriverEvent[] = [];
    const r = await h.run("dev-0r", log, { report: (e) => events.push(e) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.phase).toBe("preflight");
    expect(r.error.message).toMatch(/stream gid:prod0\/other \(line 5 CreateStream\) already exists in the event store at .* with store LocalEventStoreGateway \(durable: false\); the log creates it with store LocalEventStoreGateway \(durable: true\), so its CreateStream would fail; nothing was wiped\.$/);
    expect(phasesOf(events)).not.toContain("wipe");
    expect((await h.status("dev-0r")).instances).toEqual(before.instances);
  }, 180_000);

  it("a missing instance command fails before the wipe naming it", async () => {
    const before = await h.status("dev-0r");
    const { runBootstrap } = await import("../bootstrap/driver/driver");
    const { resolveTarget, driverTimeouts } = await import("../bootstrap/driver/target");
    const { TEST_TIMEOUTS } = await import("./bootstrap-harness");
    const resolved = resolveTarget("dev-0r", { logFile: h.log("nocmd", 4), env: { SPIVE_STATE_DIR: h.root } });
    const err = await runBootstrap({
      logFile: resolved.logFile,
      zones: ZONES,
      binding: resolved.binding,
      timeouts: driverTimeouts(resolved.config, TEST_TIMEOUTS),
      instanceCommand: ["spive-prod-bootstrap-not-installed", "--serve"],
      cwd: REPO_ROOT,
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe("bootstrap failed in phase dry-replay: the instance command's executable spive-prod-bootstrap-not-installed is not on PATH (spive:bootstrap.command); nothing was touched.");
    expect((await h.status("dev-0r")).instances).toEqual(before.instances);
  }, 120_000);
});
