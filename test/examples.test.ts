import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { loadTower, stackNamesIn } from "../diagram/load";
import { evaluateStack } from "../plan/stack";
import type { RecordedResource } from "../plan/recorder";
import { policyReport } from "../policy/report";

/**
 * The small setups in examples/: the tower's height is configuration. Each
 * example must form a tower, and every one of its stacks must evaluate on the
 * mock engine with the expected control plane on top and nothing above it.
 */

const EXAMPLES = [
  { name: "small-prod1", stacks: ["prod0", "prod1"], top: "prod1", absent: ["prod2", "prod3"] },
  { name: "small-prod2", stacks: ["prod0", "prod1", "prod2"], top: "prod2", absent: ["prod3"] },
] as const;

const ofType = (rs: readonly RecordedResource[], type: string) => rs.filter((r) => r.type === type);

describe.each(EXAMPLES)("examples/$name", (ex) => {
  const dir = path.join(REPO_ROOT, "examples", ex.name);

  it("holds exactly the stacks of a tower that stops at the expected layer", () => {
    expect(stackNamesIn(dir)).toEqual([...ex.stacks]);
    const tower = loadTower(dir);
    expect(tower.map((l) => l.stack)).toEqual([...ex.stacks]);
    expect(tower.filter((l) => l.config["spive:layer"].capabilities.controlPlane).map((l) => l.stack)).toEqual([ex.top]);
    expect(tower.at(-1)!.manages).toBeUndefined();
  });

  it("is a Pulumi project of its own that runs the repository's program with this folder's configs", () => {
    const project = parseYaml(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    expect(project).toMatchObject({ name: `spive-${ex.name}`, runtime: { name: "nodejs" }, stackConfigDir: "." });
    expect(path.resolve(dir, String(project.main))).toBe(REPO_ROOT);
    expect(fs.existsSync(path.join(dir, "README.md"))).toBe(true);
  });

  it("keeps prod0's zones and bootstrap block equal to the committed prod0 (the bootstrap driver reads those from stacks/)", () => {
    const mine = loadStackConfig("prod0", dir);
    const committed = loadStackConfig("prod0");
    expect(mine["spive:layer"].regions).toEqual(committed["spive:layer"].regions);
    expect(mine["spive:bootstrap"]).toEqual(committed["spive:bootstrap"]);
    expect(mine["gcp:project"]).not.toBe(committed["gcp:project"]);
  });

  it("evaluates every stack on the mock engine with the control plane on top, nothing above it, and no policy violation", async () => {
    for (const stack of ex.stacks) {
      const { resources, outputs } = await evaluateStack(stack, { stacksDir: dir });
      const level = Number(stack.slice(4));
      expect(policyReport(stack, resources).violations).toEqual([]);
      expect(outputs).toMatchObject({ level, controlPlane: stack === ex.top });
      for (const absent of ex.absent) {
        expect(resources.filter((r) => r.name.includes(`spive-${absent}`) || r.urn.includes(`/${absent}`))).toEqual([]);
      }
      const refs = ofType(resources, "pulumi:pulumi:StackReference").map((r) => r.name);
      expect(refs).toEqual(level === 0 ? [] : [`spive/spive-${ex.name}/prod${level - 1}`]);
      const publicZones = ofType(resources, "gcp:dns/managedZone:ManagedZone").filter((z) => z.inputs.visibility === "public");
      if (stack === ex.top) {
        expect(outputs.endpoint).toBe("https://app.spive.example/");
        expect(publicZones).toHaveLength(1);
        expect(publicZones[0]!.inputs).toMatchObject({ dnsName: "spive.example.", dnssecConfig: { state: "on" } });
        expect(ofType(resources, "gcp:compute/managedSslCertificate:ManagedSslCertificate")).toHaveLength(1);
        expect(ofType(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length).toBeGreaterThan(0);
      } else {
        expect(outputs.endpoint).toBeUndefined();
        expect(publicZones).toEqual([]);
        expect(ofType(resources, "gcp:compute/globalAddress:GlobalAddress")).toEqual([]);
      }
    }
  });
});
