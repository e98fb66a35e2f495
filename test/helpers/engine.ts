import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { readJournal, JOURNAL_FILE, type JournalEntry } from "../../engine/standins/cloud";
import { copyWorkingTree, engineCacheBin, locateEngine, pointStackReferencesAtFileBackend, prepareWorkspace, runPulumi, type Engine, type PulumiRun, type Workspace } from "../../engine/workspace";

/**
 * The engine suite's harness: one scratch workspace (file backend, stand-in
 * cloud, a copy of this revision with smaller GKE stacks) shared by the
 * suite's steps, which run in order like a deployment history.
 */

/** The environment variable CI sets: a missing engine then fails the suite instead of skipping it. */
export const REQUIRE_ENGINE_ENV = "SPIVE_REQUIRE_ENGINE";

/**
 * Whether the engine is installed (a synchronous look, so a suite can skip at
 * collection): false with a visible message, or throws when CI requires it.
 */
export function engineInstalled(): boolean {
  const bin = process.env.SPIVE_ENGINE_BIN ?? engineCacheBin();
  if (fs.existsSync(path.join(bin, "pulumi"))) return true;
  const why = `the real Pulumi engine is not installed (no pulumi in ${bin})`;
  if (process.env[REQUIRE_ENGINE_ENV] === "1") throw new Error(`${REQUIRE_ENGINE_ENV}=1 but ${why}; run npm run engine:install.`);
  process.stderr.write(`\n*** engine suite SKIPPED: ${why}. Run npm run engine:install, then npm run test:engine. ***\n\n`);
  return false;
}

/** The installed engine (after engineInstalled); throws one sentence when it does not run. */
export async function theEngine(): Promise<Engine> {
  const e = await locateEngine();
  if ("missing" in e) throw new Error(e.missing);
  return e;
}

/** Keeps only these regions of a stack config in the scratch copy (the program is unchanged; the tower is just smaller). */
export function keepRegions(projectDir: string, stack: string, regions: readonly string[]): void {
  editStack(projectDir, stack, (doc) => {
    const all = doc.getIn(["config", "spive:layer", "regions"]) as { toJSON(): { name: string }[] };
    const kept = all.toJSON().filter((r) => regions.includes(r.name));
    if (kept.length !== regions.length) throw new Error(`Pulumi.${stack}.yaml: expected regions ${regions.join(", ")}, found ${kept.map((r) => r.name).join(", ")}.`);
    doc.setIn(["config", "spive:layer", "regions"], kept);
  });
}

/** Edits a stack file of the scratch copy (keeping its encryption salt). */
export function editStack(projectDir: string, stack: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const file = path.join(projectDir, "stacks", `Pulumi.${stack}.yaml`);
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  edit(doc);
  fs.writeFileSync(file, doc.toString());
}

/** A prepared engine workspace for the suite. */
export interface Suite {
  readonly ws: Workspace;
  readonly project: string;
  /** Runs pulumi in the project. */
  pulumi(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<PulumiRun>;
  /** Every journal entry so far. */
  journal(): JournalEntry[];
  /** The stack's resources as the backend recorded them (`pulumi stack export`). */
  exported(stack: string): Promise<{ urn: string; type: string; id?: string; inputs?: Record<string, any>; outputs?: Record<string, any>; protect?: boolean }[]>;
}

/** Prepares the workspace: copies this revision, points StackReferences at the file backend, shrinks the GKE stacks. */
export async function prepareSuite(engine: Engine, shrink: Readonly<Record<string, readonly string[]>>): Promise<Suite> {
  const ws = await prepareWorkspace(engine, { timeScale: 0.002, rolloutMs: 150 });
  const project = path.join(ws.root, "project");
  await copyWorkingTree(project);
  pointStackReferencesAtFileBackend(project);
  for (const [stack, regions] of Object.entries(shrink)) keepRegions(project, stack, regions);
  const pulumi = (args: readonly string[], env?: NodeJS.ProcessEnv) => runPulumi(ws, project, args, { timeoutMs: 600_000, env });
  return {
    ws,
    project,
    pulumi,
    journal: () => readJournal(path.join(ws.cloudDir, JOURNAL_FILE)),
    async exported(stack) {
      const r = await pulumi(["stack", "export", "-s", stack]);
      if (r.code !== 0) throw new Error(`pulumi stack export -s ${stack} failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { deployment: { resources?: any[] } }).deployment.resources ?? [];
    },
  };
}

/** The output of a run, for assertion messages. */
export function output(r: PulumiRun): string {
  return `exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stdout}\n${r.stderr}`.slice(-6000);
}
