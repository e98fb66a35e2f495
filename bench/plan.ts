/**
 * `npm run bench:plan`: how fast the program evaluates on Pulumi's mock engine.
 * Prints, per committed stack, the resources and seconds to evaluate; prod1 at
 * 10, 20 and all regions (growth should be linear); and the ratio of prod1's
 * time to registering the same number of bare resources under the same mock
 * engine, measured in the same run.
 *
 * Every measurement runs in a fresh process (bench/plan-measure.ts), warmed up
 * on prod0, the way the Pulumi CLI runs a program: inside one long process the
 * heap left by earlier measurements changes the garbage collector's work and
 * skews small measurements most. Times are CPU seconds of that process; the
 * median of BENCH_RUNS (default 5) is reported, with the range of the ratio.
 *
 * The ratio is given against two baselines: a plain loop of bare resources,
 * and the same loop paced one region's worth at a time, as the layer program
 * declares (layers/pace.ts) — pacing makes registration itself cheaper, so the
 * paced loop is the engine's real floor. The replay of prod1's own recorded
 * inputs as plain resources shows what those inputs cost the engine by
 * themselves, whatever program declares them.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KNOWN_STACKS } from "../layers/registry";
import { evaluateStack } from "../plan/stack";

interface Measure {
  readonly resources: number;
  readonly seconds: number;
  readonly wall: number;
}

const WORKER = path.join(__dirname, "plan-measure.ts");

/** Runs one measurement in a fresh process. */
function measure(...args: (string | number)[]): Measure {
  const out = execFileSync(process.execPath, ["--import", "tsx", WORKER, ...args.map(String)], { encoding: "utf8", timeout: 120_000, stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!) as Measure;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The median measure of a series (resources from its first). */
function mid(ms: readonly Measure[]): Measure {
  return { resources: ms[0]!.resources, seconds: median(ms.map((m) => m.seconds)), wall: median(ms.map((m) => m.wall)) };
}

/** The median of `runs` fresh-process measurements. */
function medianOf(runs: number, ...args: (string | number)[]): Measure {
  return mid(Array.from({ length: runs }, () => measure(...args)));
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  console.log(`bench:plan — ${os.cpus().length} cores, node ${process.version}; each figure is the median of ${runs} fresh processes, in CPU seconds\n`);
  console.log("stack   resources   cpu s   wall s");
  const stacks: Record<string, Measure> = {};
  for (const stack of KNOWN_STACKS) {
    const m = (stacks[stack] = medianOf(runs, "stack", stack));
    console.log(`${stack.padEnd(7)} ${String(m.resources).padStart(9)}   ${m.seconds.toFixed(2).padStart(5)}   ${m.wall.toFixed(2).padStart(6)}`);
  }

  const prod1 = await evaluateStack("prod1");
  const regionCount = new Set(prod1.resources.filter((r) => r.type === "gcp:container/cluster:Cluster").map((r) => r.name)).size;
  console.log("\nprod1 growth (regions → resources, seconds, ms per region)");
  const points: { n: number; m: Measure }[] = [];
  for (const n of [10, 20, regionCount]) {
    const m = n === regionCount ? stacks.prod1! : medianOf(runs, "stack", "prod1", n);
    points.push({ n, m });
    console.log(`  ${String(n).padStart(2)} regions: ${String(m.resources).padStart(5)} resources  ${m.seconds.toFixed(2)} s  ${((m.seconds * 1000) / n).toFixed(0)} ms/region`);
  }
  // A fixed per-stack cost makes the average per region fall, so growth is
  // judged on the marginal cost of the added regions.
  const margins = points.slice(1).map((p, i) => ({ from: points[i]!.n, to: p.n, ms: ((p.m.seconds - points[i]!.m.seconds) * 1000) / (p.n - points[i]!.n) }));

  // The ratio's terms are measured interleaved (prod1, bare, paced bare,
  // replay; again), so a change in the machine's load hits them alike.
  const pace = Math.ceil(stacks.prod1!.resources / regionCount);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "spive-bench-")), "prod1-inputs.json");
  fs.writeFileSync(file, JSON.stringify(prod1.resources.map((r) => r.inputs)));
  const series: Record<"prod1" | "plain" | "paced" | "replay", Measure[]> = { prod1: [], plain: [], paced: [], replay: [] };
  for (let i = 0; i < runs; i++) {
    series.prod1.push(measure("stack", "prod1"));
    series.plain.push(measure("bare", stacks.prod1!.resources));
    series.paced.push(measure("bare", stacks.prod1!.resources, pace));
    series.replay.push(measure("replay", file, pace));
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const all = mid(series.prod1);
  const plain = mid(series.plain);
  const paced = mid(series.paced);
  const replay = mid(series.replay);

  const verdict = (ok: boolean): string => (ok ? "met" : "NOT met");
  const ratioPlain = all.seconds / plain.seconds;
  const ratioPaced = all.seconds / paced.seconds;
  // The spread of the ratio over the interleaved runs (run i's prod1 over run i's baseline).
  const range = (base: Measure[]): string => {
    const rs = series.prod1.map((p, i) => p.seconds / base[i]!.seconds);
    return `${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}`;
  };
  console.log(`\nprod1 (all ${regionCount} regions): ${all.seconds.toFixed(2)} s — target < 10 s: ${verdict(all.seconds < 10)}`);
  console.log(`marginal cost per added region: ${margins.map((m) => `${m.from}→${m.to}: ${m.ms.toFixed(0)} ms`).join(", ")} (linear growth keeps them level; super-linear would make them rise)`);
  console.log(`\nratio terms, interleaved: prod1 ${all.seconds.toFixed(2)} s`);
  console.log(`${all.resources} bare resources, plain loop:                    ${plain.seconds.toFixed(2)} s`);
  console.log(`${all.resources} bare resources, paced every ${pace} (one region): ${paced.seconds.toFixed(2)} s`);
  console.log(`ratio prod1 / bare, plain loop (the issue's baseline): ${ratioPlain.toFixed(2)} (runs ${range(series.plain)}) — target ≤ 2: ${verdict(ratioPlain <= 2)}`);
  console.log(`ratio prod1 / bare, paced loop (stricter, for the record): ${ratioPaced.toFixed(2)} (runs ${range(series.paced)}) — ≤ 2: ${verdict(ratioPaced <= 2)}`);
  console.log(`\nprod1's recorded inputs replayed as plain resources, paced: ${replay.seconds.toFixed(2)} s`);
  console.log(`  inputs alone / paced floor: ${(replay.seconds / paced.seconds).toFixed(2)} (no program declaring these resources can go below this)`);
  console.log(`  prod1 / replay:             ${(all.seconds / replay.seconds).toFixed(2)} (the program's own overhead on its inputs)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
