import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load";
import { LayerOutputs, parseLayerOutputs } from "../layers/contract";
import type { Evaluation } from "../plan/recorder";
import { evaluateStack, offlineLayerOutputs } from "../plan/stack";
import { planDelegation } from "../topology/dns";
import { ofType } from "./helpers/resources";

const child = { dnsName: "prod2.spive.dev.", nameServers: ["ns-a.example.", "ns-b.example."], dsRecords: ["1234 8 2 ABCDEF"] };

describe("planDelegation", () => {
  it("delegates a child zone strictly under the parent with its NS and DS records", () => {
    expect(planDelegation("spive.dev.", child)).toEqual({ kind: "delegate", delegation: { name: "prod2.spive.dev.", nameServers: child.nameServers, dsRecords: child.dsRecords } });
    expect(planDelegation("dev.", child)).toMatchObject({ kind: "delegate" });
  });

  it("delegates an unsigned child with NS records only", () => {
    expect(planDelegation("spive.dev.", { ...child, dsRecords: [] })).toEqual({ kind: "delegate", delegation: { name: "prod2.spive.dev.", nameServers: child.nameServers, dsRecords: [] } });
  });

  it("declares nothing, and says why, when there is no child zone or it is not under the parent", () => {
    expect(planDelegation("spive.dev.", undefined)).toEqual({ kind: "none", reason: "the layer below exports no public zone" });
    expect(planDelegation("spive.dev.", { ...child, dnsName: "spive.dev." })).toMatchObject({ kind: "none" });
    // A suffix that is not a label boundary is not a subdomain.
    expect(planDelegation("spive.dev.", { ...child, dnsName: "notspive.dev." })).toEqual({
      kind: "none",
      reason: "the layer below's zone notspive.dev. is not a subdomain of spive.dev.; delegate it from its own parent",
    });
  });

  it("refuses a child zone without name servers", () => {
    expect(() => planDelegation("spive.dev.", { ...child, nameServers: [] })).toThrowError(
      "The layer below exports public zone prod2.spive.dev. without name servers: expected at least one, got none.",
    );
  });
});

describe("the committed tower delegates prod2's public zone from prod3's", () => {
  const evs: Record<string, Evaluation> = {};
  beforeAll(async () => {
    for (const s of ["prod2", "prod3"]) evs[s] = await evaluateStack(s);
  }, 120_000);

  it("prod2 exports its public zone as the contract says, and the offline outputs prod3's plan reads are what prod2's program exports", () => {
    const exported = parseLayerOutputs("prod2", evs.prod2!.outputs, LayerOutputs).publicZone!;
    expect(exported.dnsName).toBe(loadStackConfig("prod2")["spive:dns"]!.domain);
    expect(exported.dsRecords).toHaveLength(1);
    expect(exported.dsRecords[0]).toMatch(/^\d+ 8 2 [0-9A-F]{64}$/);
    expect((offlineLayerOutputs(loadStackConfig("prod2")) as LayerOutputs).publicZone).toEqual(exported);
  });

  it("prod3's zone holds NS and DS records for prod2's zone with prod2's name servers and DS", () => {
    const exported = evs.prod2!.outputs.publicZone as { dnsName: string; nameServers: string[]; dsRecords: string[] };
    const records = ofType(evs.prod3!, "gcp:dns/recordSet:RecordSet").filter((r) => r.inputs.name === exported.dnsName);
    expect(records.map((r) => r.inputs.type).sort()).toEqual(["DS", "NS"]);
    expect(records.find((r) => r.inputs.type === "NS")!.inputs).toMatchObject({ managedZone: "spive-prod3-public-zone", project: "spive-prod3", rrdatas: exported.nameServers });
    expect(records.find((r) => r.inputs.type === "DS")!.inputs).toMatchObject({ managedZone: "spive-prod3-public-zone", rrdatas: exported.dsRecords });
  });

  it("prod2 delegates nothing: prod1 below it has no public zone", () => {
    expect(ofType(evs.prod2!, "gcp:dns/recordSet:RecordSet").map((r) => r.inputs.type)).toEqual(["A"]);
  });

  it("a malformed public zone from the layer below fails prod3 naming the stack and the output", async () => {
    const below = { ...offlineLayerOutputs(loadStackConfig("prod2")), publicZone: { dnsName: "prod2.spive.dev.", nameServers: [], dsRecords: [] } };
    await expect(evaluateStack("prod3", { stackReferences: { "spive/spive-infra/prod2": below as unknown as Record<string, unknown> } })).rejects.toThrowError(
      /^Stack spive\/spive-infra\/prod2 does not honour the layer contract: output "publicZone\.nameServers": /,
    );
  });
});
