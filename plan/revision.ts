import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile, REPO_ROOT } from "../config/load";
import { costDelta } from "../cost/delta";
import type { CostEstimate } from "../cost/model";
import { loadPriceTable, type PriceTable } from "../cost/price-table";
import { costConfigOfRaw, estimateResources } from "../cost/stack";
import { diffPlans } from "./diff";
import { diffLogs, LOG_FILE_NAME } from "./log-diff";
import type { DiffReport, SideResult, StackReport } from "./markdown";
import { ChildOutput, type ChildStackResult } from "./plan-child";

/**
 * Plans a base revision and the working tree in child processes and compares
 * them: the engine of `spive diff`. The base revision is exported with
 * `git archive` into a temporary folder (no worktree metadata, no index lock,
 * nothing left behind), the working tree's node_modules is linked into it,
 * and both sides are planned by `plan/plan-child.ts` with a bounded timeout.
 */

/** The default bound on planning one side (all requested stacks), in milliseconds. */
export const DEFAULT_PLAN_TIMEOUT_MS = 300_000;

/** How to compare. */
export interface CompareOptions {
  /** The base git ref (branch, tag or commit). */
  readonly baseRef: string;
  /** The stacks to compare, in order. */
  readonly stacks: readonly string[];
  /** The repository whose working tree is the head (default: this repository). */
  readonly repoRoot?: string;
  /** The bound on planning each side, in milliseconds. */
  readonly timeoutMs?: number;
  /** The command that reproduces the diff, for the truncation note. */
  readonly command?: string;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed in ${cwd}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** The commit a git ref names; an unknown ref fails with a sentence naming it. */
export async function resolveCommit(ref: string, repoRoot: string = REPO_ROOT): Promise<string> {
  if (ref.length === 0 || ref.startsWith("-") || /[\s\0]/.test(ref)) {
    throw new Error(`--base: expected a git ref such as origin/main or a commit id, got ${JSON.stringify(ref)}.`);
  }
  try {
    return (await run("git", ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], repoRoot)).trim();
  } catch {
    throw new Error(`--base: the git ref ${JSON.stringify(ref)} does not name a commit in ${repoRoot}; fetch it first (in CI: actions/checkout with fetch-depth: 0).`);
  }
}

/** Exports `commit`'s tree into a new temporary folder with `git archive | tar -x`; returns the folder. */
export async function exportRevision(commit: string, repoRoot: string = REPO_ROOT): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-base-"));
  try {
    await new Promise<void>((resolve, reject) => {
      const archive = spawn("git", ["archive", "--format=tar", commit], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
      const tar = spawn("tar", ["-x", "-f", "-", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      archive.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      tar.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      archive.stdout.pipe(tar.stdin);
      let pending = 2;
      let failed = false;
      const done = (what: string) => (code: number | null) => {
        if (code !== 0 && !failed) {
          failed = true;
          reject(new Error(`${what} of ${commit} into ${dir} failed (exit ${code}): ${stderr.trim()}`));
        }
        if (--pending === 0 && !failed) resolve();
      };
      archive.on("error", reject);
      tar.on("error", reject);
      archive.on("close", done("git archive"));
      tar.on("close", done("tar -x"));
    });
    const link = path.join(dir, "node_modules");
    // A revision that committed a node_modules link gets this checkout's instead.
    if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(repoRoot, "node_modules"), link, "dir");
    return dir;
  } catch (err) {
    removeExport(dir);
    throw err;
  }
}

/** Removes a folder made by exportRevision (unlinking its node_modules link first, never following it). */
export function removeExport(dir: string): void {
  const link = path.join(dir, "node_modules");
  try {
    if (fs.lstatSync(link).isSymbolicLink()) fs.unlinkSync(link);
  } catch {
    // No link: the export failed before it was made.
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Variables through which a surrounding Pulumi run would steer the runtime; the mock engine must not see them. */
const PULUMI_RUNTIME_VARIABLES = ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_MONITOR", "PULUMI_ENGINE", "PULUMI_DRY_RUN", "PULUMI_STACK", "PULUMI_PROJECT", "PULUMI_ORGANIZATION", "PULUMI_NODEJS_STACK", "PULUMI_NODEJS_PROJECT"];

/** The environment of a planning child: this one's, without Pulumi runtime variables. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of PULUMI_RUNTIME_VARIABLES) delete out[name];
  return out;
}

/**
 * Plans `stacks` of the tree at `root` in a child process (with the child
 * script of this checkout). Never rejects: a timeout or a crash marks every
 * stack failed with the reason.
 */
export async function planInChild(root: string, stacks: readonly string[], timeoutMs: number = DEFAULT_PLAN_TIMEOUT_MS): Promise<ChildStackResult[]> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-plan-"));
  const out = path.join(outDir, "plan.json");
  const child = path.join(REPO_ROOT, "plan", "plan-child.ts");
  const failAll = (error: string): ChildStackResult[] => stacks.map((stack) => ({ stack, status: "failed", error }));
  try {
    const { code, signal, stderr, timedOut } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; timedOut: boolean }>((resolve) => {
      const proc = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), child, "--root", root, "--out", out, ...stacks], {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"],
        env: childEnv(process.env),
      });
      let stderr = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill("SIGKILL");
      }, timeoutMs);
      proc.stderr.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      proc.on("error", (err) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stderr: err.message, timedOut });
      });
      proc.on("close", (c, s) => {
        clearTimeout(timer);
        resolve({ code: c, signal: s, stderr, timedOut });
      });
    });
    if (timedOut) return failAll(`planning did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`);
    if (code !== 0 || !fs.existsSync(out)) {
      const last = stderr.trim().split("\n").slice(-3).join(" ");
      return failAll(`the planning process exited with ${signal ? `signal ${signal}` : `code ${code}`}${last ? `: ${last}` : ""}`);
    }
    const parsed = ChildOutput.safeParse(JSON.parse(fs.readFileSync(out, "utf8")));
    if (!parsed.success) return failAll(`the planning process wrote an unreadable result (${parsed.error.issues[0]!.message})`);
    return parsed.data.results;
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

function side(r: ChildStackResult | undefined): SideResult {
  if (!r) return { status: "failed", error: "the planning process returned no result for this stack" };
  if (r.status === "ok") return { status: "ok", resources: r.snapshot.resources.length };
  if (r.status === "absent") return { status: "absent", reason: r.reason };
  return { status: "failed", error: r.error };
}

/** Pairs the two sides' results into stack reports (a stack absent at the base diffs against nothing: all added). */
export function stackReports(stacks: readonly string[], base: readonly ChildStackResult[], head: readonly ChildStackResult[]): StackReport[] {
  return stacks.map((stack) => {
    const b = base.find((r) => r.stack === stack);
    const h = head.find((r) => r.stack === stack);
    const report = { stack, base: side(b), head: side(h) };
    if (h?.status !== "ok") return report;
    if (b?.status === "ok") return { ...report, diff: diffPlans(b.snapshot, h.snapshot) };
    if (b?.status === "absent") return { ...report, diff: diffPlans(undefined, h.snapshot) };
    return report;
  });
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/**
 * The bootstrap log of the tree at `root`, relative to it: prod0's
 * `spive:bootstrap.log` when the config names a path inside the tree,
 * otherwise the default file name.
 */
export function bootstrapLogOf(root: string): string {
  try {
    const raw = readStackFile(path.join(root, "stacks", "Pulumi.prod0.yaml"));
    const log = (raw["spive:bootstrap"] as { log?: unknown } | undefined)?.log;
    if (typeof log === "string" && log !== "" && !path.isAbsolute(log) && !log.split(/[\\/]/).includes("..")) return path.normalize(log);
  } catch {
    // No readable prod0 config at this revision: the default file name applies.
  }
  return LOG_FILE_NAME;
}

function rawStack(root: string, stack: string): Record<string, unknown> | undefined {
  try {
    return readStackFile(path.join(root, "stacks", `Pulumi.${stack}.yaml`));
  } catch {
    return undefined;
  }
}

/**
 * Adds each stack's monthly cost change to its report: both sides priced with
 * this revision's price table, each with its own revision's usage assumptions
 * and this revision's threshold. A price table that does not load, or a stack
 * whose base did not plan, gets a reason instead of a change.
 */
export function withCosts(reports: readonly StackReport[], base: readonly ChildStackResult[], head: readonly ChildStackResult[], baseRoot: string, headRoot: string, table: PriceTable | Error): StackReport[] {
  return reports.map((report) => {
    const h = head.find((r) => r.stack === report.stack);
    if (h?.status !== "ok") return report;
    if (table instanceof Error) return { ...report, cost: { error: table.message } };
    try {
      const headCfg = costConfigOfRaw(rawStack(headRoot, report.stack));
      if (headCfg.problem) return { ...report, cost: { error: `stacks/Pulumi.${report.stack}.yaml > ${headCfg.problem}` } };
      const after = estimateResources(report.stack, h.snapshot.resources, headCfg.config, table);
      const b = base.find((r) => r.stack === report.stack);
      let before: CostEstimate | undefined;
      if (b?.status === "ok") before = estimateResources(report.stack, b.snapshot.resources, costConfigOfRaw(rawStack(baseRoot, report.stack)).config, table);
      else if (b?.status !== "absent") return { ...report, cost: { error: "the base revision did not plan, so there is nothing to compare with" } };
      return { ...report, cost: costDelta(before, after, headCfg.config.thresholdUsdPerMonth) };
    } catch (err) {
      return { ...report, cost: { error: err instanceof Error ? err.message : String(err) } };
    }
  });
}

function priceTableOf(root: string): PriceTable | Error {
  try {
    return loadPriceTable(path.join(root, "pricing", "gcp.yaml"));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Names the head for the reader: `this revision (<commit>)`, noting uncommitted changes to tracked files. */
export async function headLabel(repoRoot: string = REPO_ROOT): Promise<string> {
  try {
    const head = (await run("git", ["rev-parse", "--short=12", "HEAD"], repoRoot)).trim();
    const dirty = (await run("git", ["status", "--porcelain", "--untracked-files=no"], repoRoot)).trim() !== "";
    return `this revision (${head}${dirty ? " with uncommitted changes" : ""})`;
  } catch {
    return "this revision (working tree)";
  }
}

/**
 * Compares the working tree with a base revision: resolves the ref, exports
 * the revision, plans both sides concurrently, diffs the plans and (when
 * prod0 is among the stacks) the bootstrap log, and always removes the export.
 */
export async function compareWithBase(opts: CompareOptions): Promise<DiffReport> {
  const repoRoot = opts.repoRoot ?? REPO_ROOT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PLAN_TIMEOUT_MS;
  const commit = await resolveCommit(opts.baseRef, repoRoot);
  const dir = await exportRevision(commit, repoRoot);
  try {
    const [base, head] = await Promise.all([planInChild(dir, opts.stacks, timeoutMs), planInChild(repoRoot, opts.stacks, timeoutMs)]);
    const headLog = bootstrapLogOf(repoRoot);
    const log = opts.stacks.includes("prod0")
      ? diffLogs(readIfExists(path.join(dir, bootstrapLogOf(dir))), readIfExists(path.join(repoRoot, headLog)), headLog)
      : undefined;
    const table = priceTableOf(repoRoot);
    const dates = table instanceof Error ? [] : [...new Set(Object.values(table.sources).map((s) => s.read))].sort();
    return {
      baseRef: opts.baseRef,
      baseCommit: commit,
      headLabel: await headLabel(repoRoot),
      stacks: withCosts(stackReports(opts.stacks, base, head), base, head, dir, repoRoot, table),
      pricing: table instanceof Error ? undefined : `both revisions priced with this revision's pricing/gcp.yaml, read ${dates.join(", ")}`,
      log,
      command: opts.command ?? `npx spive diff ${opts.stacks.join(" ")} --base ${commit.slice(0, 12)}`,
    };
  } finally {
    removeExport(dir);
  }
}
