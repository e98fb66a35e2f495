import type { Command } from "commander";
import * as fs from "node:fs";
import { KNOWN_STACKS } from "../../layers/registry";
import { renderDiffMarkdown } from "../../plan/markdown";
import { compareWithBase, DEFAULT_PLAN_TIMEOUT_MS } from "../../plan/revision";

/** The options of `spive diff`. */
interface DiffOptions {
  readonly base: string;
  readonly all?: boolean;
  readonly output?: string;
  readonly timeout: string;
}

/**
 * `spive diff <stack>|--all --base <git-ref> [--output <file>] [--timeout <s>]`:
 * plans the base revision and the working tree offline and prints a Markdown
 * review diff sized for one pull-request comment (docs/ci.md): counts of
 * added, removed and changed resources per type, then each changed input
 * path as base → this revision, and for prod0 the event-level diff of the
 * bootstrap log. A stack that is absent or fails at either revision is
 * reported in the Markdown (exit code 0); a bad argument or an unknown ref
 * exits 1 with one sentence on stderr.
 */
export function register(program: Command): void {
  program
    .command("diff")
    .description("Markdown diff of the offline plans of a base revision and the working tree (one pull-request comment).")
    .argument("[stack]", `one of ${KNOWN_STACKS.join(", ")}; omit with --all`)
    .requiredOption("--base <git-ref>", "the revision to compare with, e.g. origin/main")
    .option("--all", `compare every stack (${KNOWN_STACKS.join(", ")}) in one comment`)
    .option("--output <file>", "write the Markdown to this file instead of stdout")
    .option("--timeout <seconds>", "bound on planning each revision", String(DEFAULT_PLAN_TIMEOUT_MS / 1000))
    .action(async (stack: string | undefined, opts: DiffOptions) => {
      process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE") throw err;
      });
      try {
        if (opts.all && stack !== undefined) throw new Error(`give either a stack or --all, not both (got stack ${JSON.stringify(stack)} and --all).`);
        if (!opts.all && stack === undefined) throw new Error(`expected a stack name (one of ${KNOWN_STACKS.join(", ")}) or --all, got neither.`);
        if (stack !== undefined && !KNOWN_STACKS.includes(stack)) {
          throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        }
        const seconds = Number(opts.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--timeout: expected a positive number of seconds, got ${JSON.stringify(opts.timeout)}.`);
        const stacks = opts.all ? [...KNOWN_STACKS] : [stack!];
        const report = await compareWithBase({
          baseRef: opts.base,
          stacks,
          timeoutMs: seconds * 1000,
          command: `npx spive diff ${opts.all ? "--all" : stack} --base ${opts.base}`,
        });
        const markdown = renderDiffMarkdown(report);
        if (opts.output) fs.writeFileSync(opts.output, markdown);
        else process.stdout.write(markdown);
      } catch (err) {
        process.stderr.write(`spive diff: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
