import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Binding } from "../bootstrap/contracts/binding";
import { tunnelledStatus } from "../bootstrap/driver/status";
import { iapTunnels } from "../bootstrap/driver/tunnels";
import { register as registerStatus } from "../cli/commands/status";
import { REPO_ROOT } from "../config/load";
import { devBinding } from "../doubles/dev";
import { alive, Harness } from "./bootstrap-harness";
import { runCommand } from "./helpers/cli";

// prod0's runner hosts are reached over IAP: the driver opens one
// `gcloud compute start-iap-tunnel` per host (here a fake gcloud forwarding to
// the dev-0r doubles), binds the run to the loopback ends, and closes every
// tunnel afterwards. A tunnel that does not open fails the lease phase (the
// run's first contact with the hosts) naming the host, before anything is wiped.

const h = new Harness();
const FAKE_GCLOUD = [process.execPath, path.join(__dirname, "bootstrap-fake-gcloud.js")];
const names = ["spive-prod0-basic-runner-europe-west1-b-0", "spive-prod0-basic-runner-europe-west1-c-0"];
let binding: Binding;
let tunnelLog: string;

beforeAll(async () => {
  await h.up("dev-0r");
  const local = devBinding("dev-0r", h.root);
  tunnelLog = path.join(h.root, "tunnels.jsonl");
  process.env.FAKE_IAP_LOG = tunnelLog;
  process.env.FAKE_IAP_TARGETS = JSON.stringify(Object.fromEntries(local.runnerHosts.map((r, i) => [names[i], new URL(r.url).host])));
  binding = {
    target: "prod0",
    project: "spive-prod0",
    runnerHosts: local.runnerHosts.map((r, i) => ({ name: names[i]!, zones: r.zones, url: `http://${names[i]}.${r.zones[0]}.c.spive-prod0.internal:7070` })),
    eventStore: local.eventStore,
    gateways: {},
    // The installation's credential: through the tunnels as on the loopback.
    auth: local.auth,
  };
});
afterAll(async () => {
  delete process.env.FAKE_IAP_FAIL;
  await h.dispose();
});

// Complete lines only: a poll may read the file while the fake gcloud is appending a line.
const tunnels = () =>
  fs
    .readFileSync(tunnelLog, "utf8")
    .split("\n")
    .slice(0, -1)
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { pid: number; args: string[] });

describe("IAP tunnels to the runner hosts", () => {
  it("the whole run goes through one tunnel per host, and every tunnel is closed afterwards", async () => {
    const r = await h.run("dev-0r", h.log("iap", 4), { binding, tunnel: iapTunnels(FAKE_GCLOUD) });
    expect(r.ok, r.ok ? "" : r.error.message).toBe(true);
    expect((await h.status("dev-0r")).instances).toHaveLength(4);
    const opened = tunnels();
    expect(opened.map((t) => t.args.slice(0, 4))).toEqual(expect.arrayContaining(names.map((n) => ["compute", "start-iap-tunnel", n, "7070"])));
    expect(opened.find((t) => t.args[2] === names[1])!.args).toEqual(expect.arrayContaining(["--zone=europe-west1-c", "--project=spive-prod0"]));
    expect(opened.every((t) => /^--local-host-port=127\.0\.0\.1:\d+$/.test(t.args[4]!))).toBe(true);
    expect(alive(opened.map((t) => t.pid))).toEqual([]);
  });

  it("a tunnel that does not open fails phase lease (the first contact) naming the host, and nothing is wiped", async () => {
    const before = await h.status("dev-0r");
    process.env.FAKE_IAP_FAIL = names[1];
    fs.rmSync(tunnelLog, { force: true });
    const r = await h.run("dev-0r", h.log("iap-2", 4, "other"), { binding, tunnel: iapTunnels(FAKE_GCLOUD) });
    delete process.env.FAKE_IAP_FAIL;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe(
      `bootstrap failed in phase lease (runner host ${names[1]}): could not open the IAP tunnel to port 7070 (gcloud exited with code 1: ERROR: (gcloud.compute.start-iap-tunnel) Error while connecting [4033: 'not authorized'].)`,
    );
    expect((await h.status("dev-0r")).instances).toEqual(before.instances);
    expect(alive(tunnels().map((t) => t.pid))).toEqual([]);
  });

  it("spive status --target prod0 asks every runner host through its own tunnel, shows the real hosts, and closes every tunnel", async () => {
    fs.rmSync(tunnelLog, { force: true });
    const direct = await h.status("dev-0r");
    const status = await tunnelledStatus(binding, iapTunnels(FAKE_GCLOUD));
    expect(status.target).toBe("prod0");
    expect(status.instances).toEqual(direct.instances);
    expect(status.hosts.map((x) => [x.name, x.url, x.reachable])).toEqual(binding.runnerHosts.map((x) => [x.name, x.url, true]));
    expect(tunnels().map((t) => t.args[2]).sort()).toEqual([...names].sort());
    expect(alive(tunnels().map((t) => t.pid))).toEqual([]);

    // The command itself, with gcloud from SPIVE_GCLOUD and the binding from a file.
    fs.rmSync(tunnelLog, { force: true });
    const file = path.join(h.root, "binding.json");
    fs.writeFileSync(file, JSON.stringify(binding));
    process.env.SPIVE_GCLOUD = FAKE_GCLOUD.join(" ");
    try {
      const run = await runCommand(registerStatus, ["status", "--target", "prod0", "--binding", file, "--json"]);
      expect(run.exitCode, run.stderr).toBe(0);
      const printed = JSON.parse(run.stdout) as { instances: unknown[]; hosts: { url: string }[] };
      expect(printed.instances).toEqual(direct.instances);
      expect(printed.hosts.map((x) => x.url)).toEqual(binding.runnerHosts.map((x) => x.url));
      expect(tunnels()).toHaveLength(names.length);
      expect(alive(tunnels().map((t) => t.pid))).toEqual([]);
    } finally {
      delete process.env.SPIVE_GCLOUD;
    }
  });

  it("spive status --target prod0 fails naming the host whose tunnel does not open, and leaves no tunnel behind", async () => {
    fs.rmSync(tunnelLog, { force: true });
    const file = path.join(h.root, "binding.json");
    fs.writeFileSync(file, JSON.stringify(binding));
    process.env.SPIVE_GCLOUD = FAKE_GCLOUD.join(" ");
    process.env.FAKE_IAP_FAIL = names[0];
    try {
      const run = await runCommand(registerStatus, ["status", "--target", "prod0", "--binding", file]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain(`spive status: runner host ${names[0]}: could not open the IAP tunnel to port 7070`);
      expect(alive(tunnels().map((t) => t.pid))).toEqual([]);
    } finally {
      delete process.env.SPIVE_GCLOUD;
      delete process.env.FAKE_IAP_FAIL;
    }
  });

  it.each(["SIGTERM", "SIGKILL"] as const)("spive status --target prod0 stuck opening a tunnel and sent %s leaves no tunnel behind", async (sig) => {
    fs.rmSync(tunnelLog, { force: true });
    const file = path.join(h.root, "binding.json");
    fs.writeFileSync(file, JSON.stringify(binding));
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "status", "--target", "prod0", "--binding", file], {
      cwd: REPO_ROOT,
      env: { ...process.env, SPIVE_GCLOUD: FAKE_GCLOUD.join(" "), FAKE_IAP_HANG: names[0] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    cli.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const exited = new Promise<number | null>((r) => cli.once("exit", (code) => r(code)));
    // Both tunnels started: one is open, the other never will be.
    for (let i = 0; i < 200 && !(fs.existsSync(tunnelLog) && tunnels().length === names.length); i++) await new Promise((r) => setTimeout(r, 50));
    expect(tunnels()).toHaveLength(names.length);
    await new Promise((r) => setTimeout(r, 300));
    cli.kill(sig);
    const code = await exited;
    if (sig === "SIGTERM") {
      expect(code).toBe(143);
      expect(stderr).toContain("spive status: interrupted by SIGTERM; every tunnel is closed");
    }
    const pids = tunnels().map((t) => t.pid);
    for (let i = 0; i < 100 && alive(pids).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pids)).toEqual([]);
  }, 30_000);
});
