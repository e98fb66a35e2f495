import type { Command } from "commander";
import { loadStackConfig } from "../../config/load";
import { KNOWN_STACKS } from "../../layers/registry";
import { formatRolloutTable, rolloutReport } from "../../rollout/report";

/**
 * `spive rollout plan <stack> [--json] [--stacks-dir <dir>]`: prints the waves a version bump of the
 * stack rolls through, with cumulative coverage, start offsets and the estimated
 * duration (docs/rolling-upgrade.md). Exit code 1, with one sentence on stderr,
 * when the stack is unknown, its config is invalid or has no `spive:rollout`
 * policy.
 */
export function register(program: Command): void {
  const rollout = program
    .command("rollout")
    .description("Rolling upgrades of the layers upgraded in waves (prod1, prod2, prod3).");
  rollout
    .command("plan")
    .description("Print the waves a version bump rolls through, with the estimated duration.")
    .argument("<stack>", `one of ${KNOWN_STACKS.join(", ")} with a spive:rollout policy, e.g. prod1`)
    .option("--json", "print the plan as JSON instead of a table")
    .option("--stacks-dir <dir>", "read Pulumi.<stack>.yaml files from this folder instead of stacks/")
    .action((stack: string, opts: { json?: boolean; stacksDir?: string }) => {
      try {
        if (!KNOWN_STACKS.includes(stack)) {
          throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        }
        const report = rolloutReport(stack, loadStackConfig(stack, opts.stacksDir));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatRolloutTable(report));
      } catch (err) {
        process.stderr.write(`spive rollout plan: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
