import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minWaves, planWaves, waveCapacity, waveIndexByZone, type Wave, type WavePolicy } from "../rollout/waves";
import { placements, zonePlacements, type TopologyInput, type ZonePlacement } from "../topology/placements";

/** A synthetic layer: `regions` regions named r0, r1, … with `zones` zones each (r0-a, r0-b, …). */
function topology(regions: number, zones = 2, shards = 1): TopologyInput {
  return {
    level: 1,
    shards,
    regions: Array.from({ length: regions }, (_, i) => ({
      name: `r${i}`,
      zones: Array.from({ length: zones }, (_, j) => `r${i}-${String.fromCharCode(97 + j)}`),
    })),
  };
}

const policy = (over: Partial<WavePolicy> = {}): WavePolicy => ({ canaryRegion: "r0", growth: 2, maxRegionsPerWave: 16, ...over });

/** Random layers and policies: 1–60 regions × 2 zones × 1–8 shards, any canary, growth 1.0–10.0, cap 1–100. */
const arbCase = fc
  .record({
    regions: fc.integer({ min: 1, max: 60 }),
    shards: fc.integer({ min: 1, max: 8 }),
    canary: fc.nat(),
    growthTenths: fc.integer({ min: 10, max: 100 }),
    maxRegionsPerWave: fc.integer({ min: 1, max: 100 }),
  })
  .map((c) => {
    const topo = topology(c.regions, 2, c.shards);
    const pol = policy({ canaryRegion: `r${c.canary % c.regions}`, growth: c.growthTenths / 10, maxRegionsPerWave: c.maxRegionsPerWave });
    return { topo, pol, zones: zonePlacements(topo) };
  });

const waveOf = (waves: readonly Wave[]) => {
  const m = new Map<string, number[]>();
  for (const w of waves) for (const z of w.zones) m.set(z.zone, [...(m.get(z.zone) ?? []), w.index]);
  return m;
};

describe("planWaves properties (fast-check, 1–60 regions × 2 zones × 1–8 shards)", () => {
  it("wave 0 is exactly the first zone of the canary region", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const waves = planWaves(zones, pol);
        expect(waves[0]!.index).toBe(0);
        expect(waves[0]!.zones).toEqual([zones.find((z) => z.region === pol.canaryRegion && z.zoneIndex === 0)]);
      }),
    );
  });

  it("no wave holds both zones of a region", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        for (const w of planWaves(zones, pol)) {
          const regions = w.zones.map((z) => z.region);
          expect(new Set(regions).size).toBe(regions.length);
        }
      }),
    );
  });

  it("a region's second zone is in a strictly later wave than its first", () => {
    fc.assert(
      fc.property(arbCase, ({ topo, pol, zones }) => {
        const at = waveIndexByZone(planWaves(zones, pol));
        for (const r of topo.regions) expect(at.get(r.zones[1]!)!).toBeGreaterThan(at.get(r.zones[0]!)!);
      }),
    );
  });

  it("every zone is in exactly one wave, and waves hold nothing else", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const waves = planWaves(zones, pol);
        const seen = waveOf(waves);
        expect([...seen.keys()].sort()).toEqual(zones.map((z) => z.zone).sort());
        for (const indexes of seen.values()) expect(indexes).toHaveLength(1);
        expect(waves.map((w) => w.index)).toEqual(waves.map((_, i) => i));
        for (const w of waves) expect(w.zones.length).toBeGreaterThan(0);
      }),
    );
  });

  it("every shard placement finds its wave through its zone", () => {
    fc.assert(
      fc.property(arbCase, ({ topo, pol, zones }) => {
        const at = waveIndexByZone(planWaves(zones, pol));
        const all = placements(topo);
        expect(all).toHaveLength(zones.length * topo.shards);
        for (const p of all) expect(at.get(p.zone)).toBeTypeOf("number");
      }),
    );
  });

  it("wave k holds at most min(maxRegionsPerWave, floor(growth^k)) zones", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        planWaves(zones, pol).forEach((w, k) => {
          expect(w.zones.length).toBeLessThanOrEqual(Math.min(pol.maxRegionsPerWave, Math.floor(Math.pow(pol.growth, k))));
        });
      }),
    );
  });

  it("batches never shrink after the canary, except the last (the remainder)", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const sizes = planWaves(zones, pol).map((w) => w.zones.length);
        for (let k = 1; k < sizes.length - 1; k++) expect(sizes[k]!).toBeGreaterThanOrEqual(sizes[k - 1]!);
      }),
    );
  });

  it("the number of waves equals minWaves, the lower bound", () => {
    fc.assert(
      fc.property(arbCase, ({ topo, pol, zones }) => {
        expect(planWaves(zones, pol)).toHaveLength(minWaves(topo.regions.length, 2, pol));
      }),
    );
  });

  it("no region gets its second zone before every region has its first", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const at = waveIndexByZone(planWaves(zones, pol));
        const lastFirst = Math.max(...zones.filter((z) => z.zoneIndex === 0).map((z) => at.get(z.zone)!));
        const firstSecond = Math.min(...zones.filter((z) => z.zoneIndex === 1).map((z) => at.get(z.zone)!));
        expect(firstSecond).toBeGreaterThanOrEqual(lastFirst);
      }),
    );
  });

  it("is deterministic and leaves its input untouched", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const before = JSON.stringify(zones);
        const a = planWaves(zones, pol);
        expect(planWaves(zones, pol)).toEqual(a);
        expect(JSON.stringify(zones)).toBe(before);
      }),
    );
  });

  it("does not depend on the order zones of one region are listed in", () => {
    fc.assert(
      fc.property(arbCase, ({ pol, zones }) => {
        const swapped: ZonePlacement[] = [];
        for (let i = 0; i < zones.length; i += 2) swapped.push(zones[i + 1]!, zones[i]!);
        expect(planWaves(swapped, pol)).toEqual(planWaves(zones, pol));
      }),
    );
  });
});

/**
 * Exhaustive search for the fewest waves that satisfy every rule (canary first and
 * alone, one zone per region per wave, zones of a region in order, wave k ≤ its
 * capacity), independent of planWaves' construction. Small layers only.
 */
function bruteForceMinWaves(regions: number, pol: WavePolicy, canary: number): number {
  const n = regions * 2;
  const full = (1 << n) - 1;
  const bit = (region: number, zoneIndex: number) => 1 << (region * 2 + zoneIndex);
  let frontier = new Set<number>([bit(canary, 0)]);
  for (let depth = 1; ; depth++) {
    if (frontier.has(full)) return depth;
    const cap = waveCapacity(depth, pol);
    const next = new Set<number>();
    for (const done of frontier) {
      for (let wave = 1; wave <= full; wave++) {
        if (wave & done) continue;
        let ok = true;
        let size = 0;
        for (let r = 0; r < regions && ok; r++) {
          const a = wave & bit(r, 0);
          const b = wave & bit(r, 1);
          if (a && b) ok = false;
          if (b && !(done & bit(r, 0))) ok = false;
          if (a) size++;
          if (b) size++;
        }
        if (ok && size <= cap) next.add(done | wave);
      }
    }
    frontier = next;
  }
}

describe("minWaves is the optimum (exhaustive search on small layers)", () => {
  it("matches the fewest waves any valid plan can have", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer({ min: 10, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (regions, canary, growthTenths, maxRegionsPerWave) => {
          const pol = policy({ canaryRegion: `r${canary % regions}`, growth: growthTenths / 10, maxRegionsPerWave });
          const best = bruteForceMinWaves(regions, pol, canary % regions);
          expect(minWaves(regions, 2, pol)).toBe(best);
          expect(planWaves(zonePlacements(topology(regions)), pol)).toHaveLength(best);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("planWaves tables", () => {
  it.each([
    { name: "prod1-like: 42 regions, growth 2, cap 16", regions: 42, growth: 2, cap: 16, sizes: [1, 2, 4, 8, 16, 16, 16, 16, 5] },
    { name: "prod2-like: 8 regions, growth 2, cap 8", regions: 8, growth: 2, cap: 8, sizes: [1, 2, 4, 8, 1] },
    { name: "one region", regions: 1, growth: 2, cap: 16, sizes: [1, 1] },
    { name: "growth 1: one zone at a time", regions: 3, growth: 1, cap: 16, sizes: [1, 1, 1, 1, 1, 1] },
    { name: "cap 1: one zone at a time", regions: 3, growth: 4, cap: 1, sizes: [1, 1, 1, 1, 1, 1] },
    { name: "growth 1.5", regions: 10, growth: 1.5, cap: 100, sizes: [1, 1, 2, 3, 5, 7, 1] },
    { name: "growth 3, waves capped by the region count", regions: 5, growth: 3, cap: 100, sizes: [1, 3, 5, 1] },
  ])("$name → waves of $sizes zones", ({ regions, growth, cap, sizes }) => {
    const pol = policy({ growth, maxRegionsPerWave: cap });
    const waves = planWaves(zonePlacements(topology(regions)), pol);
    expect(waves.map((w) => w.zones.length)).toEqual(sizes);
    expect(minWaves(regions, 2, pol)).toBe(sizes.length);
  });

  it("orders the canary region first, then the others in config order, first zones before second zones", () => {
    const waves = planWaves(zonePlacements(topology(3)), policy({ canaryRegion: "r1" }));
    expect(waves.map((w) => w.zones.map((z) => z.zone))).toEqual([["r1-a"], ["r0-a", "r2-a"], ["r1-b", "r0-b", "r2-b"]]);
  });

  it("looks placements up by zone", () => {
    const at = waveIndexByZone(planWaves(zonePlacements(topology(3)), policy()));
    expect(Object.fromEntries(at)).toEqual({ "r0-a": 0, "r1-a": 1, "r2-a": 1, "r0-b": 2, "r1-b": 2, "r2-b": 2 });
  });

  it.each([
    { k: 0, growth: 2, cap: 16, expected: 1 },
    { k: 4, growth: 2, cap: 16, expected: 16 },
    { k: 5, growth: 2, cap: 16, expected: 16 },
    { k: 2, growth: 1.5, cap: 100, expected: 2 },
    { k: 30, growth: 1, cap: 100, expected: 1 },
    { k: 3, growth: 10, cap: 100, expected: 100 },
  ])("waveCapacity($k) with growth $growth and cap $cap is $expected", ({ k, growth, cap, expected }) => {
    expect(waveCapacity(k, { growth, maxRegionsPerWave: cap })).toBe(expected);
  });

  it("also plans layers with one or three zones per region", () => {
    for (const zonesPer of [1, 3]) {
      const topo = topology(5, zonesPer);
      const waves = planWaves(zonePlacements(topo), policy());
      expect(waves).toHaveLength(minWaves(5, zonesPer, policy()));
      for (const w of waves) expect(new Set(w.zones.map((z) => z.region)).size).toBe(w.zones.length);
    }
  });
});

describe("planWaves errors", () => {
  const zones = zonePlacements(topology(2));
  it.each([
    { name: "no zones", input: [] as ZonePlacement[], pol: policy(), message: /expected at least one zone to roll out to, got none/ },
    { name: "unknown canary", input: zones, pol: policy({ canaryRegion: "r9" }), message: /expected the canary region to be one of the layer's regions \(r0, r1\), got "r9"/ },
    { name: "a zone twice", input: [...zones, zones[0]!], pol: policy(), message: /expected each zone once, got "r0-a" twice/ },
    { name: "uneven regions", input: zones.slice(0, 3), pol: policy(), message: /expected every region to have 2 zone\(s\) like r0, got 1 in r1/ },
    {
      name: "bad zoneIndex",
      input: zones.map((z) => (z.zone === "r1-b" ? { ...z, zoneIndex: 0 } : z)),
      pol: policy(),
      message: /expected the zones of r1 to have zoneIndex 0\.\.1 once each/,
    },
    { name: "growth below 1", input: zones, pol: policy({ growth: 0.5 }), message: /expected growth to be a number ≥ 1, got 0.5/ },
    { name: "cap 0", input: zones, pol: policy({ maxRegionsPerWave: 0 }), message: /expected maxRegionsPerWave to be an integer ≥ 1, got 0/ },
  ])("rejects $name with a full sentence", ({ input, pol, message }) => {
    expect(() => planWaves(input, pol)).toThrow(message);
  });

  it("rejects impossible bound inputs", () => {
    expect(() => minWaves(0, 2, policy())).toThrow(/expected at least 1 region, got 0/);
    expect(() => minWaves(2, 0, policy())).toThrow(/expected at least 1 zone per region, got 0/);
    expect(() => waveCapacity(-1, policy())).toThrow(/expected a wave index ≥ 0, got -1/);
  });
});
