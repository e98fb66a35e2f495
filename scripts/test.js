#!/usr/bin/env node
"use strict";
// `npm test`: the typecheck (`npm run typecheck`), the workflow lint
// (`npm run lint:workflows`) and every test (`vitest run`), started together
// so the typecheck's CPU fills the time the tests spend waiting on child
// processes; then the full-size property tests (`npm run test:deep`) and the
// engine suite (`npm run test:engine`), one after the other. The tests print
// as they run; the typecheck's and the lint's output follow, each under its
// name. Exits non-zero when any part fails, naming which. Extra arguments go to vitest (`npm test -- test/x.test.ts`).
const { spawn } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bin = (pkg, file) => path.join(root, "node_modules", pkg, file);

/** Runs `node args…`; resolves with its exit code, its output (unless inherited) and its time. */
function run(name, args, inherit) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"] });
    let out = "";
    if (!inherit) {
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (out += c));
    }
    child.on("error", (err) => resolve({ name, code: 1, out: `${out}${err.message}\n`, seconds: (Date.now() - started) / 1000 }));
    child.on("close", (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), out, seconds: (Date.now() - started) / 1000 }));
  });
}

async function main() {
  const checks = [
    run("typecheck (tsc --noEmit)", [bin("typescript", "bin/tsc"), "--noEmit", "-p", "tsconfig.json"], false),
    run("workflow lint (actionlint)", [path.join(root, "scripts", "lint-workflows.js")], false),
  ];
  const tests = await run("tests (vitest run)", [bin("vitest", "vitest.mjs"), "run", ...process.argv.slice(2)], true);
  const results = [...(await Promise.all(checks)), tests];
  // The whole suite (no file arguments) goes on with the property tests at
  // full size and the engine suite, each alone on the machine: both are heavy
  // and would starve vitest's RPC deadlines if run beside the main suite. The
  // engine suite skips with a visible line when no engine is installed, and
  // fails instead when SPIVE_REQUIRE_ENGINE=1 (.ci/run).
  if (process.argv.length <= 2) {
    results.push(await run("property tests at full size (npm run test:deep)", [path.join(root, "scripts", "test-deep.js")], true));
    results.push(await run("engine suite (npm run test:engine)", [bin("vitest", "vitest.mjs"), "run", "-c", "vitest.engine.config.ts"], true));
  }
  for (const r of results.slice(0, 2)) {
    process.stdout.write(`\n${r.name}: ${r.code === 0 ? "passed" : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n${r.out}`);
  }
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  process.stdout.write(failed.length === 0 ? `\nnpm test: ${results.map((r) => `${r.name} passed in ${r.seconds.toFixed(0)} s`).join("; ")}.\n` : `\nnpm test: FAILED: ${failed.join(", ")}.\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main();
