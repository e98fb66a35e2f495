import type { Command } from "commander";
import { KNOWN_STACKS } from "../../layers/registry";
import { formatPolicyReport, policyReport } from "../../policy/report";

/**
 * `spive policy <stack> [--json] [--stacks-dir <dir>]`: evaluates the stack
 * offline on Pulumi's mock engine with its committed config (as `pulumi up`
 * would run the program) and runs every rule of the policy pack
 * (docs/policy.md) over the recorded resources. Prints a one-line summary
 * (rules checked, resources checked) when clean; otherwise every violation,
 * grouped by rule, and exit code 1. Exit code 2, with one sentence on stderr,
 * when the stack cannot be evaluated (unknown stack, invalid config).
 */
export function register(program: Command): void {
  program
    .command("policy")
    .description("Run the policy pack over a stack evaluated offline; exit 1 on any violation.")
    .argument("<stack>", `one of ${KNOWN_STACKS.join(", ")}`)
    .option("--json", "print the report as JSON")
    .option("--stacks-dir <dir>", "read Pulumi.<stack>.yaml files from this folder instead of stacks/")
    .action(async (stack: string, opts: { json?: boolean; stacksDir?: string }) => {
      let report;
      try {
        if (!KNOWN_STACKS.includes(stack)) {
          throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        }
        // As given: messages then name the files the way the user wrote the folder.
        const stacksDir = opts.stacksDir;
        // Loaded on use: the program and Pulumi's runtime take seconds to load, and every other command would pay for them.
        const { evaluateStack } = await import("../../plan/stack");
        const evaluation = await evaluateStack(stack, { stacksDir });
        report = policyReport(stack, evaluation.resources);
      } catch (err) {
        process.stderr.write(`spive policy: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatPolicyReport(report));
      if (report.violations.length > 0) process.exitCode = 1;
    });
}
