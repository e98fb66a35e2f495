import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PlanSnapshot, snapshotOf } from "./snapshot";
import type { Evaluation } from "./recorder";

/**
 * The child process of `spive diff`: evaluates stacks of one source tree (the
 * working tree, or a base revision exported to a temporary folder) with that
 * tree's own program and offline evaluator (`<root>/plan/stack.ts`), and
 * writes their plan snapshots, taken by this code, to a JSON file. Running
 * each side in its own process keeps the Pulumi runtime's process-wide state
 * apart, and taking both snapshots with the same code means a change to the
 * snapshot format never shows up as a diff.
 *
 * Usage: `node -r tsx/cjs plan/plan-child.ts --root <dir> --out <file> <stack>...`
 */

/** What the child found for one stack. */
export const ChildStackResult = z.discriminatedUnion("status", [
  z.strictObject({ stack: z.string(), status: z.literal("ok"), snapshot: PlanSnapshot }),
  z.strictObject({ stack: z.string(), status: z.literal("absent"), reason: z.string() }),
  z.strictObject({ stack: z.string(), status: z.literal("failed"), error: z.string() }),
]);

/** What the child found for one stack. */
export type ChildStackResult = z.infer<typeof ChildStackResult>;

/** The child's whole output: one result per requested stack, in order. */
export const ChildOutput = z.strictObject({ results: z.array(ChildStackResult) });

/** The child's whole output. */
export type ChildOutput = z.infer<typeof ChildOutput>;

type EvaluateStack = (stack: string, opts?: { preview?: boolean }) => Promise<Pick<Evaluation, "resources">>;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Evaluates `stacks` of the tree at `root`, one at a time, as previews (so no
 * program takes a deployment-only path). A stack without a committed config
 * at that revision is absent; a program that throws, or a tree without the
 * offline evaluator, is failed with the reason. Never throws for a single stack.
 */
export async function planTree(root: string, stacks: readonly string[]): Promise<ChildStackResult[]> {
  const evaluator = path.join(root, "plan", "stack.ts");
  if (!fs.existsSync(evaluator)) {
    return stacks.map((stack) => ({ stack, status: "failed", error: "this revision has no offline evaluator (plan/stack.ts)" }));
  }
  let evaluateStack: EvaluateStack;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    evaluateStack = (require(evaluator) as { evaluateStack: EvaluateStack }).evaluateStack;
    if (typeof evaluateStack !== "function") throw new Error("plan/stack.ts does not export evaluateStack");
  } catch (err) {
    const error = `loading plan/stack.ts failed: ${messageOf(err)}`;
    return stacks.map((stack) => ({ stack, status: "failed", error }));
  }
  const results: ChildStackResult[] = [];
  let stray: unknown;
  const onStray = (err: unknown): void => {
    stray ??= err;
  };
  process.on("unhandledRejection", onStray);
  try {
    for (const stack of stacks) {
      if (!fs.existsSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`))) {
        results.push({ stack, status: "absent", reason: `this revision has no stacks/Pulumi.${stack}.yaml` });
        continue;
      }
      stray = undefined;
      try {
        const evaluation = await evaluateStack(stack, { preview: true });
        if (stray !== undefined) throw stray;
        results.push({ stack, status: "ok", snapshot: snapshotOf(stack, evaluation) });
      } catch (err) {
        results.push({ stack, status: "failed", error: messageOf(err) });
      }
    }
  } finally {
    process.off("unhandledRejection", onStray);
  }
  return results;
}

function parseArgs(argv: readonly string[]): { root: string; out: string; stacks: string[] } {
  let root: string | undefined;
  let out: string | undefined;
  const stacks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--root") root = argv[++i];
    else if (a === "--out") out = argv[++i];
    else stacks.push(a);
  }
  if (!root || !out || stacks.length === 0) {
    throw new Error(`plan-child: expected --root <dir> --out <file> <stack>..., got ${JSON.stringify(argv)}.`);
  }
  return { root: path.resolve(root), out: path.resolve(out), stacks };
}

async function main(): Promise<void> {
  const { root, out, stacks } = parseArgs(process.argv.slice(2));
  const results = await planTree(root, stacks);
  fs.writeFileSync(out, JSON.stringify({ results } satisfies ChildOutput));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${messageOf(err)}\n`);
      process.exit(1);
    },
  );
}
