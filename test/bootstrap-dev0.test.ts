import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateLogFile } from "../bootstrap/log/validate";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { isAlive } from "../doubles/launch";
import { readDevState } from "../doubles/dev";
import { run } from "./helpers/proc";

// `npm start` as a newcomer runs it: dev-0/start.sh brings up the doubles,
// bootstraps the committed log through the CLI, prints the status table and
// exits 0 leaving the doubles up; `spive status --json` lists every instance;
// dev-0/stop.sh stops everything it started.

const root = fs.mkdtempSync(path.join(os.tmpdir(), "spive-dev0-"));
const env = { ...process.env, SPIVE_STATE_DIR: root };
afterAll(async () => {
  await run("bash", ["dev-0/stop.sh"], { cwd: REPO_ROOT, env, timeout: 30_000 });
  fs.rmSync(root, { recursive: true, force: true });
});

describe("dev-0/start.sh and dev-0/stop.sh", () => {
  it("start bootstraps the committed log and leaves dev-0 running; status lists it; stop stops it all", async () => {
    const log = await validateLogFile(path.join(REPO_ROOT, loadStackConfig("prod0")["spive:bootstrap"]!.log));
    expect(log.ok).toBe(true);
    const expected = [...log.state.instances.values()].map((i) => [i.id, "dev-0-basic-runner-0", i.process, i.zone, "running"]).sort();
    const start = await run("bash", ["dev-0/start.sh"], { cwd: REPO_ROOT, env, timeout: 120_000 });
    expect(start.status, start.stderr).toBe(0);
    expect(start.stdout).toMatch(new RegExp(`^bootstrap of dev-0 done in [\\d.]+ s: ${expected.length} instances running, log consumed to position ${log.lastPosition}`, "m"));
    expect(start.stdout).toMatch(/INSTANCE\s+HOST\s+PROCESS\s+ZONE\s+STATE\s+PID\s+STARTED/);
    expect(start.stdout).toContain("dev-0/stop.sh");
    expect(start.stderr).toMatch(/bootstrap: verify done/);

    const status = await run(process.execPath, ["bin/spive.js", "status", "--target", "dev-0", "--json"], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(status.status, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { instances: { id: string; host: string; process: string; zone: string; state: string; pid: number; startedAt: string }[] };
    expect(parsed.instances.map((i) => [i.id, i.host, i.process, i.zone, i.state]).sort()).toEqual(expected);
    expect(parsed.instances.every((i) => i.pid > 0 && !Number.isNaN(Date.parse(i.startedAt)))).toBe(true);
    const pids = [...parsed.instances.map((i) => i.pid), ...readDevState("dev-0", root)!.processes.map((p) => p.pid)];
    expect(pids.every(isAlive)).toBe(true);

    const stop = await run("bash", ["dev-0/stop.sh"], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(stop.status, stop.stderr).toBe(0);
    expect(stop.stderr).toContain("dev-0: stopped 2 double(s)");
    expect(pids.filter(isAlive)).toEqual([]);
    expect(readDevState("dev-0", root)).toBeUndefined();
  });
});
