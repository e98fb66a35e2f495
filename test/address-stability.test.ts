import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateStack } from "../plan/stack";
import { contains, layerAddressPlan, overlaps } from "../topology/cidr";
import { REGION_CATALOG } from "../topology/regions";
import { ofType } from "./helpers/resources";

describe("region address blocks come from the permanent region catalog", () => {
  it("a region gets the same ranges whatever other regions the layer lists (property)", () => {
    fc.assert(
      fc.property(fc.subarray([...REGION_CATALOG]), fc.subarray([...REGION_CATALOG]), (a, b) => {
        const pa = layerAddressPlan("10.64.0.0/10", a);
        const pb = layerAddressPlan("10.64.0.0/10", b);
        for (const region of a.filter((r) => b.includes(r))) expect(pa[region]).toEqual(pb[region]);
      }),
    );
  });

  it("every catalogued region's ranges lie in the /10 and overlap no other region's", () => {
    const plan = Object.entries(layerAddressPlan("10.64.0.0/10", REGION_CATALOG));
    const ranges = plan.flatMap(([region, r]) => Object.values(r).map((cidr) => ({ region, cidr })));
    for (const x of ranges) expect(contains("10.64.0.0/10", x.cidr)).toBe(true);
    for (const [i, x] of ranges.entries()) {
      for (const y of ranges.slice(i + 1)) if (x.region !== y.region) expect(overlaps(x.cidr, y.cidr), `${x.region} ${x.cidr} vs ${y.region} ${y.cidr}`).toBe(false);
    }
    expect(REGION_CATALOG.length).toBeLessThanOrEqual(64);
    expect(new Set(REGION_CATALOG).size).toBe(REGION_CATALOG.length);
  });

  it("refuses a region missing from the catalog with a full sentence", () => {
    expect(() => layerAddressPlan("10.0.0.0/8", ["mars-north1"])).toThrowError(
      'Region "mars-north1" is not in the region catalog (topology/regions.ts): expected a catalogued region, got "mars-north1".',
    );
  });

  it("removing a region from the middle of prod2 leaves every other region's subnet untouched (mock engine)", async () => {
    const subnets = (ev: Awaited<ReturnType<typeof evaluateStack>>) =>
      Object.fromEntries(ofType(ev, "gcp:compute/subnetwork:Subnetwork").map((s) => [s.inputs.region, { ip: s.inputs.ipCidrRange, secondary: s.inputs.secondaryIpRanges }]));
    const before = subnets(await evaluateStack("prod2"));
    let removed = "";
    const after = subnets(
      await evaluateStack("prod2", {
        mutate: (raw) => {
          const regions = (raw["spive:layer"] as { regions: { name: string }[] }).regions;
          removed = regions.splice(2, 1)[0]!.name;
          return raw;
        },
      }),
    );
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length - 1);
    expect(after[removed]).toBeUndefined();
    for (const [region, ranges] of Object.entries(after)) expect(ranges).toEqual(before[region]);
  });
});
