import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINDING_ENV, prod0Binding } from "../bootstrap/driver/target";
import { BOOTSTRAP_RUN_COMMAND, bootstrapRunId, PREVIEW_RUN_ID, planBootstrapRun, RUN_ID_ENV } from "../bootstrap/driver/trigger";
import { loadStackConfig } from "../config/load";
import { ProdBootstrap } from "../layers/components/bootstrap";
import { evaluate } from "../plan/recorder";
import { evaluateStack, offlineLayerOutputs } from "../plan/stack";
import type { Prod0Outputs } from "../layers/contract";
import { RunnerHostDouble } from "../doubles/runner-host";
import { randomBytes } from "node:crypto";
import { tokenAuthenticator } from "../bootstrap/contracts/auth";

// The Pulumi side of the bootstrap on the mock engine: the prod0 stack
// declares the bootstrap command with the stack's runner hosts as its
// binding, a preview changes nothing anywhere, and a bad log fails the
// evaluation (so `pulumi preview -s prod0` fails the pull request).

const COMMAND_TYPE = "command:local:Command";
let runner: RunnerHostDouble;
let tmp: string;

beforeAll(async () => {
  // Its token is never handed out: the test proves that nothing calls it at all.
  runner = new RunnerHostDouble({ name: "counting-runner", zones: ["europe-west1-b", "europe-west1-c"], auth: tokenAuthenticator(randomBytes(32).toString("base64url")) });
  await runner.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-bootstrap-pulumi-"));
});

afterAll(async () => {
  await runner.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the prod0 stack's bootstrap", () => {
  it("a preview declares the bootstrap command bound to the stack's runner hosts and calls no runner", async () => {
    const before = runner.requests;
    const ev = await evaluateStack("prod0", { preview: true });
    const cmds = ev.resources.filter((r) => r.type === COMMAND_TYPE);
    expect(cmds).toHaveLength(1);
    const cmd = cmds[0]!;
    expect(cmd.inputs.create).toBe(BOOTSTRAP_RUN_COMMAND);
    const triggers = cmd.inputs.triggers as string[];
    expect(triggers[0]).toBe(PREVIEW_RUN_ID);
    expect(triggers[1]).toMatch(/^sha256:[0-9a-f]{64}$/);
    const binding = JSON.parse((cmd.inputs.environment as Record<string, string>)[BINDING_ENV]!);
    const outputs = offlineLayerOutputs(loadStackConfig("prod0")) as Prod0Outputs;
    expect(binding).toEqual(prod0Binding(outputs));
    expect(binding.runnerHosts).toHaveLength(outputs.runnerHosts.length);
    // It runs only after the runner hosts, the event store and the firewall exist.
    for (const h of outputs.runnerHosts) expect(cmd.dependsOn).toContain(`urn:pulumi:prod0::spive-infra::spive:layer:BasicRunner$gcp:compute/perInstanceConfig:PerInstanceConfig::${h.name}`);
    expect(cmd.dependsOn.some((u) => u.includes("gcp:spanner/database:Database::"))).toBe(true);
    expect(cmd.dependsOn.some((u) => u.endsWith("::spive-prod0-allow-deployer-to-runner-api"))).toBe(true);
    expect(runner.requests).toBe(before);
  });

  it("an invalid log fails the evaluation of prod0, naming the line", async () => {
    const bad = path.join(tmp, "bad.jsonl");
    const good = fs.readFileSync(path.join(__dirname, "..", "SpiveProdBootstrap.jsonl"), "utf8").split("\n");
    fs.writeFileSync(bad, good.filter((l) => !l.includes('"CreateProcess"')).join("\n"));
    await expect(
      evaluateStack("prod0", {
        preview: true,
        mutate: (raw) => ({ ...raw, "spive:bootstrap": { ...(raw["spive:bootstrap"] as object), log: bad } }),
      }),
    ).rejects.toThrow(/bad\.jsonl:\d+ CreateInstance\.process: process "SpiveProd0" is not created before this line/);
  });
});

describe("the ProdBootstrap component", () => {
  const hosts = () => [
    { name: "h-b", zone: "europe-west1-b", hostname: "127.0.0.1", port: Number(new URL(runner.url).port) },
    { name: "h-c", zone: "europe-west1-c", hostname: "127.0.0.1", port: Number(new URL(runner.url).port) },
  ];
  const store = { project: "spive-prod0", instance: "spive-prod0-events", database: "spive-events" };
  const runnerApi = { audience: "https://runner-api.prod0.spive.internal", allowedIdentities: ["spive-prod0-deployer@spive-prod0.iam.gserviceaccount.com"] };
  const config = loadStackConfig("prod0")["spive:bootstrap"]!;

  it.each([true, false])("bound to a live runner double, evaluating it (preview %s) makes zero runner calls", async (preview) => {
    const before = runner.requests;
    const plan = planBootstrapRun({ runnerHosts: hosts(), eventStore: store, runnerApi }, config, bootstrapRunId(preview, { [RUN_ID_ENV]: "ci-42-1" }), "sha256:x");
    const ev = await evaluate({ stack: "prod0", config: {}, preview, program: () => new ProdBootstrap("b", { plan, after: [] }) });
    const cmd = ev.resources.find((r) => r.type === COMMAND_TYPE)!;
    expect(cmd.inputs.triggers).toEqual([preview ? PREVIEW_RUN_ID : "ci-42-1", "sha256:x"]);
    expect(JSON.parse((cmd.inputs.environment as Record<string, string>)[BINDING_ENV]!).runnerHosts[0].url).toBe(runner.url);
    expect(ev.resources.find((r) => r.type === "spive:bootstrap:ProdBootstrap")).toBeDefined();
    expect(runner.requests).toBe(before);
  });

  it("draws a fresh run id on every update unless CI names the run", () => {
    const a = bootstrapRunId(false, {});
    const b = bootstrapRunId(false, {});
    expect(a).not.toBe(b);
    expect(bootstrapRunId(false, { [RUN_ID_ENV]: " 7-2 " })).toBe("7-2");
    expect(bootstrapRunId(true, { [RUN_ID_ENV]: "7-2" })).toBe(PREVIEW_RUN_ID);
  });

  it("gives Pulumi a create timeout covering every phase", () => {
    const plan = planBootstrapRun({ runnerHosts: hosts(), eventStore: store, runnerApi }, config, "r", "d");
    const t = config.timeouts;
    const sum = t.validateSeconds + t.leaseSeconds + t.dryReplaySeconds + t.preflightSeconds + t.wipeSeconds + t.startSeconds + t.consumeSeconds + t.stopSeconds + t.verifySeconds;
    expect(Number(plan.createTimeout.replace(/s$/, ""))).toBeGreaterThan(sum);
  });
});
