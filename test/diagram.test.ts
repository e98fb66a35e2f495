import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { StackConfig } from "../config/schema";
import { loadTower } from "../diagram/load";
import { DIAGRAM_END, DIAGRAM_START, extractDiagram, renderDiagramBlock, replaceDiagram } from "../diagram/readme";
import { placementCount, summarizeLayer, towerDiagram } from "../diagram/tower";
import { buildTower } from "../layers/registry";
import { run, runOk } from "./helpers/proc";

const README = path.join(REPO_ROOT, "README.md");
const tower = loadTower();

describe("the tower diagram", () => {
  it("is current in README.md (run `npm run diagram` after changing a stack config)", () => {
    expect(extractDiagram(fs.readFileSync(README, "utf8"))).toBe(towerDiagram(tower));
  });

  it("goes stale when a stack config changes, so the README test can fail", () => {
    const configs = Object.fromEntries(tower.map((l) => [l.stack, l.config]));
    const prod1 = configs.prod1!;
    const shrunk = StackConfig.parse({
      ...prod1,
      "spive:layer": { ...prod1["spive:layer"], regions: prod1["spive:layer"].regions.slice(1) },
      "spive:rollout": { ...prod1["spive:rollout"], canaryRegion: prod1["spive:layer"].regions[1]!.name },
    });
    const changed = towerDiagram(buildTower({ ...configs, prod1: shrunk }));
    expect(changed).not.toBe(towerDiagram(tower));
    const n = prod1["spive:layer"].regions.length - 1;
    expect(changed).toContain(`${n} regions × 2 zones × ${prod1["spive:layer"].shards} shards = ${n * 2 * prod1["spive:layer"].shards} placements`);
  });

  it("shows every committed layer bottom up with its regions × zones × shards", () => {
    const mermaid = towerDiagram(tower);
    expect(mermaid.startsWith("flowchart BT\n")).toBe(true);
    for (const layer of tower) {
      const l = layer.config["spive:layer"];
      const summary = summarizeLayer(layer);
      expect(summary.topology).toMatch(new RegExp(`^${l.regions.length} regions? × 2 zones × ${l.shards} shards? = ${placementCount(layer.config)} placements?$`));
      expect(placementCount(layer.config)).toBe(l.regions.length * 2 * l.shards);
      expect(mermaid).toContain(summary.topology);
      expect(mermaid).toContain(`project ${layer.config["gcp:project"]}`);
    }
    const prod1 = loadStackConfig("prod1")["spive:layer"];
    expect(mermaid).toContain(`${prod1.regions.length} regions × 2 zones × ${prod1.shards} shards = ${prod1.regions.length * 2 * prod1.shards} placements`);
  });

  it("draws who manages whom: the bootstrap in the CI container, then each layer the next", () => {
    const mermaid = towerDiagram(tower);
    const edges = [...mermaid.matchAll(/^ {2}(\w+) -->\|[^|]*\| (\w+)$/gm)].map((m) => `${m[1]}>${m[2]}`);
    expect(edges).toEqual(["bootstrap>prod0", "prod0>prod1", "prod1>prod2", "prod2>prod3"]);
    expect(mermaid).toMatch(/subgraph ci\["CI deployment container"\]\n\s+bootstrap\[/);
    expect(mermaid).toContain("on every pulumi up -s prod0, then exits");
  });

  it("marks exactly the top layer as the control plane and says which layers are discoverable", () => {
    const mermaid = towerDiagram(tower);
    expect(mermaid.match(/★ control plane/g)).toHaveLength(1);
    expect(mermaid).toMatch(/^ {2}class prod3 controlPlane$/m);
    expect(mermaid).toMatch(/^ {2}class prod0,prod1 hidden$/m);
    expect(mermaid).toMatch(/^ {2}class prod2 discoverable$/m);
    expect(summarizeLayer(tower[0]!)).toMatchObject({ scaling: "fixed size", visibility: "hidden: no external IP, no public DNS", controlPlane: undefined });
    expect(summarizeLayer(tower[1]!)).toMatchObject({ scaling: "fixed size", visibility: "hidden: private DNS only" });
    expect(summarizeLayer(tower[2]!)).toMatchObject({ scaling: "autoscaled (cluster autoscaler + HPA)", visibility: "discoverable: public DNS (DNSSEC) + HTTPS" });
  });

  it("follows the configured height: a small setup's control plane is prod1", () => {
    const mermaid = towerDiagram(loadTower(path.join(REPO_ROOT, "examples", "small-prod1")));
    expect(mermaid).not.toContain("prod2");
    expect(mermaid).toMatch(/^ {2}class prod1 controlPlane$/m);
    expect(mermaid).toMatch(/^ {2}class prod0 hidden$/m);
  });

  it("rejects an empty tower with a sentence", () => {
    expect(() => towerDiagram([])).toThrow("Cannot draw the tower: expected at least the prod0 stack config, got none.");
  });
});

describe("the README block", () => {
  const doc = `# T\n\nbefore\n\n${renderDiagramBlock("flowchart BT\n  a --> b\n")}\n\nafter\n`;

  it("round-trips and replaces only the block", () => {
    expect(extractDiagram(doc)).toBe("flowchart BT\n  a --> b\n");
    const next = replaceDiagram(doc, "flowchart BT\n  c --> d\n");
    expect(extractDiagram(next)).toBe("flowchart BT\n  c --> d\n");
    expect(next.startsWith("# T\n\nbefore\n\n")).toBe(true);
    expect(next.endsWith("\n\nafter\n")).toBe(true);
  });

  it.each([
    ["no start marker", "text\n" + DIAGRAM_END],
    ["no end marker", DIAGRAM_START + "\n```mermaid\nx\n```\n"],
    ["the end marker before the start marker", `${DIAGRAM_END}\n${DIAGRAM_START}`],
  ])("names the problem when there is %s", (what, text) => {
    expect(() => extractDiagram(text, "X.md")).toThrow(`X.md: expected a generated diagram block between the lines "${DIAGRAM_START}" and "${DIAGRAM_END}", got ${what}.`);
  });
});

describe("spive diagram", () => {
  const bin = path.join(REPO_ROOT, "bin", "spive.js");

  it("--check fails on a stale README and --write refreshes it", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-diagram-"));
    const file = path.join(tmp, "README.md");
    fs.writeFileSync(file, `# R\n\n${renderDiagramBlock("flowchart BT\n  stale --> picture\n")}\n\nrest\n`);
    const stale = await run(process.execPath, [bin, "diagram", "--check", "--readme", file]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("the tower picture is stale; run `npm run diagram`");
    await runOk(process.execPath, [bin, "diagram", "--write", "--readme", file]);
    const written = fs.readFileSync(file, "utf8");
    expect(extractDiagram(written)).toBe(towerDiagram(tower));
    expect(written.endsWith("\n\nrest\n")).toBe(true);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("prints the picture of another stacks folder, and one sentence for a broken one", async () => {
    const dir = path.join(REPO_ROOT, "examples", "small-prod2");
    const out = await runOk(process.execPath, [bin, "diagram", "--stacks-dir", dir]);
    expect(out).toBe(towerDiagram(loadTower(dir)));
    const bad = await run(process.execPath, [bin, "diagram", "--stacks-dir", path.join(REPO_ROOT, "docs")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^spive diagram: The stacks folder .*docs holds no Pulumi.<stack>.yaml file; expected at least Pulumi.prod0.yaml.\n$/);
  });
});
