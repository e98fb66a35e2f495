import { beforeAll, describe, expect, it } from "vitest";
import { REPLACE_ON, replaceOnPaths } from "../plan/replace-on";
import type { RecordedResource } from "../plan/recorder";
import { evaluateStack } from "../plan/stack";

/**
 * The replace-only table covers every resource type the committed stacks
 * declare, and its paths are well formed.
 */

const STACKS = ["prod0", "prod1", "prod2", "prod3"] as const;
const recorded: Record<string, RecordedResource[]> = {};

beforeAll(async () => {
  for (const stack of STACKS) recorded[stack] = (await evaluateStack(stack)).resources;
}, 180_000);

describe("REPLACE_ON", () => {
  it.each(STACKS)("%s: every declared custom resource type has an entry", (stack) => {
    const types = [...new Set(recorded[stack]!.filter((r) => r.custom).map((r) => r.type))].sort();
    expect(types.length).toBeGreaterThan(10);
    expect(types.filter((t) => !(t in REPLACE_ON))).toEqual([]);
  });

  it("paths are dotted camelCase property names, without duplicates", () => {
    for (const [type, paths] of Object.entries(REPLACE_ON)) {
      expect(new Set(paths).size, type).toBe(paths.length);
      for (const p of paths) expect(p, `${type}: ${p}`).toMatch(/^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*$/);
    }
  });

  it("knows the replacements this repository relies on", () => {
    expect(replaceOnPaths("gcp:compute/managedSslCertificate:ManagedSslCertificate")).toContain("managed.domains");
    expect(replaceOnPaths("gcp:container/nodePool:NodePool")).toContain("nodeConfig.serviceAccount");
    // GKE resizes a pool's machines in place (UpdateNodePoolRequest.machineType): not a replacement.
    expect(replaceOnPaths("gcp:container/nodePool:NodePool")).not.toContain("nodeConfig.machineType");
    expect(replaceOnPaths("gcp:compute/instanceTemplate:InstanceTemplate")).toContain("machineType");
    expect(replaceOnPaths("no:such/type:Type")).toEqual([]);
  });
});
