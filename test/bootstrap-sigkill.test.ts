import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_PROCESS_MAX_INSTANCES } from "../bootstrap/driver/dry-replay";
import { REPO_ROOT } from "../config/load";
import { INSTANCE_FAULT_ENV } from "../doubles/bootstrap-instance";
import { alive, Harness, TEST_TIMEOUTS } from "./bootstrap-harness";

// A driver killed with SIGKILL cannot stop what it started. Everything the
// dry replay runs must die with it anyway: instances are started through
// `setpriv --pdeathsig KILL` (the kernel kills them when their parent dies),
// and the rehearsal's own double processes exit once re-parented. Linux only,
// like the deployment container.

/** Every live descendant of `root` (from /proc), with its command line. */
function descendants(root: number): { pid: number; cmd: string }[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Exited meanwhile.
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent !== p) continue;
      let cmd = "";
      try {
        cmd = fs.readFileSync(`/proc/${child}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      } catch {
        // Exited meanwhile.
      }
      out.push({ pid: child, cmd });
      queue.push(child);
    }
  }
  return out;
}

/** Live processes whose SPIVE_INSTANCE_ID starts with `prefix` (instances started by any runner host double). */
function instancesWithPrefix(prefix: string): { pid: number; id: string }[] {
  const out: { pid: number; id: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const id = /(?:^|\0)SPIVE_INSTANCE_ID=([^\0]*)/.exec(fs.readFileSync(`/proc/${entry}/environ`, "latin1"))?.[1];
      if (id?.startsWith(prefix)) out.push({ pid: Number(entry), id });
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return out;
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const h = new Harness();
beforeAll(async () => {
  await h.up("dev-0r");
  await h.up("dev-0");
});
afterAll(() => h.dispose());

describe.runIf(process.platform === "linux")("SIGKILL to the driver during the dry replay leaves no process behind", () => {
  // One target per case: a killed driver keeps its target leased until the lease lapses (docs/bootstrap.md).
  it.each([
    ["in the driver's process", 8, "dev-0r"],
    ["in their own processes", IN_PROCESS_MAX_INSTANCES + 4, "dev-0"],
  ])("rehearsal doubles %s (%i instances)", async (_where, instances, target) => {
    // Instance ids unique to this run, to find every instance it started, even one started after the snapshot below.
    const prefix = `sigkill${instances}-${process.pid}`;
    const log = h.log(`sigkill-${instances}`, instances, prefix);
    const driver = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "bootstrap", "run", "--target", target, "--log", log, ...TEST_TIMEOUTS.flatMap((t) => ["--timeout", t])], {
      cwd: REPO_ROOT,
      // The rehearsal's instance stops at 90 % of the log and hangs: instances run on the rehearsal doubles.
      env: { ...process.env, SPIVE_STATE_DIR: h.root, [INSTANCE_FAULT_ENV]: "dry-replay:hang@0.9" },
      stdio: ["ignore", "ignore", "ignore"],
    });
    const exited = new Promise<void>((r) => driver.once("exit", () => r()));
    try {
      // Wait until the rehearsal runs most of its instances (`sleep`s under setpriv).
      const tree = await until("the rehearsal's instances", 60_000, () => {
        const d = descendants(driver.pid!);
        return d.filter((p) => /\bsleep 2147483647\b/.test(p.cmd)).length >= Math.floor(instances * 0.8) ? d : undefined;
      });
      expect(tree.some((p) => /bootstrap-instance/.test(p.cmd))).toBe(true);
      driver.kill("SIGKILL");
      await exited;
      const pids = tree.map((p) => p.pid);
      // Wide bounds: on a busy 2-core machine the kernel's kills and the exits take seconds.
      await until("every process of the killed driver to exit", 45_000, () => (alive(pids).length === 0 ? true : undefined)).catch(() => undefined);
      expect(alive(pids).map((pid) => tree.find((p) => p.pid === pid)!.cmd)).toEqual([]);
      await until("every instance of the rehearsal to exit", 20_000, () => (instancesWithPrefix(prefix).length === 0 ? true : undefined)).catch(() => undefined);
      expect(instancesWithPrefix(prefix)).toEqual([]);
    } finally {
      driver.kill("SIGKILL");
    }
  }, 180_000);
});
