import { createRequire } from "node:module";

// Every test file runs in its own fork, and most load Pulumi, whose runtime
// loads TypeScript and npm's Arborist at start for closure serialization no
// test uses (~0.4 s per file): defer them until first touched, as the CLI
// does (scripts/lazy-deps.js). Anything that does touch them gets the real
// module.
const require = createRequire(__filename);
(require("../../scripts/lazy-deps.js") as { deferModules(names: string[]): () => void }).deferModules(["typescript", "@npmcli/arborist"]);
