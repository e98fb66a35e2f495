import { defineConfig } from "vitest/config";

/**
 * The engine suite (`npm run test:engine`): the mission's promises on the real
 * Pulumi engine (docs/real-engine.md). One file at a time, in order: its steps
 * are one deployment history on a shared file backend. Each step runs real
 * `pulumi` commands, hence the long timeouts.
 */
export default defineConfig({
  test: {
    include: ["test/engine/**/*.test.ts"],
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 1 } },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
    reporters: ["default"],
  },
});
