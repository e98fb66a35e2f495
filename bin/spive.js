#!/usr/bin/env node
"use strict";
// Entry point of the `spive` CLI. It runs the compiled CLI
// (dist/cli-<fingerprint>/, made by scripts/cli-build.js from exactly the
// current sources, rebuilt here when they changed), or, when no build can be
// made or SPIVE_FROM_SOURCE=1, the TypeScript sources through tsx (its
// CommonJS and ESM hooks, as `node --import tsx` would register them, so the
// commands' lazy `import()`s work too). Both run the same code; the build
// only skips transpiling.
const path = require("node:path");

// Pulumi's runtime loads TypeScript and npm's Arborist at start for closure
// serialization, which no spive command uses (the mock engine never
// serializes a function): defer them until first touched (~0.4 s saved).
require("../scripts/lazy-deps.js").deferModules(["typescript", "@npmcli/arborist"]);

async function entry() {
  if (process.env.SPIVE_FROM_SOURCE !== "1") {
    try {
      return require("../scripts/cli-build.js").currentEntry();
    } catch {
      // No build possible (read-only checkout, no esbuild): run the sources.
    }
  }
  await import("tsx");
  return path.join(__dirname, "..", "cli", "main.ts");
}

entry()
  .then((file) => require(file).main(process.argv))
  .catch((err) => {
    process.stderr.write(`spive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
