import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../policy/registry";
import { goldenStack } from "./policy-golden";

/**
 * The pack under the Pulumi CLI's own runner: `policy/` is started exactly as
 * `pulumi preview --policy-pack policy` starts it (the nodejs language host
 * runs `@pulumi/pulumi/cmd/run-policy-pack` with the pack folder as working
 * directory, which compiles index.ts with ts-node and serves the analyzer
 * gRPC API), and the test plays the engine's part over gRPC.
 */

const PACK_DIR = path.join(__dirname, "..", "policy");
const fromPolicy = (mod: string): string => require.resolve(mod, { paths: [path.dirname(require.resolve("@pulumi/policy"))] });
/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require(fromPolicy("@grpc/grpc-js")) as typeof import("@grpc/grpc-js");
const apb = require(fromPolicy("@pulumi/pulumi/proto/analyzer_pb")) as typeof import("@pulumi/pulumi/proto/analyzer_pb");
const rpc = require(fromPolicy("@pulumi/pulumi/proto/analyzer_grpc_pb")) as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require(fromPolicy("google-protobuf/google/protobuf/struct_pb")) as typeof import("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require(fromPolicy("google-protobuf/google/protobuf/empty_pb")) as typeof import("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The engine's sentinel for a string output not known during a preview. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** `pulumirpc.EnforcementLevel.MANDATORY`. */
const MANDATORY = 1;

let child: ChildProcess;
let client: InstanceType<typeof rpc.AnalyzerClient>;

type Analysis = InstanceType<typeof apb.AnalyzeResponse>;
const settle = <T>(resolve: (v: T) => void, reject: (e: Error) => void) => (err: Error | null, res: T) => (err ? reject(err) : resolve(res));
const analyzerInfo = () => new Promise<InstanceType<typeof apb.AnalyzerInfo>>((ok, fail) => client.getAnalyzerInfo(new Empty(), settle(ok, fail)));
const analyze = (req: InstanceType<typeof apb.AnalyzeRequest>) => new Promise<Analysis>((ok, fail) => client.analyze(req, settle(ok, fail)));
const analyzeStack = (req: InstanceType<typeof apb.AnalyzeStackRequest>) => new Promise<Analysis>((ok, fail) => client.analyzeStack(req, settle(ok, fail)));

function resource<T extends InstanceType<typeof apb.AnalyzeRequest> | InstanceType<typeof apb.AnalyzerResource>>(msg: T, r: { type: string; urn: string; name: string; props: Record<string, unknown> }): T {
  msg.setType(r.type);
  msg.setUrn(r.urn);
  msg.setName(r.name);
  msg.setProperties(Struct.fromJavaScript(r.props as Record<string, never>));
  msg.setOptions(new apb.AnalyzerResourceOptions());
  return msg;
}

beforeAll(async () => {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
  child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += String(d);
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on("data", (d) => (err += String(d)));
    child.on("exit", (code) => reject(new Error(`the policy pack exited with code ${code} before serving: ${err}`)));
  });
  client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(() => {
  client?.close();
  child?.kill();
});

describe("policy/ under the Pulumi CLI's policy-pack runner", () => {
  it("serves the spive-guardrails pack with one mandatory policy per registry rule", async () => {
    const info = await analyzerInfo();
    expect(info.getName()).toBe("spive-guardrails");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(RULES.map((r) => r.id));
    expect(new Set(info.getPoliciesList().map((p) => p.getEnforcementlevel()))).toEqual(new Set([MANDATORY]));
  });

  it("passes a compliant resource and reports a violating one as mandatory, leaving preview unknowns unjudged", async () => {
    const cluster = goldenStack().cluster!;
    const clean = await analyze(resource(new apb.AnalyzeRequest(), cluster));
    expect(clean.getDiagnosticsList()).toEqual([]);
    const bad = { ...cluster, props: { ...cluster.props, enableLegacyAbac: true, privateClusterConfig: { enablePrivateNodes: UNKNOWN_STRING, enablePrivateEndpoint: true } } };
    const res = await analyze(resource(new apb.AnalyzeRequest(), bad));
    const diags = res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]);
    expect(diags).toEqual([["gke-no-legacy-abac", MANDATORY, expect.stringContaining('gcp:container/cluster:Cluster "gke-europe-west1" > enableLegacyAbac: expected unset or false, got true.')]]);
  });

  it("runs the stack rules over the stack's resources and names the offending one", async () => {
    const g = goldenStack();
    const req = new apb.AnalyzeStackRequest();
    req.setResourcesList([g.deployment!, g.scaled!, g.scaledPdb!, g.hpa!].map((r) => resource(new apb.AnalyzerResource(), r)));
    const res = await analyzeStack(req);
    const diags = res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getUrn(), d.getEnforcementlevel()]);
    expect(diags).toEqual([["k8s-pod-disruption-budget", g.deployment!.urn, MANDATORY]]);
  });
});
