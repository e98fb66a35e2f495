/**
 * `npm run bench:plan`: how fast the program evaluates on Pulumi's mock engine.
 * Prints, per committed stack, the resources and seconds to evaluate; prod1 at
 * 10, 20 and all regions (growth should be linear); and the ratio of prod1's
 * time to registering the same number of bare resources under the same mock
 * engine, measured in the same run.
 */
import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { evaluate } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { KNOWN_STACKS } from "../layers/registry";

/**
 * Times `fn` in CPU seconds of this process (user + system): on a shared
 * 2-core machine wall time mostly measures the neighbours. Wall time is kept
 * for the record.
 */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; wall: number }> {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(c);
  return { value, seconds: (used.user + used.system) / 1e6, wall: Number(process.hrtime.bigint() - t) / 1e9 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A resource with no provider behind it: the engine's floor cost per resource. */
class Plain extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs) {
    super(type, name, props);
  }
}

async function bare(count: number): Promise<number> {
  const r = await timed(() =>
    evaluate({
      stack: "bench",
      config: {},
      program: async () => {
        for (let i = 0; i < count; i++) new Plain("bench:index:Bare", `bare-${i}`, { index: i, name: `bare-${i}` });
        return {};
      },
    }),
  );
  return r.seconds;
}

/** Re-registers recorded resources as plain CustomResources with the same inputs: the engine's cost of those inputs, without the program or the provider SDKs. */
async function replay(resources: readonly { type: string; name: string; inputs: Record<string, unknown> }[]): Promise<number> {
  const r = await timed(() =>
    evaluate({
      stack: "bench",
      config: {},
      program: async () => {
        resources.forEach((res, i) => new Plain("bench:index:Replay", `replay-${i}`, res.inputs));
        return {};
      },
    }),
  );
  return r.seconds;
}

async function prod1WithRegions(n: number): Promise<{ resources: number; seconds: number }> {
  const r = await timed(() =>
    evaluateStack("prod1", {
      mutate: (raw) => {
        const layer = raw["spive:layer"] as { regions: { name: string }[] };
        layer.regions = layer.regions.slice(0, n);
        const rollout = raw["spive:rollout"] as { canaryRegion: string };
        if (!layer.regions.some((x) => x.name === rollout.canaryRegion)) rollout.canaryRegion = layer.regions[0]!.name;
        return raw;
      },
    }),
  );
  return { resources: r.value.resources.length, seconds: r.seconds };
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  console.log(`bench:plan — ${os.cpus().length} cores, node ${process.version}, median of ${runs} runs each; times are CPU seconds of this process\n`);
  await evaluateStack("prod0"); // warm-up: module loading and JIT
  console.log("stack   resources   cpu s   wall s");
  for (const stack of KNOWN_STACKS) {
    const times: number[] = [];
    const walls: number[] = [];
    let resources = 0;
    for (let i = 0; i < runs; i++) {
      const r = await timed(() => evaluateStack(stack));
      times.push(r.seconds);
      walls.push(r.wall);
      resources = r.value.resources.length;
    }
    console.log(`${stack.padEnd(7)} ${String(resources).padStart(9)}   ${median(times).toFixed(2).padStart(5)}   ${median(walls).toFixed(2).padStart(6)}`);
  }
  console.log("\nprod1 growth (regions → resources, seconds, ms per region)");
  const points: { n: number; resources: number; seconds: number }[] = [];
  for (const n of [10, 20, 42]) {
    const times: number[] = [];
    let resources = 0;
    for (let i = 0; i < runs; i++) {
      const r = await prod1WithRegions(n);
      times.push(r.seconds);
      resources = r.resources;
    }
    points.push({ n, resources, seconds: median(times) });
    console.log(`  ${String(n).padStart(2)} regions: ${String(resources).padStart(5)} resources  ${median(times).toFixed(2)} s  ${((median(times) * 1000) / n).toFixed(0)} ms/region`);
  }
  const all = points[points.length - 1]!;
  const bareTimes: number[] = [];
  for (let i = 0; i < runs; i++) bareTimes.push(await bare(all.resources));
  const bareMedian = median(bareTimes);
  const prod1 = await evaluateStack("prod1");
  const replayTimes: number[] = [];
  for (let i = 0; i < runs; i++) replayTimes.push(await replay(prod1.resources));
  const replayMedian = median(replayTimes);
  const ratio = all.seconds / bareMedian;
  const linearity = (all.seconds / all.n) / (points[0]!.seconds / points[0]!.n);
  console.log(`\nbare resources under mocks: ${all.resources} in ${bareMedian.toFixed(2)} s`);
  console.log(`prod1 (all ${all.n} regions): ${all.seconds.toFixed(2)} s — target < 10 s: ${all.seconds < 10 ? "met" : "NOT met"}`);
  console.log(`ratio prod1 / bare: ${ratio.toFixed(2)} — target ≤ 2: ${ratio <= 2 ? "met" : "NOT met"}`);
  console.log(`same inputs replayed as plain resources: ${replayMedian.toFixed(2)} s; ratio prod1 / replay: ${(all.seconds / replayMedian).toFixed(2)}`);
  console.log(`per-region cost at ${all.n} vs ${points[0]!.n} regions: ×${linearity.toFixed(2)} (1.00 = perfectly linear)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
