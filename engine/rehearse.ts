import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { KNOWN_STACKS } from "../layers/registry";
import { resolveCommit } from "../plan/revision";
import { readJournal, JOURNAL_FILE, type JournalEntry } from "./standins/cloud";
import {
  copyRevision,
  copyWorkingTree,
  initStack,
  locateEngine,
  mustPulumi,
  pointStackReferencesAtFileBackend,
  prepareWorkspace,
  stopStandIns,
  type CloudKnobs,
  type PulumiRun,
  type Workspace,
} from "./workspace";

/**
 * `spive rehearse`: the whole tower on the real Pulumi engine with stand-in
 * clouds. In a scratch copy of this revision with a file backend, for each
 * stack bottom to top: `pulumi preview` with the policy pack, then
 * `pulumi up` with it (prod0's bootstrap runs through the command provider
 * against local dev-0 doubles). With `diffBase`, the base revision is
 * deployed first and this revision's `pulumi preview --diff` is shown against
 * that state instead.
 */

/** Options of a rehearsal. */
export interface RehearseOptions extends CloudKnobs {
  /** Rehearse only this stack (the stacks below it are deployed first, for its StackReferences). */
  readonly stack?: string;
  /** Keep the scratch folder (backend, state, journal, doubles stopped) for inspection. */
  readonly keep?: boolean;
  /** A git ref: deploy that revision, then preview this one against its state (`pulumi preview --diff`). */
  readonly diffBase?: string;
  /** Scratch folder to use (default: a new temporary one). */
  readonly dir?: string;
  /** Timeout of each pulumi command in ms (default 30 min). */
  readonly timeoutMs?: number;
  /** Progress lines (default: stderr). */
  readonly progress?: (line: string) => void;
  /** Stream every engine output line to progress too. */
  readonly verbose?: boolean;
}

/** What one stack's rehearsal did. */
export interface StackRehearsal {
  readonly stack: string;
  /** Seconds of `pulumi preview` (undefined: not previewed). */
  readonly previewSeconds?: number;
  /** Seconds of `pulumi up`. */
  readonly upSeconds?: number;
  /** The engine's own summary lines of the up (`+ 31 created`, `~ 2 updated`, …), or of the preview with diffBase. */
  readonly engineSummary: readonly string[];
  /** Resources in the stack after the run (from the engine's summary). */
  readonly resources: number;
  /** The stand-in cloud's operations during the up, by operation. */
  readonly cloudOps: Readonly<Record<string, number>>;
  /** The preview's text (diffBase: the `pulumi preview --diff`). */
  readonly previewText?: string;
}

/** The whole rehearsal's result. */
export interface Rehearsal {
  readonly engineVersion: string;
  readonly plugins: Readonly<Record<string, string>>;
  readonly stacks: readonly StackRehearsal[];
  /** The scratch folder, when kept. */
  readonly keptAt?: string;
}

/** The stacks a project folder has configs for, bottom to top. */
export function stacksIn(projectDir: string): string[] {
  return KNOWN_STACKS.filter((s) => fs.existsSync(path.join(projectDir, "stacks", `Pulumi.${s}.yaml`)));
}

/** The lines of the engine's "Resources:" summary (`+ 31 created`, `2 unchanged`). */
export function engineSummary(output: string): string[] {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => /^Resources:\s*$/.test(l.trim()));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "") break;
    out.push(l.trim());
  }
  return out;
}

/** The number of resources a summary accounts for (everything but deletions, errors and "to delete"). */
export function summaryResources(summary: readonly string[]): number {
  let n = 0;
  for (const l of summary) {
    const m = /^(?:[+~-]+\s*)?(\d+)\s+(created|updated|replaced|unchanged|to create|to update|to replace)$/.exec(l);
    if (m) n += Number(m[1]);
  }
  return n;
}

/** Counts journal entries after `sinceMs` by `<pkg> <op>`. */
export function cloudOpsSince(journal: readonly JournalEntry[], sinceMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of journal) if (e.endMs >= sinceMs) out[`${e.pkg} ${e.op}`] = (out[`${e.pkg} ${e.op}`] ?? 0) + 1;
  return out;
}

function runNode(projectDir: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(projectDir, "bin", "spive.js"), ...args], { cwd: projectDir, env, timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`spive ${args.join(" ")} in ${projectDir} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout + stderr);
    });
  });
}

/** Starts the dev-0 doubles of `projectDir`'s revision in the workspace (prod0's bootstrap is aimed at them). */
export async function doublesUp(ws: Workspace, projectDir: string): Promise<void> {
  await runNode(projectDir, ["bootstrap", "doubles", "up", "--target", "dev-0"], ws.env, 120_000);
}

/** Stops the doubles started by doublesUp (and every instance they run). */
export async function doublesDown(ws: Workspace, projectDir: string): Promise<void> {
  await runNode(projectDir, ["bootstrap", "doubles", "down", "--target", "dev-0"], ws.env, 120_000);
}

/** Copies the `encryptionsalt` of each stack file of `from` into the same stack file of `to` (both copies share one backend). */
function carrySalts(from: string, to: string, stacks: readonly string[]): void {
  for (const s of stacks) {
    const src = path.join(from, "stacks", `Pulumi.${s}.yaml`);
    const dst = path.join(to, "stacks", `Pulumi.${s}.yaml`);
    if (!fs.existsSync(src) || !fs.existsSync(dst)) continue;
    const salt = /^encryptionsalt:.*$/m.exec(fs.readFileSync(src, "utf8"));
    const text = fs.readFileSync(dst, "utf8");
    if (salt && !/^encryptionsalt:/m.test(text)) fs.writeFileSync(dst, `${salt[0]}\n${text}`);
  }
}

/** Runs the rehearsal; throws one sentence (with the engine's output tail) on the first failing step. */
export async function rehearse(opts: RehearseOptions = {}): Promise<Rehearsal> {
  const say = opts.progress ?? ((l: string) => process.stderr.write(`${l}\n`));
  const engine = await locateEngine();
  if ("missing" in engine) throw new Error(`The real Pulumi engine is not installed: ${engine.missing}`);
  const ws = await prepareWorkspace(engine, { timeScale: opts.timeScale ?? 0.01, rolloutMs: opts.rolloutMs ?? 100 }, opts.dir);
  say(`rehearse: ${engine.version} from ${engine.bin}; scratch ${ws.root}`);
  say(`rehearse: plugins ${Object.entries(ws.plugins).map(([k, v]) => `${k} ${v}`).join(", ")}; language host ${engine.goLanguageHost ? "Go" : "engine/langhost (TypeScript)"}`);
  const head = path.join(ws.root, "project");
  await copyWorkingTree(head);
  let deployDir = head;
  let commit: string | undefined;
  if (opts.diffBase !== undefined) {
    commit = await resolveCommit(opts.diffBase);
    deployDir = path.join(ws.root, "base");
    await copyRevision(commit, deployDir);
    say(`rehearse: base ${opts.diffBase} (${commit.slice(0, 12)}) deployed first, then this revision previewed against its state`);
  }
  for (const d of new Set([head, deployDir])) pointStackReferencesAtFileBackend(d);
  const all = stacksIn(deployDir);
  if (opts.stack !== undefined && !all.includes(opts.stack)) {
    throw new Error(`--stack: expected one of the stacks with a config in this revision (${all.join(", ")}), got ${JSON.stringify(opts.stack)}.`);
  }
  const stacks = opts.stack !== undefined ? all.slice(0, all.indexOf(opts.stack) + 1) : all;
  const policy = (dir: string) => ["--policy-pack", path.join(dir, "policy")];
  const onLine = opts.verbose ? (l: string) => say(`  | ${l}`) : undefined;
  const results: StackRehearsal[] = [];
  const journal = path.join(ws.cloudDir, JOURNAL_FILE);
  // With a base, the base is deployed only to hold state for this revision's
  // preview: its bootstrap is skipped (a base may predate the rehearsal's
  // hook, SPIVE_BOOTSTRAP_REHEARSE_ON), so the preview shows it to be created.
  const skipBootstrap = commit !== undefined ? ["--exclude", "**command:local:Command**"] : [];
  const usesDoubles = stacks.includes("prod0") && commit === undefined;
  if (usesDoubles) await doublesUp(ws, deployDir);
  try {
    for (const stack of stacks) {
      const focus = opts.stack === undefined || opts.stack === stack;
      await initStack(ws, deployDir, stack);
      let preview: PulumiRun | undefined;
      if (focus && opts.diffBase === undefined) {
        say(`rehearse: ${stack}: pulumi preview --policy-pack policy …`);
        preview = await mustPulumi(ws, deployDir, ["preview", "-s", stack, ...policy(deployDir)], { timeoutMs: opts.timeoutMs, onLine });
      }
      say(`rehearse: ${stack}: pulumi up${focus ? " --policy-pack policy" : " (below the rehearsed stack)"} …`);
      const since = Date.now();
      const up = await mustPulumi(ws, deployDir, ["up", "-s", stack, "--yes", "--skip-preview", ...(focus ? policy(deployDir) : []), ...skipBootstrap], { timeoutMs: opts.timeoutMs, onLine });
      const summary = engineSummary(up.stdout);
      results.push({
        stack,
        previewSeconds: preview?.seconds,
        upSeconds: up.seconds,
        engineSummary: summary,
        resources: summaryResources(summary),
        cloudOps: cloudOpsSince(readJournal(journal), since),
      });
      say(`rehearse: ${stack}: up in ${up.seconds.toFixed(1)} s (${summary.join(", ")})`);
    }
    if (commit !== undefined) {
      carrySalts(deployDir, head, stacks);
      const headStacks = stacksIn(head).filter((s) => opts.stack === undefined || s === opts.stack);
      for (const stack of headStacks) {
        if (!stacks.includes(stack)) await initStack(ws, head, stack);
        say(`rehearse: ${stack}: pulumi preview --diff of this revision against ${opts.diffBase} …`);
        const p = await mustPulumi(ws, head, ["preview", "--diff", "-s", stack, ...policy(head)], { timeoutMs: opts.timeoutMs, onLine });
        const i = results.findIndex((r) => r.stack === stack);
        const summary = engineSummary(p.stdout);
        const entry: StackRehearsal = { ...(i >= 0 ? results[i]! : { stack, engineSummary: [], resources: 0, cloudOps: {} }), previewSeconds: p.seconds, previewText: p.stdout, engineSummary: summary };
        if (i >= 0) results[i] = entry;
        else results.push(entry);
      }
    }
  } finally {
    if (usesDoubles) await doublesDown(ws, deployDir).catch((err) => say(`rehearse: could not stop the dev-0 doubles: ${(err as Error).message}`));
    stopStandIns(ws);
    if (!opts.keep) fs.rmSync(ws.root, { recursive: true, force: true });
  }
  return { engineVersion: engine.version, plugins: ws.plugins, stacks: results, ...(opts.keep ? { keptAt: ws.root } : {}) };
}

/** The summary table `spive rehearse` prints. */
export function formatRehearsal(r: Rehearsal): string {
  const rows = r.stacks.map((s) => [
    s.stack,
    String(s.resources),
    s.previewSeconds === undefined ? "-" : s.previewSeconds.toFixed(1),
    s.upSeconds === undefined ? "-" : s.upSeconds.toFixed(1),
    s.engineSummary.join(", ") || "-",
    Object.entries(s.cloudOps).sort().map(([k, v]) => `${v} ${k}`).join(", ") || "-",
  ]);
  const head = ["STACK", "RESOURCES", "PREVIEW S", "UP S", "ENGINE", "STAND-IN CLOUD"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const out = [`real Pulumi engine ${r.engineVersion}; plugins: ${Object.entries(r.plugins).map(([k, v]) => `${k} ${v}`).join(", ")}`, line(head), ...rows.map(line)];
  for (const s of r.stacks) if (s.previewText) out.push("", `--- pulumi preview --diff -s ${s.stack} ---`, s.previewText.trimEnd());
  if (r.keptAt) out.push("", `kept: ${r.keptAt} (backend/, cloud/journal.jsonl, project/; PULUMI_HOME=pulumi-home)`);
  return `${out.join("\n")}\n`;
}
