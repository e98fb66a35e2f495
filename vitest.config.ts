import { defineConfig } from "vitest/config";

/** Vitest settings: each file in its own fork, since Pulumi's mock engine keeps process-wide state. */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
