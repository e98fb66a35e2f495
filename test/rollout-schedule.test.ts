import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bakePlan, estimateDuration, formatDuration, waveGate } from "../rollout/schedule";
import { planWaves, type Wave } from "../rollout/waves";
import { zonePlacements } from "../topology/placements";

function waves(regions: number, growth = 2, maxRegionsPerWave = 16): Wave[] {
  const topo = {
    level: 1,
    shards: 1,
    regions: Array.from({ length: regions }, (_, i) => ({ name: `r${i}`, zones: [`r${i}-a`, `r${i}-b`] })),
  };
  return planWaves(zonePlacements(topo), { canaryRegion: "r0", growth, maxRegionsPerWave });
}

describe("bakePlan", () => {
  it("puts one pause between every two waves, as a time.Sleep duration carrying the triggers", () => {
    const plan = waves(42);
    const steps = bakePlan(plan, { bakeSeconds: 300 }, { version: "2026.11.1" });
    expect(steps).toHaveLength(plan.length - 1);
    expect(steps[0]).toEqual({
      name: "bake-after-wave-0",
      afterWave: 0,
      beforeWave: 1,
      seconds: 300,
      createDuration: "300s",
      triggers: { version: "2026.11.1" },
    });
    expect(steps.map((s) => s.afterWave)).toEqual(plan.slice(0, -1).map((w) => w.index));
    expect(new Set(steps.map((s) => s.name)).size).toBe(steps.length);
  });

  it("declares no pause when bakeSeconds is 0, or for a single wave", () => {
    expect(bakePlan(waves(42), { bakeSeconds: 0 }, { version: "1.0.0" })).toEqual([]);
    expect(bakePlan(waves(1).slice(0, 1), { bakeSeconds: 60 }, { version: "1.0.0" })).toEqual([]);
  });

  it("refuses to plan pauses without a trigger, since they would wait only on the first rollout", () => {
    expect(() => bakePlan(waves(3), { bakeSeconds: 60 }, {})).toThrow(/expected at least one trigger/);
  });

  it("rejects a negative or fractional bake", () => {
    expect(() => bakePlan(waves(3), { bakeSeconds: -1 }, { version: "1.0.0" })).toThrow(/expected bakeSeconds to be an integer ≥ 0, got -1/);
    expect(() => bakePlan(waves(3), { bakeSeconds: 1.5 }, { version: "1.0.0" })).toThrow(/got 1.5/);
  });
});

describe("waveGate", () => {
  const plan = waves(8);
  it("starts the canary on nothing, and chains every later wave to the bake after the previous one", () => {
    const steps = bakePlan(plan, { bakeSeconds: 600 }, { version: "1.0.0" });
    expect(waveGate(0, steps)).toEqual({ kind: "start" });
    for (let k = 1; k < plan.length; k++) {
      const gate = waveGate(k, steps);
      expect(gate.kind).toBe("bake");
      if (gate.kind === "bake") expect(gate.step.afterWave).toBe(k - 1);
    }
  });

  it("chains directly to the previous wave without a bake", () => {
    for (let k = 1; k < plan.length; k++) expect(waveGate(k, [])).toEqual({ kind: "wave", wave: k - 1 });
    expect(() => waveGate(-1, [])).toThrow(/expected a wave index ≥ 0, got -1/);
  });
});

describe("estimateDuration", () => {
  it("prod1's committed policy: 9 waves × 10 min + 8 bakes × 5 min = 2 h 10 min", () => {
    const est = estimateDuration(waves(42), { waveMinutes: 10, bakeSeconds: 300 });
    expect(est).toEqual({
      startOffsetsSeconds: [0, 900, 1800, 2700, 3600, 4500, 5400, 6300, 7200],
      waveSeconds: 600,
      bakeSeconds: 300,
      bakes: 8,
      totalSeconds: 7800,
    });
    expect(formatDuration(est.totalSeconds)).toBe("2h 10m");
  });

  it("the last wave starts at total − one wave, and each wave starts one wave + bake after the previous", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 86400 }),
        (regions, waveMinutes, bakeSeconds) => {
          const plan = waves(regions);
          const est = estimateDuration(plan, { waveMinutes, bakeSeconds });
          const offsets = est.startOffsetsSeconds;
          expect(offsets).toHaveLength(plan.length);
          expect(offsets[0]).toBe(0);
          expect(est.totalSeconds).toBe(offsets[offsets.length - 1]! + waveMinutes * 60);
          for (let k = 1; k < offsets.length; k++) expect(offsets[k]! - offsets[k - 1]!).toBe(waveMinutes * 60 + bakeSeconds);
        },
      ),
    );
  });

  it("rejects a non-positive wave time", () => {
    expect(() => estimateDuration(waves(2), { waveMinutes: 0, bakeSeconds: 0 })).toThrow(/expected waveMinutes to be a positive number, got 0/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45, "45s"],
    [300, "5m"],
    [330, "5m 30s"],
    [3600, "1h 00m"],
    [3900, "1h 05m"],
    [7830, "2h 10m 30s"],
  ])("%i s → %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it("rejects negative durations", () => {
    expect(() => formatDuration(-1)).toThrow(/expected a number of seconds ≥ 0, got -1/);
  });
});
