#!/usr/bin/env node
"use strict";
// `npm run test:deep`: the property tests at full size. Runs every test file
// that sizes its runs with test/helpers/budget.ts, with SPIVE_TEST_DEEP=1
// (10x the runs `npm test` makes). `npm test` (scripts/test.js) runs it after the main suite.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const files = fs
  .readdirSync(path.join(root, "test"))
  .filter((f) => f.endsWith(".test.ts") && fs.readFileSync(path.join(root, "test", f), "utf8").includes("./helpers/budget"))
  .sort()
  .map((f) => `test/${f}`);
if (files.length === 0) {
  process.stderr.write("test:deep: no test file uses test/helpers/budget.ts; expected at least the bootstrap log fuzz tests.\n");
  process.exit(1);
}
process.stdout.write(`test:deep: ${files.join(" ")}\n`);
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", ...files], { cwd: root, stdio: "inherit", env: { ...process.env, SPIVE_TEST_DEEP: "1" } });
process.exit(r.status ?? 1);
