#!/usr/bin/env node
// Entry point of the `spive` CLI: loads tsx so the TypeScript sources run as they are.
require("tsx/cjs");
require("../cli/main.ts").main(process.argv).catch((err) => {
  process.stderr.write(`spive: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
