import { describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import { LayerOutputs, parseLayerOutputs, Prod0Outputs } from "../layers/contract";
import { buildTower, KNOWN_STACKS, LAYER_REGISTRY, layerEntry } from "../layers/registry";
import { evaluateStack, offlineLayerOutputs } from "../plan/stack";

const committed = Object.fromEntries(KNOWN_STACKS.map((s) => [s, loadStackConfig(s)]));

describe("the tower is data", () => {
  it("the committed stacks form a tower: prod0 → prod1 → prod2 → prod3, prod3 the control plane", () => {
    const tower = buildTower(committed);
    expect(tower.map((l) => [l.stack, l.managedBy, l.manages])).toEqual([
      ["prod0", "prod-bootstrap", "prod1"],
      ["prod1", "prod0", "prod2"],
      ["prod2", "prod1", "prod3"],
      ["prod3", "prod2", undefined],
    ]);
  });

  it("dependencies only point downward: each layer reads and is managed by the layer exactly one level below", () => {
    for (const entry of LAYER_REGISTRY) {
      const below = committed[entry.stack]!["spive:below"]?.stack.split("/").pop();
      if (entry.level === 0) expect(below).toBeUndefined();
      else expect(layerEntry(below!).level).toBe(entry.level - 1);
    }
  });

  it("a small tower may stop at prod1, which is then the control plane", () => {
    const prod1 = structuredClone(committed.prod1!);
    prod1["spive:layer"].capabilities.controlPlane = true;
    expect(buildTower({ prod0: committed.prod0!, prod1 }).map((l) => l.stack)).toEqual(["prod0", "prod1"]);
  });

  it("rejects a tower whose top is not the control plane, or with a gap", () => {
    expect(() => buildTower({ prod0: committed.prod0!, prod1: committed.prod1! })).toThrowError(
      "stacks/Pulumi.prod1.yaml > spive:layer.capabilities.controlPlane: expected true (the top layer is the control plane), got false",
    );
    expect(() => buildTower({ prod0: committed.prod0!, prod2: committed.prod2!, prod3: committed.prod3! })).toThrowError(
      "stacks/Pulumi.prod2.yaml: expected the tower to have level 1 here, got prod2 (level 2); levels must run from 0 without gaps",
    );
  });

  it("an unknown stack fails with the list of known stacks", async () => {
    expect(() => layerEntry("staging")).toThrowError('Unknown stack "staging": expected one of prod0, prod1, prod2, prod3.');
    await expect(evaluateStack("staging")).rejects.toThrowError('Unknown stack "staging": expected one of prod0, prod1, prod2, prod3.');
  });
});

describe("the layer contract", () => {
  it("accepts what each committed layer exports", () => {
    expect(() => parseLayerOutputs("prod0", offlineLayerOutputs(committed.prod0!), Prod0Outputs)).not.toThrow();
    for (const s of ["prod1", "prod2"]) expect(() => parseLayerOutputs(s, offlineLayerOutputs(committed[s]!), LayerOutputs)).not.toThrow();
  });

  it("names the stack and every missing or malformed output", () => {
    const raw = { ...offlineLayerOutputs(committed.prod1!), managerServiceAccountEmail: "root" } as Record<string, unknown>;
    delete raw.regions;
    expect(() => parseLayerOutputs("spive/spive-infra/prod1", raw, LayerOutputs)).toThrowError(
      'Stack spive/spive-infra/prod1 does not honour the layer contract: output "managerServiceAccountEmail": a service account email, got "root"; output "regions" is missing (Invalid input: expected array, received undefined).',
    );
  });

  it("fails the program, before declaring dependent resources, when the layer below lacks an output", async () => {
    const below = offlineLayerOutputs(committed.prod1!) as Record<string, unknown>;
    delete below.managerServiceAccountEmail;
    await expect(evaluateStack("prod2", { stackReferences: { "spive/spive-infra/prod1": below } })).rejects.toThrowError(
      /^Stack spive\/spive-infra\/prod1 does not honour the layer contract: output "managerServiceAccountEmail" is missing/,
    );
  });

  it("fails the program with the config message, naming the stack file and key", async () => {
    await expect(
      evaluateStack("prod2", {
        mutate: (raw) => {
          (raw["spive:layer"] as { shards: number }).shards = 0;
          return raw;
        },
      }),
    ).rejects.toThrowError("stacks/Pulumi.prod2.yaml > spive:layer.shards: expected number to be >=1, got 0");
  });
});
