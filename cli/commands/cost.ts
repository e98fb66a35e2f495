import type { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../config/load";
import { KNOWN_STACKS } from "../../layers/registry";

/** Options of `spive cost`. */
interface CostOptions {
  readonly json?: boolean;
  readonly stacksDir?: string;
  readonly docs?: boolean;
  readonly write?: boolean;
  readonly check?: boolean;
}

/** The document holding the generated estimates. */
const COST_DOC = path.join(REPO_ROOT, "docs", "cost.md");

/**
 * `spive cost <stack> [--json] [--stacks-dir <dir>]`: the stack's monthly
 * cost estimate from its offline plan and the committed price table, by
 * resource type and region, autoscaled parts as minimum → maximum, with each
 * node pool's allocatable against requested capacity (docs/cost.md).
 * `spive cost --docs [--write | --check]` prints (refreshes, checks) the
 * estimates of every committed stack in docs/cost.md. Errors are one
 * sentence on stderr, exit code 1.
 */
export function register(program: Command): void {
  program
    .command("cost")
    .description("Monthly cost estimate of a stack from its offline plan and pricing/gcp.yaml (--docs: every stack, for docs/cost.md).")
    .argument("[stack]", `one of ${KNOWN_STACKS.join(", ")}; omit with --docs`)
    .option("--json", "print the estimate as JSON")
    .option("--stacks-dir <dir>", "read Pulumi.<stack>.yaml files from this folder instead of stacks/")
    .option("--docs", "the estimates of every committed stack, as the Markdown of docs/cost.md")
    .option("--write", "with --docs: refresh the generated block of docs/cost.md")
    .option("--check", "with --docs: exit 1 when the generated block of docs/cost.md is stale")
    .action(async (stack: string | undefined, opts: CostOptions) => {
      process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE") throw err;
      });
      try {
        if (opts.docs && stack !== undefined) throw new Error(`give either a stack or --docs, not both (got stack ${JSON.stringify(stack)} and --docs).`);
        if (!opts.docs && stack === undefined) throw new Error(`expected a stack name (one of ${KNOWN_STACKS.join(", ")}) or --docs, got neither.`);
        if ((opts.write || opts.check) && !opts.docs) throw new Error("--write and --check go with --docs.");
        if (opts.write && opts.check) throw new Error("give either --write or --check, not both.");
        if (stack !== undefined && !KNOWN_STACKS.includes(stack)) throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        const stacksDir = opts.stacksDir === undefined ? undefined : path.resolve(opts.stacksDir);
        const { estimateStack } = await import("../../cost/stack");
        const { renderCostJson, renderCostText } = await import("../../cost/render");
        if (stack !== undefined) {
          const { estimate, source } = await estimateStack(stack, { stacksDir });
          process.stdout.write(opts.json ? renderCostJson(estimate) : renderCostText(estimate, source));
          return;
        }
        const { loadPriceTable } = await import("../../cost/price-table");
        const { extractCostDocs, renderCostDocs, replaceCostDocs } = await import("../../cost/docs");
        const table = loadPriceTable();
        const estimates = [];
        for (const s of KNOWN_STACKS) {
          process.stderr.write(`spive cost: estimating ${s}…\n`);
          estimates.push((await estimateStack(s, { stacksDir, table })).estimate);
        }
        const generated = renderCostDocs(estimates, table);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(estimates, null, 2)}\n`);
          return;
        }
        if (!opts.write && !opts.check) {
          process.stdout.write(`${generated}\n`);
          return;
        }
        const label = path.relative(process.cwd(), COST_DOC) || COST_DOC;
        const doc = fs.readFileSync(COST_DOC, "utf8");
        if (opts.check) {
          if (extractCostDocs(doc, label) !== generated.trim()) throw new Error(`${label}: the estimates are stale; run \`npx spive cost --docs --write\` and commit the result.`);
          process.stdout.write(`${label}: the estimates are current.\n`);
          return;
        }
        const next = replaceCostDocs(doc, generated, label);
        if (next !== doc) fs.writeFileSync(COST_DOC, next);
        process.stdout.write(`${label}: ${next === doc ? "the estimates were already current" : "refreshed the estimates"}.\n`);
      } catch (err) {
        process.stderr.write(`spive cost: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
