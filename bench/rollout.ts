/**
 * `npm run bench:rollout`: figures for the wave planner on the committed stacks.
 * For each stack with a rollout policy: waves planned vs. one zone at a time
 * (2 × regions) vs. the lower bound, the estimated duration of each, and the
 * time to plan. Prints figures; asserts nothing about time.
 */
import { performance } from "node:perf_hooks";
import { loadStackConfig } from "../config/load";
import { estimateDuration, formatDuration } from "../rollout/schedule";
import { minWaves, planWaves } from "../rollout/waves";
import { zonePlacements } from "../topology/placements";

function timePlan(run: () => unknown): { iterations: number; microsPerPlan: number } {
  for (let i = 0; i < 200; i++) run();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 500) {
    for (let i = 0; i < 100; i++) run();
    iterations += 100;
    elapsed = performance.now() - start;
  }
  return { iterations, microsPerPlan: (elapsed * 1000) / iterations };
}

function main(): void {
  console.log("Rolling-upgrade wave planner (rollout/waves.ts)\n");
  for (const stack of ["prod1", "prod2", "prod3"]) {
    const cfg = loadStackConfig(stack);
    const policy = cfg["spive:rollout"];
    if (!policy) continue;
    const layer = cfg["spive:layer"];
    const zones = zonePlacements(layer);
    const waves = planWaves(zones, policy);
    const bound = minWaves(layer.regions.length, 2, policy);
    const oneAtATime = zones.length;
    const planned = estimateDuration(waves, policy).totalSeconds;
    const serial = estimateDuration(
      zones.map((z, index) => ({ index, zones: [z] })),
      policy,
    ).totalSeconds;
    const t = timePlan(() => planWaves(zones, policy));
    console.log(`${stack}: ${layer.regions.length} regions × 2 zones × ${layer.shards} shard(s) = ${zones.length * layer.shards} placements`);
    console.log(`  policy               canary ${policy.canaryRegion}, growth ${policy.growth}, max ${policy.maxRegionsPerWave} regions/wave, ${policy.waveMinutes} min/wave, bake ${policy.bakeSeconds}s`);
    console.log(`  waves planned        ${waves.length}  (sizes ${waves.map((w) => w.zones.length).join(", ")})`);
    console.log(`  lower bound          ${bound}  (planned − bound = ${waves.length - bound})`);
    console.log(`  one zone at a time   ${oneAtATime}  (${(oneAtATime / waves.length).toFixed(1)}× as many waves)`);
    console.log(`  estimated duration   ${formatDuration(planned)} planned vs ${formatDuration(serial)} one zone at a time`);
    console.log(`  time to plan         ${t.microsPerPlan.toFixed(1)} µs per plan (${t.iterations} plans)\n`);
  }

  const synthetic = 1000;
  const regions = Array.from({ length: synthetic }, (_, i) => ({ name: `r${i}`, zones: [`r${i}-a`, `r${i}-b`] }));
  const zones = zonePlacements({ level: 1, shards: 1, regions });
  const policy = { canaryRegion: "r0", growth: 2, maxRegionsPerWave: 16 };
  const t = timePlan(() => planWaves(zones, policy));
  console.log(`synthetic: ${synthetic} regions × 2 zones, growth 2, max 16 regions/wave`);
  console.log(`  waves planned        ${planWaves(zones, policy).length}  (lower bound ${minWaves(synthetic, 2, policy)}, one zone at a time ${zones.length})`);
  console.log(`  time to plan         ${t.microsPerPlan.toFixed(1)} µs per plan (${t.iterations} plans)`);
}

main();
