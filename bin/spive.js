#!/usr/bin/env node
// Entry point of the `spive` CLI. Importing "tsx" registers its CommonJS and
// ESM hooks (as `node --import tsx` would), so the TypeScript sources run as
// they are, including the commands' lazy `import()`s.
import("tsx")
  .then(() => require("../cli/main.ts").main(process.argv))
  .catch((err) => {
    process.stderr.write(`spive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
