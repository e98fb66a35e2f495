/**
 * `npm run bench:cli`: how long common `spive` commands take from the shell,
 * and where a command's startup goes. Every figure is the median of
 * BENCH_RUNS (default 5) fresh processes: wall seconds, and CPU seconds
 * (user + system, from /usr/bin/time when present) which a loaded machine
 * inflates less.
 *
 * Part 1: the commands, as users run them (`node bin/spive.js …`: the
 * compiled CLI, scripts/cli-build.js), against the targets of issue 15, and
 * the same commands from the TypeScript sources through tsx
 * (SPIVE_FROM_SOURCE=1, what every command paid before the build).
 * Part 2: the parts of a startup, each in its own process: node itself,
 * loading tsx, loading Pulumi with and without the deferred modules
 * (scripts/lazy-deps.js), evaluating prod2 on the mock engine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../config/load";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const BIN = path.join(REPO_ROOT, "bin", "spive.js");

interface Sample {
  readonly wall: number;
  readonly cpu: number | undefined;
}

/** Runs `node args…` once; fails loudly when it exits non-zero. */
function once(args: readonly string[], env: NodeJS.ProcessEnv = {}): Sample {
  const started = process.hrtime.bigint();
  const argv = TIME ? ["-f", "SPIVE_BENCH_CPU %U %S", process.execPath, ...args] : [...args];
  const r = spawnSync(TIME ?? process.execPath, argv, { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status ?? r.signal}: ${r.stderr.slice(-400)}`);
  const m = /SPIVE_BENCH_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : undefined };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The median wall and CPU seconds of RUNS runs (after one unmeasured warm-up run). */
function measure(args: readonly string[], env: NodeJS.ProcessEnv = {}): { wall: number; cpu: number | undefined } {
  once(args, env);
  const samples = Array.from({ length: RUNS }, () => once(args, env));
  const cpus = samples.map((s) => s.cpu).filter((c): c is number => c !== undefined);
  return { wall: median(samples.map((s) => s.wall)), cpu: cpus.length ? median(cpus) : undefined };
}

const fmt = (s: number | undefined) => (s === undefined ? "   -" : s.toFixed(2).padStart(5));

function main(): void {
  const [load1] = os.loadavg();
  console.log(`bench:cli — ${os.cpus().length} cores, load average ${load1!.toFixed(1)}, node ${process.version}; median of ${RUNS} fresh processes (after a warm-up run)\n`);
  if (load1! > os.cpus().length) {
    console.log(`note: the machine is loaded (load ${load1!.toFixed(1)} on ${os.cpus().length} cores): wall times include waiting for a core; the targets are for a quiet machine, where wall ≈ CPU seconds.\n`);
  }
  const build = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts", "cli-build.js")], { cwd: REPO_ROOT, encoding: "utf8" });
  process.stdout.write(build.stdout || build.stderr);

  const commands: { label: string; args: string[]; target: number }[] = [
    { label: "spive --help", args: ["--help"], target: 0.3 },
    { label: "spive bootstrap validate", args: ["bootstrap", "validate"], target: 0.5 },
    { label: "spive rollout plan prod1", args: ["rollout", "plan", "prod1"], target: 0.5 },
    { label: "spive plan prod2", args: ["plan", "prod2"], target: 2 },
    { label: "spive plan prod1", args: ["plan", "prod1"], target: 4 },
  ];
  console.log("\ncommand                      target   wall s   cpu s   from sources: wall s   cpu s");
  for (const c of commands) {
    const built = measure([BIN, ...c.args]);
    const src = measure([BIN, ...c.args], { SPIVE_FROM_SOURCE: "1" });
    // On a loaded machine wall time mostly measures the wait for a core; CPU time is what a quiet machine's wall time would be, about.
    const verdict = built.wall <= c.target ? "ok" : built.cpu !== undefined && built.cpu <= c.target ? "over (cpu ok)" : "OVER";
    console.log(`${c.label.padEnd(28)} ≤${c.target.toFixed(1).padStart(4)}  ${fmt(built.wall)}   ${fmt(built.cpu)}   ${" ".repeat(14)}${fmt(src.wall)}   ${fmt(src.cpu)}   ${verdict}`);
  }

  const lazy = path.join(REPO_ROOT, "scripts", "lazy-deps.js");
  const parts: { label: string; args: string[] }[] = [
    { label: "node -e 0", args: ["-e", "0"] },
    { label: "register tsx (ESM + CJS hooks)", args: ["-e", "import('tsx')"] },
    { label: "compiled CLI: build check + all modules", args: ["-e", `require(require(${JSON.stringify(path.join(REPO_ROOT, "scripts", "cli-build.js"))}).currentEntry()).buildProgram()`] },
    { label: "require @pulumi/pulumi", args: ["-e", "require('@pulumi/pulumi')"] },
    { label: "require @pulumi/pulumi, deferred deps", args: ["-e", `require(${JSON.stringify(lazy)}).deferModules(['typescript','@npmcli/arborist']); require('@pulumi/pulumi')`] },
    { label: "require @pulumi/gcp + kubernetes, deferred", args: ["-e", `require(${JSON.stringify(lazy)}).deferModules(['typescript','@npmcli/arborist']); require('@pulumi/gcp'); require('@pulumi/kubernetes')`] },
  ];
  console.log("\nstartup part                              wall s   cpu s");
  for (const p of parts) {
    const m = measure(p.args);
    console.log(`${p.label.padEnd(40)}  ${fmt(m.wall)}   ${fmt(m.cpu)}`);
  }
}

main();
