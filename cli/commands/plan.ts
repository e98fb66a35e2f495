import type { Command } from "commander";
import { KNOWN_STACKS } from "../../layers/registry";
import { renderPlanJson, renderPlanText } from "../../plan/render";
import { snapshotOf } from "../../plan/snapshot";

/**
 * `spive plan <stack> [--json] [--stacks-dir <dir>]`: evaluates the stack's
 * program offline on Pulumi's mock engine, as a preview, with its committed
 * config, and prints the desired resources sorted by type and URN, with
 * options and every input leaf; the output is identical from run to run.
 * Exit code 1, with one sentence on stderr, when the stack is unknown or its
 * config or program fails.
 */
export function register(program: Command): void {
  program
    .command("plan")
    .description("Print the desired resources of a stack, evaluated offline on Pulumi's mock engine.")
    .argument("<stack>", `one of ${KNOWN_STACKS.join(", ")}`)
    .option("--json", "print the plan snapshot as JSON")
    .option("--stacks-dir <dir>", "read Pulumi.<stack>.yaml files from this folder instead of stacks/")
    .action(async (stack: string, opts: { json?: boolean; stacksDir?: string }) => {
      // `spive plan prod1 | head` closes the pipe early; that is not an error.
      process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE") throw err;
      });
      try {
        if (!KNOWN_STACKS.includes(stack)) {
          throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        }
        // As given: messages then name the files the way the user wrote the folder.
        const stacksDir = opts.stacksDir;
        // Loaded on use: the program and Pulumi's runtime take seconds to load, and every other command would pay for them.
        const { evaluateStack } = await import("../../plan/stack");
        const evaluation = await evaluateStack(stack, { stacksDir, preview: true });
        const snapshot = snapshotOf(stack, evaluation);
        process.stdout.write(opts.json ? renderPlanJson(snapshot) : renderPlanText(snapshot));
      } catch (err) {
        process.stderr.write(`spive plan: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
