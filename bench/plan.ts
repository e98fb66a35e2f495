/**
 * `npm run bench:plan`: how fast the program evaluates on Pulumi's mock engine.
 * Prints, per committed stack, the resources and seconds to evaluate; prod1 at
 * 10, 20 and all regions (growth should be linear); and the ratio of prod1's
 * time to registering the same number of bare resources under the same mock
 * engine, measured in the same run — against two baselines: a plain loop, and
 * a loop paced one region's worth at a time the way the layer program declares
 * (see layers/pace.ts), which is the cheaper and therefore the fair floor.
 *
 * Run with --expose-gc (the npm script does) so every measurement starts from
 * a collected heap instead of inheriting the previous one's garbage.
 */
import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { evaluate } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";
import { KNOWN_STACKS } from "../layers/registry";
import { yieldToEngine } from "../layers/pace";

const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

/**
 * Times `fn` in CPU seconds of this process (user + system): on a shared
 * 2-core machine wall time mostly measures the neighbours. Wall time is kept
 * for the record.
 */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; wall: number }> {
  collect();
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

/**
 * Registers `count` bare resources (two scalar inputs each). With `pace`, yields
 * to the engine after every `pace` resources, as the layer program does after
 * each region.
 */
async function bare(count: number, pace?: number): Promise<number> {
  const r = await timed(() =>
    evaluate({
      stack: "bench",
      config: {},
      program: async () => {
        for (let i = 0; i < count; i++) {
          new Plain("bench:index:Bare", `bare-${i}`, { index: i, name: `bare-${i}` });
          if (pace && (i + 1) % pace === 0) await yieldToEngine();
        }
        return {};
      },
    }),
  );
  return r.seconds;
}

/**
 * Re-registers recorded resources as plain CustomResources with the same
 * inputs, paced like `bare`: the engine's cost of those inputs, without the
 * program or the provider SDKs.
 */
async function replay(resources: readonly { type: string; name: string; inputs: Record<string, unknown> }[], pace: number): Promise<number> {
  const r = await timed(() =>
    evaluate({
      stack: "bench",
      config: {},
      program: async () => {
        for (const [i, res] of resources.entries()) {
          new Plain("bench:index:Replay", `replay-${i}`, res.inputs);
          if ((i + 1) % pace === 0) await yieldToEngine();
        }
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
  const pace = Math.ceil(all.resources / all.n);
  const plainTimes: number[] = [];
  const pacedTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    plainTimes.push(await bare(all.resources));
    pacedTimes.push(await bare(all.resources, pace));
  }
  const plain = median(plainTimes);
  const paced = median(pacedTimes);
  const prod1 = await evaluateStack("prod1");
  const replayTimes: number[] = [];
  for (let i = 0; i < runs; i++) replayTimes.push(await replay(prod1.resources, pace));
  const replayed = median(replayTimes);
  const verdict = (ok: boolean): string => (ok ? "met" : "NOT met");
  const ratioPlain = all.seconds / plain;
  const ratioPaced = all.seconds / paced;
  // Marginal cost per added region between consecutive points: a fixed
  // per-stack cost makes the average per region fall, so growth is judged on
  // the margins (super-linear growth would make them rise).
  const margins = points.slice(1).map((p, i) => ({ from: points[i]!.n, to: p.n, ms: ((p.seconds - points[i]!.seconds) * 1000) / (p.n - points[i]!.n) }));
  console.log(`\nprod1 (all ${all.n} regions): ${all.seconds.toFixed(2)} s — target < 10 s: ${verdict(all.seconds < 10)}`);
  console.log(`marginal cost per added region: ${margins.map((m) => `${m.from}→${m.to}: ${m.ms.toFixed(0)} ms`).join(", ")} — linear: ${verdict(margins.every((m) => m.ms <= margins[0]!.ms * 1.25))}`);
  console.log(`\n${all.resources} bare resources under mocks, plain loop:            ${plain.toFixed(2)} s`);
  console.log(`${all.resources} bare resources under mocks, paced every ${pace} (a region): ${paced.toFixed(2)} s`);
  console.log(`ratio prod1 / bare, plain loop: ${ratioPlain.toFixed(2)} — target ≤ 2: ${verdict(ratioPlain <= 2)}`);
  console.log(`ratio prod1 / bare, paced like prod1 (the fair floor): ${ratioPaced.toFixed(2)} — target ≤ 2: ${verdict(ratioPaced <= 2)}`);
  console.log(`\nprod1's recorded inputs replayed as plain resources, paced: ${replayed.toFixed(2)} s`);
  console.log(`  = ${(replayed / paced).toFixed(2)} × the paced bare floor: what the inputs alone cost the engine`);
  console.log(`  prod1 / replay: ${(all.seconds / replayed).toFixed(2)}: the program's own overhead on top of its inputs`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
