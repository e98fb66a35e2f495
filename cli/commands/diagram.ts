import type { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, STACKS_DIR } from "../../config/load";
import { loadTower } from "../../diagram/load";
import { extractDiagram, replaceDiagram } from "../../diagram/readme";
import { towerDiagram } from "../../diagram/tower";

/** Options of `spive diagram`. */
interface DiagramOptions {
  readonly stacksDir: string;
  readonly write?: boolean;
  readonly check?: boolean;
  readonly readme: string;
}

/**
 * `spive diagram [--stacks-dir DIR] [--write | --check] [--readme FILE]`:
 * prints the Mermaid flowchart of the tower drawn from the stack configs;
 * `--write` refreshes the generated block of README.md, `--check` exits 1
 * when that block is stale. Errors are one sentence on stderr, exit code 1.
 */
export function register(program: Command): void {
  program
    .command("diagram")
    .description("Print the Mermaid picture of the layer tower drawn from the stack configs (--write refreshes README.md).")
    .option("--stacks-dir <dir>", "the folder of Pulumi.<stack>.yaml files", STACKS_DIR)
    .option("--write", "replace the generated block of the README with the current picture")
    .option("--check", "exit 1 when the README's picture differs from the current one")
    .option("--readme <file>", "the README holding the generated block", path.join(REPO_ROOT, "README.md"))
    .action((opts: DiagramOptions) => {
      try {
        const mermaid = towerDiagram(loadTower(opts.stacksDir));
        if (!opts.write && !opts.check) {
          process.stdout.write(mermaid);
          return;
        }
        const file = path.resolve(opts.readme);
        const label = path.relative(process.cwd(), file) || file;
        const readme = fs.readFileSync(file, "utf8");
        if (opts.check) {
          if (extractDiagram(readme, label) !== mermaid) {
            throw new Error(`${label}: the tower picture is stale; run \`npm run diagram\` and commit the result.`);
          }
          process.stdout.write(`${label}: the tower picture is current.\n`);
          return;
        }
        const next = replaceDiagram(readme, mermaid, label);
        if (next !== readme) fs.writeFileSync(file, next);
        process.stdout.write(`${label}: ${next === readme ? "the tower picture was already current" : "refreshed the tower picture"}.\n`);
      } catch (err) {
        process.stderr.write(`spive diagram: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
