import type { Command } from "commander";
import { loadStackConfig } from "../../config/load";
import { formatRolloutTable, rolloutReport } from "../../rollout/report";

/**
 * `spive rollout plan <stack> [--json]`: prints the waves a version bump of the
 * stack rolls through, with cumulative coverage, start offsets and the estimated
 * duration (docs/rolling-upgrade.md). Exit code 1, with one sentence on stderr,
 * when the stack config is invalid or has no `spive:rollout` policy.
 */
export function register(program: Command): void {
  const rollout = program
    .command("rollout")
    .description("Rolling upgrades of the layers upgraded in waves (prod1, prod2, prod3).");
  rollout
    .command("plan")
    .description("Print the waves a version bump rolls through, with the estimated duration.")
    .argument("<stack>", "a stack with a spive:rollout policy, e.g. prod1")
    .option("--json", "print the plan as JSON instead of a table")
    .action((stack: string, opts: { json?: boolean }) => {
      try {
        if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
          throw new Error(`expected a stack name such as prod1 (letters, digits, "-", "_", "."), got "${stack}".`);
        }
        const report = rolloutReport(stack, loadStackConfig(stack));
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatRolloutTable(report));
      } catch (err) {
        process.stderr.write(`spive rollout plan: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
