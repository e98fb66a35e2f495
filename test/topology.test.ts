import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contains, formatCidr, overlaps, parseCidr, regionCidrs, subBlock } from "../topology/cidr";
import { placements, runnerHostName, zonePlacements } from "../topology/placements";
import { propertyRuns } from "./helpers/budget";

const letters = "abcdefghij";
/** Random topologies: 1–60 regions, 2 zones each, 1–8 shards. */
const topology = fc
  .record({ level: fc.integer({ min: 0, max: 9 }), regionCount: fc.integer({ min: 1, max: 60 }), shards: fc.integer({ min: 1, max: 8 }) })
  .map(({ level, regionCount, shards }) => ({
    level,
    shards,
    regions: Array.from({ length: regionCount }, (_, i) => ({ name: `region-west${i + 1}`, zones: [`region-west${i + 1}-${letters[i % 5]}`, `region-west${i + 1}-${letters[(i % 5) + 1]}`] })),
  }));

describe("placements", () => {
  it("are every region × zone × shard exactly once, with unique stable keys", () => {
    fc.assert(
      fc.property(topology, (t) => {
        const ps = placements(t);
        expect(ps).toHaveLength(t.regions.length * 2 * t.shards);
        expect(new Set(ps.map((p) => p.key)).size).toBe(ps.length);
        // One comparison per topology (a matcher per placement made this test slow under load).
        const expected = t.regions.flatMap((r) => r.zones.flatMap((z, zi) => Array.from({ length: t.shards }, (_, s) => ({ region: r.name, zone: z, zoneIndex: zi, shard: s, key: `spive-prod${t.level}-s${s}-${z}` }))));
        const byZoneThenShard = (a: { zone: string; shard: number }, b: { zone: string; shard: number }) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : a.shard - b.shard);
        const seen = ps.map((p) => ({ region: p.region, zone: p.zone, zoneIndex: p.zoneIndex, shard: p.shard, key: p.key }));
        expect(seen.sort(byZoneThenShard)).toEqual(expected.sort(byZoneThenShard));
        // Within a zone, placements come in shard order.
        const zonesOutOfOrder = t.regions.flatMap((r) => r.zones).filter((z) => ps.filter((p) => p.zone === z).some((p, i) => p.shard !== i));
        expect(zonesOutOfOrder).toEqual([]);
      }),
    );
  });

  it("keep the keys of existing regions when a region is appended (no renames)", () => {
    fc.assert(
      fc.property(topology, (t) => {
        const before = placements(t).map((p) => p.key);
        const grown = { ...t, regions: [...t.regions, { name: "extra-east9", zones: ["extra-east9-a", "extra-east9-b"] }] };
        const after = placements(grown).map((p) => p.key);
        expect(after.slice(0, before.length)).toEqual(before);
      }),
    );
  });

  it("zone placements list each region's first zone before its second", () => {
    fc.assert(
      fc.property(topology, (t) => {
        const zs = zonePlacements(t);
        expect(zs).toHaveLength(t.regions.length * 2);
        t.regions.forEach((_r, i) => expect(zs.slice(2 * i, 2 * i + 2).map((z) => z.zoneIndex)).toEqual([0, 1]));
      }),
    );
  });

  it.each([0, -1, 1.5])("rejects a shard count of %s", (shards) => {
    expect(() => placements({ level: 1, shards, regions: [] })).toThrowError(`placements: expected a shard count ≥ 1, got ${shards}.`);
  });

  it("names runner hosts stably by zone and index", () => {
    expect(runnerHostName("europe-west1-b", 0)).toBe("spive-prod0-basic-runner-europe-west1-b-0");
  });
});

describe("address plan", () => {
  it("round-trips CIDR blocks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (addr, len) => {
        const base = len === 0 ? 0 : (addr & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
        expect(parseCidr(formatCidr(base, len))).toEqual({ base, len });
      }),
    );
  });

  it("gives every region disjoint ranges inside the layer block, up to 64 regions in a /10", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (n) => {
        const all = Array.from({ length: n }, (_, i) => regionCidrs("10.64.0.0/10", i));
        const blocks = all.flatMap((r) => [r.nodes, r.pods, r.services]);
        expect(blocks.filter((b) => !contains("10.64.0.0/10", b))).toEqual([]);
        // One assertion over every pair (an expect per pair made this test take tens of seconds).
        const overlapping: string[] = [];
        for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) if (overlaps(blocks[i]!, blocks[j]!)) overlapping.push(`${blocks[i]} ∩ ${blocks[j]}`);
        expect(overlapping).toEqual([]);
      }),
      { numRuns: propertyRuns(20, 100) },
    );
  });

  it("refuses a 65th region in a /10 with a clear message", () => {
    expect(() => regionCidrs("10.64.0.0/10", 64)).toThrowError("10.64.0.0/10 holds 64 blocks of /16; index 64 is out of range.");
  });

  it.each(["10.0.0.0", "300.0.0.0/8", "10.0.0.0/33"])("rejects the malformed block %s", (c) => {
    expect(() => parseCidr(c)).toThrowError(`expected an IPv4 CIDR block such as 10.0.0.0/8, got "${c}".`);
  });

  it("carves sub-blocks in order", () => {
    expect(subBlock("10.0.0.0/16", 24, 3)).toBe("10.0.3.0/24");
  });
});
