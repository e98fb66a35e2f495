/**
 * `npm run bench:bootstrap`: figures for the bootstrap driver on the local
 * doubles (real processes on loopback), with a generated log of 1,000
 * instances:
 *
 * 1. dev-0r (two runner hosts, one per zone): total seconds of a run and of
 *    each phase, and the delay from the instance reporting the last event
 *    consumed to the driver stopping it (median of several runs; target
 *    ≤ 100 ms).
 *    The cost of one bootstrap at a time and of proving everything before the
 *    wipe: the lease phase (taking the lease on every runner host), the
 *    preflight phase, and the time outside the phases (sweeping stale
 *    temporary folders, releasing the lease), as a share of the run (target
 *    under 5 %).
 * 2. The driver's wipe across four runner hosts (two per zone), each holding
 *    250 instances (started through the runner API) and given a different
 *    extra wipe delay: the measured wall time of the parallel wipe against
 *    each host's own time, their sum and their maximum.
 *
 * Prints figures and the machine's core count; asserts nothing about time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { credentialFor, writeInstallationToken } from "../bootstrap/contracts/auth";
import { httpRunnerClient } from "../bootstrap/contracts/clients";
import { runBootstrap, wipeRunnerHosts, type DriverResult } from "../bootstrap/driver/driver";
import { parseCommand } from "../bootstrap/driver/instance-process";
import { runPhase } from "../bootstrap/driver/phase";
import { driverTimeouts, resolveTarget } from "../bootstrap/driver/target";
import { REPO_ROOT } from "../config/load";
import { devDown, devUp } from "../doubles/dev";
import { generateLog } from "../doubles/generate-log";
import { launchDouble, stopGroup, type LaunchedDouble } from "../doubles/launch";

const INSTANCES = 1000;
const RUNS = 3;
const WIPE_INSTANCES_PER_HOST = 250;
const ZONES = ["europe-west1-b", "europe-west1-c"];
const WIPE_DELAYS_MS = [0, 100, 200, 300];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function run(root: string, logFile: string): Promise<{ result: DriverResult; totalMs: number }> {
  const resolved = resolveTarget("dev-0r", { logFile, env: { SPIVE_STATE_DIR: root } });
  const t0 = Date.now();
  const result = await runBootstrap({
    logFile: resolved.logFile,
    zones: resolved.zones,
    zonesSource: resolved.zonesSource,
    binding: resolved.binding,
    timeouts: driverTimeouts(resolved.config),
    instanceCommand: parseCommand(resolved.config.command),
    cwd: REPO_ROOT,
  });
  return { result, totalMs: Date.now() - t0 };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spive-bench-bootstrap-"));
  const logFile = path.join(root, "bench.jsonl");
  fs.writeFileSync(logFile, generateLog({ instances: INSTANCES, zones: ZONES }));
  const extra: LaunchedDouble[] = [];
  console.log("Bootstrap driver on the local doubles (bootstrap/driver, doubles/)");
  console.log(`machine: ${os.cpus().length} cores (availableParallelism ${os.availableParallelism()}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, Node ${process.version}`);
  console.log(`log: ${INSTANCES} instances in ${ZONES.join(", ")} (${INSTANCES + 7} events)\n`);
  try {
    await devUp("dev-0r", { root, zones: ZONES });
    console.log(`1. dev-0r, two runner hosts, ${RUNS} runs in a row (each wipes the previous run's ${INSTANCES} instances)`);
    const delays: number[] = [];
    const done: number[] = [];
    const overheads: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { result, totalMs } = await run(root, logFile);
      delays.push(result.stopDelayMs!);
      done.push(result.stopDoneMs!);
      const inPhases = Object.values(result.phaseMs).reduce((a, b) => a + (b ?? 0), 0);
      const lease = result.phaseMs.lease ?? 0;
      const pre = result.phaseMs.preflight ?? 0;
      const outside = Math.max(0, totalMs - inPhases);
      overheads.push((100 * (lease + pre + outside)) / totalMs);
      console.log(`   run ${i + 1}: lease ${lease} ms + preflight ${pre} ms + outside the phases (temp sweep, lease release) ${outside} ms = ${(lease + pre + outside)} ms, ${((100 * (lease + pre + outside)) / totalMs).toFixed(2)} % of the run`);
      const phases = Object.entries(result.phaseMs).map(([p, ms]) => `${p} ${((ms ?? 0) / 1000).toFixed(2)}`).join(", ");
      console.log(`   run ${i + 1}: total ${(totalMs / 1000).toFixed(2)} s (${phases} s); last event → SIGTERM ${result.stopDelayMs} ms, → exited ${result.stopDoneMs} ms; wipe ${result.wipe.map((w) => `${w.host.replace("dev-0r-basic-runner-", "")} ${w.deleted} in ${w.ms} ms`).join(", ")}`);
    }
    console.log(`   median delay from the instance reporting the last event consumed to the driver stopping it (SIGTERM sent): ${median(delays)} ms (target ≤ 100 ms); to the instance gone: ${median(done)} ms`);
    console.log(`   median cost of the lease and the extra preflight: ${median(overheads).toFixed(2)} % of a ${INSTANCES}-instance run (target < 5 %)\n`);

    console.log(`2. the driver's wipe across ${WIPE_DELAYS_MS.length} runner hosts (two per zone), ${WIPE_INSTANCES_PER_HOST} instances each, extra wipe delays ${WIPE_DELAYS_MS.join("/")} ms`);
    const token = writeInstallationToken(root);
    const cred = credentialFor({ kind: "token-file", file: token.file });
    const hosts = await Promise.all(
      WIPE_DELAYS_MS.map(async (delay, i) => {
        const zone = ZONES[i % ZONES.length]!;
        const name = `bench-runner-${zone}-${Math.floor(i / ZONES.length)}`;
        const d = await launchDouble("runner-host", ["--name", name, "--zones", zone, "--wipe-delay-ms", String(delay), "--token-file", token.file]);
        extra.push(d);
        return { name, zones: [zone], url: d.url };
      }),
    );
    await Promise.all(
      hosts.map(async (h) => {
        const client = httpRunnerClient(h.url, cred);
        for (let k = 0; k < WIPE_INSTANCES_PER_HOST; k++) await client.start(`${h.name}-i${k}`, { process: "SpiveProd0", zone: h.zones[0]!, args: [] });
      }),
    );
    const wipe = await runPhase("wipe", 300, "wipeSeconds", undefined, (ctx) => wipeRunnerHosts(hosts, (h) => httpRunnerClient(h.url, cred), ctx));
    for (const w of wipe.hosts) console.log(`   ${w.host}: ${w.deleted} instances wiped in ${w.ms} ms`);
    const sum = wipe.hosts.reduce((n, w) => n + w.ms, 0);
    const max = Math.max(...wipe.hosts.map((w) => w.ms));
    console.log(`   measured wall time of the parallel wipe: ${wipe.wallMs} ms; slowest host ${max} ms; sum of the hosts ${sum} ms`);
  } finally {
    await Promise.all(extra.map((d) => stopGroup(d.pid)));
    await devDown("dev-0r", root);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:bootstrap: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
