"use strict";
// The compiled CLI: every TypeScript source of the program (not the tests or
// benchmarks) transpiled once to CommonJS under dist/cli-<fingerprint>/, so
// `spive` starts without transpiling. The fingerprint is a hash of the
// sources' paths and contents (and of this file), so a build is only ever
// used for exactly the sources it was made from: after any edit, checkout or
// new command file the fingerprint changes and the build is remade (or, if
// that fails, the CLI runs from the sources through tsx). A build folder is
// never modified once complete, so concurrent `spive` processes never see a
// half-written one. `npm ci` runs `prepare`, which runs this file.
//
// Usage: `node scripts/cli-build.js` (build if stale; prints what it did).
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** The repository root (this file is scripts/cli-build.js). */
const ROOT = path.resolve(__dirname, "..");
/** Where builds live (gitignored). */
const DIST = path.join(ROOT, "dist");
/** Folders never compiled into the CLI: tests, benchmarks, examples, output and dependencies. */
const SKIP_DIRS = new Set(["node_modules", "dist", "test", "bench", "examples", "docs", "scripts"]);
/** The file whose presence marks a complete build folder (written last). */
const COMPLETE = "build-complete.json";
/** Builds of other fingerprints older than this are removed by the next build. */
const PRUNE_AFTER_MS = 60 * 60 * 1000;

/** Every program source (`*.ts`, not `*.d.ts`, not `*.config.ts`) under `root`, repository-relative, sorted. */
function sourceFiles(root = ROOT) {
  const out = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(child);
      } else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !entry.name.endsWith(".config.ts")) {
        out.push(child);
      }
    }
  };
  walk("");
  return out.sort();
}

/** A hash of the sources' paths and contents and of this build script: a build is valid for exactly these. */
function fingerprint(root = ROOT, files = sourceFiles(root)) {
  const hash = crypto.createHash("sha256");
  hash.update(fs.readFileSync(__filename));
  for (const file of files) {
    hash.update(`\0${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** The build folder for a fingerprint. */
function buildDir(fp, root = ROOT) {
  return path.join(root, "dist", `cli-${fp}`);
}

/**
 * The compiled entry (`…/cli/main.js`) for the current sources, building it
 * first when missing. Returns undefined when no build can be made (the caller
 * then runs the sources through tsx).
 */
function currentEntry(root = ROOT, { build: mayBuild = true } = {}) {
  const files = sourceFiles(root);
  const fp = fingerprint(root, files);
  const dir = buildDir(fp, root);
  if (!fs.existsSync(path.join(dir, COMPLETE))) {
    if (!mayBuild) return undefined;
    build(root, files, fp);
  }
  return path.join(dir, "cli", "main.js");
}

/** Transpiles `files` into dist/cli-<fp>/ (through a temporary folder renamed into place). */
function build(root = ROOT, files = sourceFiles(root), fp = fingerprint(root, files)) {
  const esbuild = require("esbuild");
  const dir = buildDir(fp, root);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: files.map((f) => path.join(root, f)),
      outdir: tmp,
      outbase: root,
      bundle: false,
      format: "cjs",
      platform: "node",
      target: "node20",
      sourcemap: "linked",
      logLevel: "silent",
      // `await import("./x")` must stay a require: a native import() of an extensionless path fails.
      supported: { "dynamic-import": false },
    });
    writeManifest(tmp);
    fs.writeFileSync(path.join(tmp, COMPLETE), `${JSON.stringify({ fingerprint: fp, files: files.length, builtAt: new Date().toISOString() })}\n`);
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same fingerprint first: its folder is identical.
      if (!fs.existsSync(path.join(dir, COMPLETE))) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  prune(root, fp);
  return dir;
}

/**
 * Writes `commands.json` (cli/main.ts `commandManifest()`): which top-level
 * commands each command module adds, so the CLI loads only the modules a
 * command line needs. Made in a child process, which loads every module of
 * the new build once. Without it (a module failing to load) the CLI loads
 * every module, and reports that failure as it would from the sources.
 */
function writeManifest(dir) {
  const { spawnSync } = require("node:child_process");
  const main = path.join(dir, "cli", "main.js");
  const r = spawnSync(process.execPath, ["-e", `process.stdout.write(JSON.stringify(require(${JSON.stringify(main)}).commandManifest()))`], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (r.status === 0 && r.stdout.startsWith("{")) fs.writeFileSync(path.join(dir, "commands.json"), `${r.stdout}\n`);
}

/** Removes builds of other fingerprints not touched for an hour (a process may still be running from a recent one). */
function prune(root, keep) {
  const dist = path.join(root, "dist");
  for (const name of fs.readdirSync(dist)) {
    if (!name.startsWith("cli-") || name === `cli-${keep}`) continue;
    const full = path.join(dist, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > PRUNE_AFTER_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

module.exports = { ROOT, DIST, sourceFiles, fingerprint, buildDir, currentEntry, build, COMPLETE };

if (require.main === module) {
  const started = Date.now();
  try {
    const files = sourceFiles();
    const fp = fingerprint(ROOT, files);
    const existed = fs.existsSync(path.join(buildDir(fp), COMPLETE));
    if (!existed) build(ROOT, files, fp);
    process.stdout.write(`spive: compiled CLI ${existed ? "already current" : "built"} in ${path.relative(ROOT, buildDir(fp))} (${files.length} sources, ${Date.now() - started} ms).\n`);
  } catch (err) {
    // Never fail `npm ci`: without a build the CLI runs from the sources (slower, same behaviour).
    process.stderr.write(`spive: could not compile the CLI (${err instanceof Error ? err.message : String(err)}); it will run from the TypeScript sources.\n`);
  }
}
