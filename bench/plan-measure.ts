/**
 * One measurement of `npm run bench:plan`, in a fresh process, as the Pulumi
 * CLI runs a program: loads the modules, warms up on prod0, then times one
 * evaluation and prints `{"resources": n, "seconds": cpu, "wall": s}`.
 *
 * Usage: plan-measure.ts stack <name> [regions]
 *        plan-measure.ts bare <count> [pace]
 *        plan-measure.ts replay <inputs.json> <pace>
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { yieldToEngine } from "../layers/pace";
import { evaluate, type Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";

/** A resource with no provider behind it: the engine's floor cost per resource. */
class Plain extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs) {
    super(type, name, props);
  }
}

/** Registers `inputs.length` plain resources; with `pace`, yields to the engine after every `pace` of them, as the layer program does after each region. */
function plainProgram(type: string, inputs: (i: number) => pulumi.Inputs, count: number, pace: number): () => Promise<Record<string, never>> {
  return async () => {
    for (let i = 0; i < count; i++) {
      new Plain(type, `r-${i}`, inputs(i));
      if (pace > 0 && (i + 1) % pace === 0) await yieldToEngine();
    }
    return {};
  };
}

function prod1WithRegions(n: number): Promise<Evaluation> {
  return evaluateStack("prod1", {
    mutate: (raw) => {
      const layer = raw["spive:layer"] as { regions: { name: string }[] };
      layer.regions = layer.regions.slice(0, n);
      const rollout = raw["spive:rollout"] as { canaryRegion: string };
      if (!layer.regions.some((x) => x.name === rollout.canaryRegion)) rollout.canaryRegion = layer.regions[0]!.name;
      return raw;
    },
  });
}

async function main(): Promise<void> {
  const [kind, a, b] = process.argv.slice(2);
  let run: () => Promise<Evaluation>;
  if (kind === "stack") run = () => (b ? prod1WithRegions(Number(b)) : evaluateStack(a!));
  else if (kind === "bare") run = () => evaluate({ stack: "bench", config: {}, program: plainProgram("bench:index:Bare", (i) => ({ index: i, name: `bare-${i}` }), Number(a), Number(b ?? 0)) });
  else if (kind === "replay") {
    const inputs = JSON.parse(fs.readFileSync(a!, "utf8")) as pulumi.Inputs[];
    run = () => evaluate({ stack: "bench", config: {}, program: plainProgram("bench:index:Replay", (i) => inputs[i]!, inputs.length, Number(b)) });
  } else throw new Error(`plan-measure: expected stack, bare or replay, got "${kind}".`);
  await evaluateStack("prod0"); // warm-up: module loading and JIT, as in every measurement
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const ev = await run();
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ resources: ev.resources.length, seconds: (used.user + used.system) / 1e6, wall: Number(process.hrtime.bigint() - wall) / 1e9 })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
