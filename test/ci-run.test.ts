import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../config/load";

// CI runs what the README tells a new user to run, and docs/ci.md says what
// `npm test` really runs.

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

/** The commands of a shell script or block: non-empty lines that are not comments or shell setup. */
function commands(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !/^(set|cd) /.test(l));
}

describe("the test commands", () => {
  it(".ci/run runs exactly the README's test commands", () => {
    const block = /## Tests\n\n```sh\n([\s\S]*?)```/.exec(read("README.md"));
    expect(block, "README.md has a ## Tests section starting with a sh block").not.toBeNull();
    // .ci/run first installs the real engine and requires the engine suite
    // (issue 14), then runs the README's command and nothing else.
    expect(commands(read(".ci/run"))).toEqual(["bash scripts/install-engine.sh >/dev/null", "export SPIVE_REQUIRE_ENGINE=1", ...commands(block![1]!)]);
    expect(commands(block![1]!)).toEqual(["npm ci && npm test"]);
  });

  it("docs/ci.md quotes the npm test script as package.json defines it", () => {
    expect(read("docs/ci.md")).toContain(`\`npm test\` is \`${scripts.test}\``);
    expect(scripts.test).toBe("node scripts/test.js");
    // What scripts/test.js runs is what the typecheck and lint scripts run.
    const runner = read("scripts/test.js");
    expect(scripts.typecheck).toBe("tsc --noEmit -p tsconfig.json");
    expect(runner).toContain(`[bin("typescript", "bin/tsc"), "--noEmit", "-p", "tsconfig.json"]`);
    expect(scripts["lint:workflows"]).toBe("node scripts/lint-workflows.js");
    expect(runner).toContain(`path.join(root, "scripts", "lint-workflows.js")`);
    expect(runner).toContain(`[bin("vitest", "vitest.mjs"), "run"`);
    // The whole suite goes on with the full-size properties and the engine suite.
    expect(runner).toContain(`path.join(root, "scripts", "test-deep.js")`);
    expect(scripts["test:engine"]).toBe("vitest run -c vitest.engine.config.ts");
    expect(runner).toContain(`"run", "-c", "vitest.engine.config.ts"]`);
    expect(scripts["test:deep"]).toBe("node scripts/test-deep.js");
  });

  it("npm ci compiles the CLI (prepare) and bench:cli exists", () => {
    expect(scripts.prepare).toBe("node scripts/cli-build.js");
    expect(scripts["bench:cli"]).toBeDefined();
    expect(read(".gitignore").split("\n")).toContain("dist/");
  });
});
