import { defineConfig } from "vitest/config";

/**
 * Vitest settings. Each test file runs in its own fork, since Pulumi's mock
 * engine keeps process-wide state. Four forks on the 2-core machines: many
 * files (the bootstrap end-to-end tests, the CLI tests) mostly wait on child
 * processes, so running more files than cores keeps both cores busy. The
 * setup file defers modules Pulumi loads but no test uses.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The real-engine suite has its own config and script (npm run test:engine).
    exclude: ["test/engine/**", "node_modules/**"],
    setupFiles: ["test/setup/defer-deps.ts"],
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 4 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
