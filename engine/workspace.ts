import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { REPO_ROOT } from "../config/load";
import { exportRevision } from "../plan/revision";
import { ROLLOUT_MS_ENV, STATE_DIR_ENV, TIME_SCALE_ENV } from "./standins/cloud";
import { STANDIN_PACKAGES, type StandInPackage } from "./standins/packages";

/**
 * A scratch workspace for the real Pulumi engine: a copy of a revision, a
 * file backend, a private PULUMI_HOME holding the plugins at the exact
 * versions the program requests, the stand-in cloud's state, and the
 * environment every `pulumi` command runs with. Nothing outside the scratch
 * folder is written (not ~/.pulumi, not the checkout's .spive).
 */

/** Where `npm run engine:install` puts the engine: `${SPIVE_ENGINE_CACHE:-~/.cache/spive-engine}/pulumi-v<sdk>-command-v<cmd>/bin`. */
export function engineCacheBin(env: NodeJS.ProcessEnv = process.env, repoRoot: string = REPO_ROOT): string {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const v = (p: string) => lock.packages[`node_modules/${p}`]?.version ?? "unknown";
  const root = env.SPIVE_ENGINE_CACHE ?? path.join(os.homedir(), ".cache", "spive-engine");
  return path.join(root, `pulumi-v${v("@pulumi/pulumi")}-command-v${v("@pulumi/command")}`, "bin");
}

/** The installed engine. */
export interface Engine {
  /** The folder of the `pulumi` CLI. */
  readonly bin: string;
  /** The CLI's path. */
  readonly cli: string;
  /** Its version (`v3.248.0`). */
  readonly version: string;
  /** The Go language host next to the CLI, or undefined: the rehearsal then uses engine/langhost (TypeScript). */
  readonly goLanguageHost?: string;
  /** The Go command provider next to the CLI, or undefined: the rehearsal then uses the command stand-in. */
  readonly goCommandProvider?: string;
}

/**
 * Finds the engine `npm run engine:install` installed (or `SPIVE_ENGINE_BIN`).
 * Returns the reason when there is none, in one sentence.
 */
export async function locateEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine | { missing: string }> {
  const bin = env.SPIVE_ENGINE_BIN ?? engineCacheBin(env);
  const cli = path.join(bin, "pulumi");
  if (!fs.existsSync(cli)) return { missing: `no Pulumi CLI in ${bin}; run npm run engine:install first (or set SPIVE_ENGINE_BIN).` };
  let version: string;
  try {
    version = (await execText(cli, ["version"], { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" }, 60_000)).trim();
  } catch (err) {
    return { missing: `${cli} does not run: ${(err as Error).message}` };
  }
  // A Go piece counts only with the marker engine:install leaves after building it for these versions.
  const built = (name: string, marker: string) => (fs.existsSync(path.join(bin, name)) && fs.readdirSync(bin).some((f) => f.startsWith(marker)) ? path.join(bin, name) : undefined);
  return { bin, cli, version, goLanguageHost: built("pulumi-language-nodejs", ".langhost-v"), goCommandProvider: built("pulumi-resource-command", ".command-v") };
}

function execText(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(" ")} failed: ${(stderr || stdout || err.message).trim().split("\n").slice(-12).join("\n")}`));
      else resolve(stdout);
    });
  });
}

/** Knobs of the stand-in cloud. */
export interface CloudKnobs {
  /** Multiplies every time:Sleep (default 1: the real bake). */
  readonly timeScale?: number;
  /** How long a Deployment takes to roll out, in ms (default 0). */
  readonly rolloutMs?: number;
}

/** A prepared workspace. */
export interface Workspace {
  /** The scratch folder (everything lives under it). */
  readonly root: string;
  /** The engine used. */
  readonly engine: Engine;
  /** The environment of every pulumi command. */
  readonly env: NodeJS.ProcessEnv;
  /** The stand-in cloud's state folder (its journal.jsonl). */
  readonly cloudDir: string;
  /** SPIVE_STATE_DIR of the local doubles prod0's bootstrap is aimed at. */
  readonly doublesDir: string;
  /** Where each stand-in's plugin version came from. */
  readonly plugins: Readonly<Record<string, string>>;
}

/** The version of the plugin an SDK package requests (its package.json `pulumi.version`, else its version without a leading v). */
export function requestedPluginVersion(sdk: string, repoRoot: string = REPO_ROOT): string {
  const meta = JSON.parse(fs.readFileSync(require.resolve(`${sdk}/package.json`, { paths: [repoRoot] }), "utf8")) as { version: string; pulumi?: { version?: string } };
  return (meta.pulumi?.version ?? meta.version).replace(/^v/, "");
}

function writeExecutable(file: string, body: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Stand-in packages served by one daemon per workspace (the engine starts a plugin per provider instance: 42 Kubernetes providers in prod1). */
const DAEMON_PACKAGES: readonly StandInPackage[] = ["gcp", "kubernetes", "time"];

/** The shell wrapper that starts (or reuses) the daemon of a stand-in package and prints its port. */
function shimScript(pkg: string, version: string): string {
  const args = [path.join(REPO_ROOT, "engine", "standins", "shim.js"), pkg, version, path.join(REPO_ROOT, "engine", "standins", "main.ts"), require.resolve("tsx/cjs")];
  return `#!/bin/sh\nexec ${sh(process.execPath)} ${args.map(sh).join(" ")} "$@"\n`;
}

/** Stops the stand-in daemons of a workspace (each also exits by itself when idle). */
export function stopStandIns(ws: Pick<Workspace, "cloudDir">): number {
  const dir = path.join(ws.cloudDir, "daemons");
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".pid"))) {
    const pid = Number(fs.readFileSync(path.join(dir, f), "utf8"));
    try {
      process.kill(pid, "SIGTERM");
      n++;
    } catch {
      // already gone
    }
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, f.replace(/\.pid$/, ".port")), { force: true });
  }
  return n;
}

/** The shell wrapper that runs a TypeScript entry of this checkout with this Node.js. */
function tsEntryScript(entry: string, args: readonly string[]): string {
  return `#!/bin/sh\nexec ${sh(process.execPath)} --require ${sh(require.resolve("tsx/cjs"))} ${sh(entry)} ${args.map(sh).join(" ")} "$@"\n`;
}

/**
 * Creates the scratch folder, installs the stand-in plugins (and the command
 * provider) into its PULUMI_HOME at the versions the program's SDKs request,
 * logs in to its file backend. `dir` is created if needed (default: a new
 * temporary folder).
 */
export async function prepareWorkspace(engine: Engine, knobs: CloudKnobs = {}, dir?: string): Promise<Workspace> {
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "spive-engine-"));
  const home = path.join(root, "pulumi-home");
  const backend = path.join(root, "backend");
  const cloudDir = path.join(root, "cloud");
  const doublesDir = path.join(root, "doubles");
  const shims = path.join(root, "bin");
  for (const d of [home, backend, cloudDir, doublesDir, shims]) fs.mkdirSync(d, { recursive: true });
  if (!engine.goLanguageHost) writeExecutable(path.join(shims, "pulumi-language-nodejs"), tsEntryScript(path.join(REPO_ROOT, "engine", "langhost", "main.ts"), []));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [engine.bin, shims, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CHECKPOINTS: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PULUMI_SELF_MANAGED_STATE_NO_LEGACY_WARNING: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    [STATE_DIR_ENV]: cloudDir,
    [TIME_SCALE_ENV]: String(knobs.timeScale ?? 1),
    [ROLLOUT_MS_ENV]: String(knobs.rolloutMs ?? 0),
    SPIVE_STATE_DIR: doublesDir,
    SPIVE_BOOTSTRAP_REHEARSE_ON: "dev-0",
    NO_COLOR: "1",
  };
  delete env.PULUMI_ACCESS_TOKEN;
  const plugins: Record<string, string> = {};
  await Promise.all(
    (Object.keys(STANDIN_PACKAGES) as StandInPackage[]).map(async (pkg) => {
      const version = requestedPluginVersion(STANDIN_PACKAGES[pkg].sdk);
      let source: string;
      if (pkg === "command" && engine.goCommandProvider) {
        source = engine.goCommandProvider;
        plugins[pkg] = `${version} (pulumi-command, built from Go modules)`;
      } else {
        source = path.join(root, "plugins", `${pkg}-${version}`);
        writeExecutable(
          path.join(source, `pulumi-resource-${pkg}`),
          DAEMON_PACKAGES.includes(pkg) ? shimScript(pkg, version) : tsEntryScript(path.join(REPO_ROOT, "engine", "standins", "main.ts"), [pkg, version]),
        );
        plugins[pkg] = `${version} (stand-in)`;
      }
      await execText(engine.cli, ["plugin", "install", "resource", pkg, version, "-f", source, "--non-interactive"], env, 120_000);
    }),
  );
  await execText(engine.cli, ["login", `file://${backend}`, "--non-interactive"], env, 60_000);
  return { root, engine, env, cloudDir, doublesDir, plugins };
}

/** Copies this checkout's working tree (tracked and untracked, not ignored files) into `dest`, linking node_modules. */
export async function copyWorkingTree(dest: string, repoRoot: string = REPO_ROOT): Promise<void> {
  const list = await execText("git", ["ls-files", "-z", "-c", "-o", "--exclude-standard"], process.env, 60_000, repoRoot);
  for (const rel of list.split("\0").filter(Boolean)) {
    const from = path.join(repoRoot, rel);
    const st = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, rel));
  }
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dest, "node_modules"), "dir");
}

/** Exports git `commit` into `dest` (which must not exist), linking node_modules. */
export async function copyRevision(commit: string, dest: string, repoRoot: string = REPO_ROOT): Promise<void> {
  const dir = await exportRevision(commit, repoRoot);
  fs.renameSync(dir, dest);
}

/**
 * The organization of a stack on a file backend is literally `organization`.
 * Until the program derives the layer below's organization itself
 * (`pulumi.getOrganization()`), the scratch copy's `spive:below.stack` names
 * get it: `spive/spive-infra/prod0` becomes `organization/spive-infra/prod0`.
 * Returns the files it changed.
 */
export function pointStackReferencesAtFileBackend(projectDir: string): string[] {
  const changed: string[] = [];
  const stacksDir = path.join(projectDir, "stacks");
  if (!fs.existsSync(stacksDir)) return changed;
  for (const f of fs.readdirSync(stacksDir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) {
    const file = path.join(stacksDir, f);
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const below = doc.getIn(["config", "spive:below", "stack"]);
    if (typeof below !== "string") continue;
    const parts = below.split("/");
    if (parts.length !== 3 || parts[0] === "organization") continue;
    doc.setIn(["config", "spive:below", "stack"], ["organization", ...parts.slice(1)].join("/"));
    fs.writeFileSync(file, doc.toString());
    changed.push(file);
  }
  return changed;
}

/** The result of one pulumi command. */
export interface PulumiRun {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Options of runPulumi. */
export interface RunOptions {
  /** Kill it after this many ms (default 30 min). */
  readonly timeoutMs?: number;
  /** Called with each line of output as it comes (progress). */
  readonly onLine?: (line: string) => void;
  /** Extra environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `pulumi <args>` in `projectDir` with the workspace's environment; never rejects on a non-zero exit. */
export function runPulumi(ws: Workspace, projectDir: string, args: readonly string[], opts: RunOptions = {}): Promise<PulumiRun> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(ws.engine.cli, [...args, "--non-interactive"], { cwd: projectDir, env: { ...ws.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let partial = "";
    const feed = (chunk: string) => {
      if (!opts.onLine) return;
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const l of lines) opts.onLine(l);
    };
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      feed(c.toString("utf8"));
    });
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      feed(c.toString("utf8"));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${ws.engine.cli}: ${err.message}`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      if (partial && opts.onLine) opts.onLine(partial);
      if (timedOut) stderr += `\npulumi ${args.join(" ")}: killed after ${Math.round(timeoutMs / 1000)} s (timeout).\n`;
      resolve({ args, code: code ?? 1, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** The lines of a run's output that say what went wrong (errors, policy violations), else its tail. */
export function failureLines(r: Pick<PulumiRun, "stdout" | "stderr">, max = 40): string {
  const lines = `${r.stdout}\n${r.stderr}`.split("\n");
  const hits = lines.filter((l) => /error|violation|mandatory|failed|refus|protected/i.test(l) && !/^\s*\[\d+\]/.test(l));
  return (hits.length > 0 ? hits : lines.filter((l) => l.trim() !== "").slice(-25)).slice(0, max).join("\n");
}

let logSeq = 0;

/** Runs pulumi, keeps its whole output in `<workspace>/logs/`, and throws one sentence with what went wrong when it fails. */
export async function mustPulumi(ws: Workspace, projectDir: string, args: readonly string[], opts: RunOptions = {}): Promise<PulumiRun> {
  const r = await runPulumi(ws, projectDir, args, opts);
  const logs = path.join(ws.root, "logs");
  fs.mkdirSync(logs, { recursive: true });
  const log = path.join(logs, `${String(++logSeq).padStart(2, "0")}-${args.slice(0, 3).join("-").replace(/[^A-Za-z0-9-]/g, "_")}.log`);
  fs.writeFileSync(log, `$ pulumi ${args.join(" ")}\n${r.stdout}\n--- stderr ---\n${r.stderr}\n[exit ${r.code} after ${r.seconds.toFixed(1)} s]\n`);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${r.code}) in ${projectDir} (whole output: ${log}):\n${failureLines(r)}`);
  return r;
}

/** Creates `stack` in the workspace's backend (the scratch copy's stack file gets its encryption salt). */
export async function initStack(ws: Workspace, projectDir: string, stack: string): Promise<void> {
  await mustPulumi(ws, projectDir, ["stack", "init", stack, "--secrets-provider", "passphrase"], { timeoutMs: 120_000 });
}
