import { loadStackConfig, readStackFile, STACKS_DIR, stackFilePath } from "../config/load";
import { CostConfig } from "../config/schema";
import type { PlannedResource } from "../plan/snapshot";
import { estimateCost, type CostEstimate } from "./model";
import { loadPriceTable, type PriceTable } from "./price-table";

/**
 * The glue between a committed stack and the pure cost model: reads the
 * stack's `spive:cost` block, evaluates its offline plan and prices it.
 */

/** The cost settings of a raw (unparsed) stack config: its `spive:cost` block with defaults; a block that does not parse yields the defaults and the reason. */
export function costConfigOfRaw(raw: Record<string, unknown> | undefined): { config: CostConfig; problem?: string } {
  const parsed = CostConfig.safeParse(raw?.["spive:cost"] ?? {});
  if (parsed.success) return { config: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { config: CostConfig.parse({}), problem: `spive:cost.${issue.path.join(".")}: ${issue.message}` };
}

/** How to estimate a committed stack. */
export interface StackCostOptions {
  /** The folder of `Pulumi.<stack>.yaml` files (default: `stacks/`). */
  readonly stacksDir?: string;
  /** The price table (default: the committed `pricing/gcp.yaml`). */
  readonly table?: PriceTable;
  /** Replace the raw config before evaluation (tests). */
  readonly mutate?: (raw: Record<string, unknown>) => Record<string, unknown>;
}

/** Prices a plan snapshot's resources with a stack's cost settings. */
export function estimateResources(stack: string, resources: readonly PlannedResource[], config: CostConfig, table: PriceTable = loadPriceTable()): CostEstimate {
  return estimateCost(stack, resources, table, config.assumptions);
}

/** Evaluates a committed stack offline (as a preview) and estimates its monthly cost; also returns where its assumptions come from. */
export async function estimateStack(stack: string, opts: StackCostOptions = {}): Promise<{ estimate: CostEstimate; config: CostConfig; source: string }> {
  const dir = opts.stacksDir ?? STACKS_DIR;
  // Loaded on use: the program and Pulumi's runtime take seconds to load.
  const { evaluateStack } = await import("../plan/stack");
  const { snapshotOf } = await import("../plan/snapshot");
  const evaluation = await evaluateStack(stack, { stacksDir: dir, preview: true, mutate: opts.mutate });
  const snapshot = snapshotOf(stack, evaluation);
  const config = opts.mutate ? CostConfig.parse(opts.mutate(readStackFile(stackFilePath(stack, dir)))["spive:cost"] ?? {}) : loadStackConfig(stack, dir)["spive:cost"];
  const source = `${stackFilePath(stack, "stacks")} > spive:cost.assumptions${opts.mutate ? " (as changed)" : ""}`;
  return { estimate: estimateResources(stack, snapshot.resources, config, opts.table), config, source };
}
