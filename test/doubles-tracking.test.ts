import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tokenAuthenticator } from "../bootstrap/contracts/auth";
import { OWNER_FILE } from "../bootstrap/driver/temp-dirs";
import { REPO_ROOT } from "../config/load";
import { readDevState } from "../doubles/dev";
import { EventStoreDouble } from "../doubles/event-store";
import { isAlive } from "../doubles/launch";
import { findDoublesOf } from "../doubles/tracking";
import { Harness, TEST_TIMEOUTS } from "./bootstrap-harness";
import { run } from "./helpers/proc";

// The doubles keep track of themselves (issue 13, must have 6): one set per
// target whatever starts race or state files say, stop.sh stops everything
// even with a corrupt state file and goes on to dev-0r, a killed runner host
// takes its instances with it, store files name the bad line, a killed
// bootstrap's temporary folders are removed by the next run, and `spive
// status` says when the last bootstrap did not finish. Real processes on
// loopback, in temporary state folders.

const h = new Harness();
afterAll(() => h.dispose());
const cli = (args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) =>
  run(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), ...args], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_STATE_DIR: h.root, ...env }, timeout });

async function until(what: string, ms: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const linux = process.platform === "linux";

describe.runIf(linux)("one set of doubles per target", () => {
  it("two starts at once leave exactly one set, and a removed state folder does not let a second set start", async () => {
    const dir = path.join(h.root, "dev-0r");
    const [a, b] = await Promise.all([cli(["bootstrap", "doubles", "up", "--target", "dev-0r"]), cli(["bootstrap", "doubles", "up", "--target", "dev-0r"])]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const first = findDoublesOf(dir).sort();
    expect(first).toHaveLength(3);
    expect([a.stderr, b.stderr].join("\n")).toMatch(/reused/);

    // The folder goes away under the running doubles: status says so, and the next start stops them before starting one set.
    fs.rmSync(dir, { recursive: true, force: true });
    const status = await cli(["status", "--target", "dev-0r"]);
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/dev-0r has no usable state .* yet 3 of its double\(s\) still run \(pid [\d, ]+\); stop them with dev-0\/stop\.sh/);
    const up = await cli(["bootstrap", "doubles", "up", "--target", "dev-0r"]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/stopped 3 double\(s\) left running without a complete state/);
    const second = findDoublesOf(dir);
    expect(second).toHaveLength(3);
    expect(first.filter(isAlive)).toEqual([]);
  }, 180_000);
});

describe.runIf(linux)("stop.sh with a corrupt state file", () => {
  it.each([
    ["empty", "", /state\.json:1: expected the state of a local installation \(JSON\), got an empty file/],
    ["malformed", '{"target": "dev-0",\n  "startedAt": oops', /state\.json:2:\d+: expected the state of a local installation \(JSON\), got text that is not JSON/],
  ])("%s: status names the file and line; stop.sh still stops every double and goes on to dev-0r", async (_what, text, message) => {
    await h.up("dev-0");
    await h.up("dev-0r");
    const pids = [...Object.values(h.pids("dev-0")), ...Object.values(h.pids("dev-0r"))];
    expect(pids.every(isAlive)).toBe(true);
    fs.writeFileSync(path.join(h.root, "dev-0", "state.json"), text);

    const status = await cli(["status", "--target", "dev-0"]);
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(message);
    expect(status.stderr).not.toMatch(/Unexpected end of JSON input$/m);

    const stop = await run("bash", ["dev-0/stop.sh"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_STATE_DIR: h.root }, timeout: 60_000 });
    expect(stop.status, stop.stderr).toBe(0);
    expect(stop.stderr).toMatch(message);
    expect(stop.stderr).toContain("dev-0: stopped 2 double(s)");
    expect(stop.stderr).toContain("dev-0r: stopped 3 double(s)");
    expect(pids.filter(isAlive)).toEqual([]);
    expect(readDevState("dev-0r", h.root)).toBeUndefined();
  }, 180_000);
});

describe("the event store's file", () => {
  it.each([
    ["a null line", "null", /streams\.jsonl:2: expected a stream \{ gid, store, durable, createdAt \}, got "null"/],
    ["a foreign object", '{"hello":"world"}', /streams\.jsonl:2: expected a stream \{ gid, store, durable, createdAt \}, got "\{\\"hello\\":\\"world\\"\}"/],
    ["a torn middle line", '{"gid":"gid:x","sto', /streams\.jsonl:2: expected one JSON stream per line/],
  ])("%s fails the start naming the file and line", async (_what, line, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-store-test-"));
    try {
      const good = JSON.stringify({ gid: "gid:prod0/spive", store: "LocalEventStoreGateway", durable: true, createdAt: new Date().toISOString() });
      fs.writeFileSync(path.join(dir, "streams.jsonl"), `${good}\n${line}\n${good}\n`);
      const store = new EventStoreDouble(dir, tokenAuthenticator("a-token-this-test-never-sends"));
      await expect(store.start()).rejects.toThrow(message);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(linux)("a runner host double killed with SIGKILL", () => {
  it("takes its instances with it", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r");
    const r = await h.run("dev-0r", h.log("killed-runner", 6, "killed"));
    expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
    const host = "dev-0r-basic-runner-europe-west1-b-0";
    const instances = (await h.status("dev-0r")).instances.filter((i) => i.host === host).map((i) => i.pid!);
    expect(instances.length).toBeGreaterThan(0);
    expect(instances.every(isAlive)).toBe(true);
    // The double's pid only, not its process group.
    process.kill(h.pids("dev-0r")[host]!, "SIGKILL");
    await until("the killed host's instances to die", 15_000, () => instances.filter(isAlive).length === 0).catch(() => undefined);
    expect(instances.filter(isAlive)).toEqual([]);
    await h.down("dev-0r");
  }, 180_000);
});

describe.runIf(linux)("a bootstrap driver killed with SIGKILL in phase wait", () => {
  it("status names the run and the phase and exits non-zero; the next run waits for the lease, removes the temporary folders and succeeds", async () => {
    await h.down("dev-0r");
    await h.up("dev-0r");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-tmp-test-"));
    const log = h.log("killed-driver", 6, "killed");
    const driver = spawn(
      process.execPath,
      [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "run", "--target", "dev-0r", "--log", log, "--lease-ttl", "45", ...TEST_TIMEOUTS.flatMap((t) => ["--timeout", t])],
      { cwd: REPO_ROOT, env: { ...process.env, SPIVE_STATE_DIR: h.root, TMPDIR: tmp, SPIVE_BOOTSTRAP_RUN_ID: "killed-run-7", SPIVE_FAULT_INSTANCE: "run:hang@0.5" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    driver.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<void>((r) => driver.once("exit", () => r()));
    try {
      await until("the driver to reach phase wait", 120_000, () => /bootstrap: wait …/.test(stderr));
      driver.kill("SIGKILL");
      await exited;
      const owned = () => fs.readdirSync(tmp).filter((e) => fs.existsSync(path.join(tmp, e, OWNER_FILE)));
      expect(owned().length).toBeGreaterThan(0);

      const status = await cli(["status", "--target", "dev-0r"]);
      expect(status.status).toBe(1);
      expect(status.stdout).toMatch(new RegExp(`last bootstrap: run killed-run-7 did not finish: it stopped in phase wait \\(driver on ${os.hostname().replace(/\./g, "\\.")}, pid ${driver.pid}, started [0-9T:.Z-]+, log sha256 [0-9a-f]{64}; its driver is gone.*\\)\\. The installation may be partial: run the bootstrap again\\.`));

      // The dead run's lease blocks the next run until it lapses (at most 45 s after its last renewal), then the run takes it over.
      let next = await h.run("dev-0r", log, { tempRoot: tmp });
      expect(next.ok).toBe(false);
      if (!next.ok) expect(next.error.message).toMatch(/leased to bootstrap run killed-run-7/);
      await until("the dead run's lease to lapse", 120_000, async () => {
        next = await h.run("dev-0r", log, { tempRoot: tmp });
        return next.ok || !/leased to bootstrap run killed-run-7/.test(next.error.message);
      });
      expect(next.ok, next.ok ? "" : next.error.message).toBe(true);
      expect(owned()).toEqual([]);
      const after = await cli(["status", "--target", "dev-0r"]);
      expect(after.status, after.stderr).toBe(0);
      expect(after.stdout).toMatch(/last bootstrap: run \S+ succeeded at /);
    } finally {
      driver.kill("SIGKILL");
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 400_000);
});
