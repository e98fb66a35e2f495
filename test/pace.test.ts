import { describe, expect, it, vi } from "vitest";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";

// layers/pace.ts promises that yielding to the engine between regions changes
// neither what is declared nor how it depends on what: the same evaluation
// with the yields replaced by nothing must record the same resources, inputs,
// dependencies and options, and return the same outputs.
const pacing = vi.hoisted(() => ({ on: true, yields: 0 }));
vi.mock("../layers/pace", () => ({
  yieldToEngine: (): Promise<void> => {
    if (!pacing.on) return Promise.resolve();
    pacing.yields++;
    return new Promise((resolve) => setImmediate(resolve));
  },
}));

const fiveRegions = (raw: Record<string, unknown>): Record<string, unknown> => {
  const layer = raw["spive:layer"] as { regions: { name: string }[] };
  layer.regions = layer.regions.slice(0, 5);
  (raw["spive:rollout"] as { canaryRegion: string }).canaryRegion = layer.regions[0]!.name;
  return raw;
};

async function both(stack: string, preview: boolean): Promise<[Evaluation, Evaluation, number]> {
  pacing.on = true;
  pacing.yields = 0;
  const paced = await evaluateStack(stack, { preview, mutate: stack === "prod1" ? fiveRegions : undefined });
  const yields = pacing.yields;
  pacing.on = false;
  const unpaced = await evaluateStack(stack, { preview, mutate: stack === "prod1" ? fiveRegions : undefined });
  pacing.on = true;
  return [paced, unpaced, yields];
}

describe("declaring region by region (layers/pace.ts)", () => {
  it.each([
    ["prod1", false],
    ["prod3", false],
    ["prod3", true],
  ] as const)("%s (preview %s): the same resources, inputs, dependencies and outputs with and without the yields", async (stack, preview) => {
    const [paced, unpaced, yields] = await both(stack, preview);
    expect(yields).toBeGreaterThan(0);
    expect(paced.resources.length).toBeGreaterThan(100);
    expect(paced.resources).toEqual(unpaced.resources);
    expect(paced.outputs).toEqual(unpaced.outputs);
  }, 60_000);
});
