import * as fs from "node:fs";
import Module, { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { types } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";
import { run } from "./helpers/proc";

const require = createRequire(__filename);
const cliBuild = require("../scripts/cli-build.js") as {
  sourceFiles(root: string): string[];
  fingerprint(root: string): string;
};
const { lazyModule, deferModules } = require("../scripts/lazy-deps.js") as {
  lazyModule(load: () => unknown): Record<string, unknown>;
  deferModules(names: string[]): () => void;
};

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A minimal repository with the real bin/spive.js and build scripts, whose CLI prints `text`. */
function fakeRepo(text: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "spive-cli-build-"));
  tmpDirs.push(root);
  for (const rel of ["bin/spive.js", "scripts/cli-build.js", "scripts/lazy-deps.js"]) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, rel), path.join(root, rel));
  }
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: fake\nruntime: nodejs\n");
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  writeMain(root, text);
  return root;
}

function writeMain(root: string, text: string): void {
  fs.mkdirSync(path.join(root, "cli"), { recursive: true });
  fs.writeFileSync(path.join(root, "cli", "message.ts"), `export const message: string = ${JSON.stringify(text)};\n`);
  fs.writeFileSync(
    path.join(root, "cli", "main.ts"),
    `export async function main(_argv: string[]): Promise<void> {\n  const { message } = await import("./message");\n  process.stdout.write(\`\${message} from \${__filename.endsWith(".js") ? "build" : "sources"}\\n\`);\n}\n`,
  );
}

async function spive(root: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run(process.execPath, [path.join(root, "bin", "spive.js")], { cwd: root, env: { ...process.env, SPIVE_FROM_SOURCE: "", ...env }, timeout: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

function builds(root: string): string[] {
  const dist = path.join(root, "dist");
  return fs.existsSync(dist) ? fs.readdirSync(dist).filter((d) => d.startsWith("cli-")) : [];
}

describe("the compiled CLI (scripts/cli-build.js, bin/spive.js)", () => {
  it("runs a build of exactly the current sources: an edit makes a new build, never the old one", async () => {
    const root = fakeRepo("first");
    expect(await spive(root)).toBe("first from build\n");
    expect(builds(root)).toHaveLength(1);
    expect(await spive(root)).toBe("first from build\n");
    expect(builds(root)).toHaveLength(1);

    writeMain(root, "second");
    expect(await spive(root)).toBe("second from build\n");
    expect(builds(root)).toHaveLength(2);
  });

  it("runs the sources through tsx with SPIVE_FROM_SOURCE=1", async () => {
    const root = fakeRepo("plain");
    expect(await spive(root, { SPIVE_FROM_SOURCE: "1" })).toBe("plain from sources\n");
    expect(builds(root)).toEqual([]);
  });

  it("falls back to the sources when no build can be made", async () => {
    const root = fakeRepo("fallback");
    // A file where the build folder would go: the build fails, the sources run.
    fs.writeFileSync(path.join(root, "dist"), "not a folder");
    expect(await spive(root)).toBe("fallback from sources\n");
  });

  it("fingerprints every program source, not the tests, benchmarks or dependencies", () => {
    const files = cliBuild.sourceFiles(REPO_ROOT);
    expect(files).toContain("cli/main.ts");
    expect(files).toContain("cli/commands/plan.ts");
    expect(files).toContain("plan/stack.ts");
    expect(files.some((f) => f.startsWith("test/") || f.startsWith("bench/") || f.startsWith("node_modules/") || f.endsWith(".d.ts"))).toBe(false);
    const root = fakeRepo("a");
    const before = cliBuild.fingerprint(root);
    fs.writeFileSync(path.join(root, "cli", "commands.ts"), "export {};\n");
    expect(cliBuild.fingerprint(root)).not.toBe(before);
  });

  it("finds a new command file with no wiring, compiled and from the sources, and loads only the modules a command line needs", async () => {
    const root = fakeRepo("unused");
    for (const f of ["main.ts", "usage.ts"]) fs.copyFileSync(path.join(REPO_ROOT, "cli", f), path.join(root, "cli", f));
    const commands = path.join(root, "cli", "commands");
    fs.mkdirSync(commands);
    const commandModule = (name: string) =>
      `import type { Command } from "commander";\nprocess.stderr.write("loaded ${name}\\n");\nexport function register(program: Command): void {\n  program.command("${name}").description("Say ${name}.").action(() => process.stdout.write("${name}!\\n"));\n}\n`;
    fs.writeFileSync(path.join(commands, "hello.ts"), commandModule("hello"));
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [path.join(root, "bin", "spive.js"), ...args], { cwd: root, env: { ...process.env, SPIVE_FROM_SOURCE: "", ...env }, timeout: 60_000 });

    expect(await cli(["hello"])).toMatchObject({ status: 0, stdout: "hello!\n", stderr: "loaded hello\n" });
    fs.writeFileSync(path.join(commands, "world.ts"), commandModule("world"));
    // The new module is a new build; only the module of the command named is loaded.
    expect(await cli(["world"])).toMatchObject({ status: 0, stdout: "world!\n", stderr: "loaded world\n" });
    const help = await cli(["--help"]);
    expect(help.stderr).toBe("");
    expect(help.stdout).toMatch(/^  hello +Say hello\.$/m);
    expect(help.stdout).toMatch(/^  world +Say world\.$/m);
    // From the sources every module loads, and the help is the same.
    const fromSources = await cli(["--help"], { SPIVE_FROM_SOURCE: "1" });
    expect(fromSources.stdout).toBe(help.stdout);
    expect(fromSources.stderr).toBe("loaded hello\nloaded world\n");
    // An unknown command loads them all, so the suggestion can name the nearest.
    const typo = await cli(["wrold"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("(Did you mean world?)");
  });

  it("offers the same commands compiled as from the sources", async () => {
    const built = await run(process.execPath, ["bin/spive.js", "--help"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_FROM_SOURCE: "" }, timeout: 60_000 });
    const sources = await run(process.execPath, ["bin/spive.js", "--help"], { cwd: REPO_ROOT, env: { ...process.env, SPIVE_FROM_SOURCE: "1" }, timeout: 60_000 });
    expect(built.status).toBe(0);
    expect(built.stdout).toContain("bootstrap");
    expect(built.stdout).toBe(sources.stdout);
  });
});

describe("deferred modules (scripts/lazy-deps.js)", () => {
  it("keeps TypeScript and Arborist unloaded after Pulumi loads, in the tests as in the CLI (test/setup/defer-deps.ts)", async () => {
    const pulumi = await import("@pulumi/pulumi");
    expect(typeof pulumi.ComponentResource).toBe("function");
    expect(Object.keys(require.cache).filter((k) => /[\\/]node_modules[\\/](typescript|@npmcli[\\/]arborist)[\\/]/.test(k))).toEqual([]);
  });

  it("loads a module only when it is first used", () => {
    let loads = 0;
    const mod = lazyModule(() => {
      loads += 1;
      return { answer: 42, twice: (n: number) => 2 * n };
    });
    expect(loads).toBe(0);
    expect(mod.__esModule).toBe(true);
    expect(loads).toBe(0);
    expect(mod.answer).toBe(42);
    expect((mod.twice as (n: number) => number)(4)).toBe(8);
    expect(Object.keys(mod)).toEqual(["answer", "twice"]);
    expect(loads).toBe(1);
  });

  it("defers only the named modules, and only when Pulumi's packages require them", () => {
    const internals = Module as unknown as { _load(request: string, parent: { filename: string }, isMain: boolean): unknown };
    const load = (request: string, parent: { filename: string }) => internals._load(request, parent, false);
    const fromPulumi = { filename: path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "index.js") };
    const fromElsewhere = { filename: path.join(REPO_ROOT, "cli", "main.ts") };
    const undo = deferModules(["node:zlib"]);
    try {
      const deferred = load("node:zlib", fromPulumi) as typeof import("node:zlib");
      expect(types.isProxy(deferred)).toBe(true);
      expect(deferred.gzipSync("x").length).toBeGreaterThan(0);
      expect(types.isProxy(load("node:zlib", fromElsewhere))).toBe(false);
      expect(types.isProxy(load("node:path", fromPulumi))).toBe(false);
    } finally {
      undo();
    }
    expect(types.isProxy(load("node:zlib", fromPulumi))).toBe(false);
  });
});
