import type { Command } from "commander";
import * as path from "node:path";
import { KNOWN_STACKS } from "../../layers/registry";
import type { QuotaReport } from "../../plan/quota";

/**
 * `spive quota <stack> [--json] [--quotas FILE] [--stacks-dir DIR]`: the
 * quota preflight. Evaluates the stack offline, computes what its plan needs
 * at its peak per region, zone and project (vCPUs by machine family with
 * surge and autoscaler maximums, SSD/PD GB, in-use IPs, GKE clusters, Cloud
 * Routers, Bigtable nodes), compares each need with the committed figures of
 * `stacks/quotas.yaml` (its defaults where the project commits none), and
 * prints what to request. Exit 1 when a need exceeds a quota; exit 2, with
 * one sentence on stderr, when the stack or the quotas file cannot be read.
 */
export function register(program: Command): void {
  program
    .command("quota")
    .description("Quota preflight: what a stack needs per region and project against stacks/quotas.yaml; exit 1 when a need exceeds a quota.")
    .argument("<stack>", `one of ${KNOWN_STACKS.join(", ")}`)
    .option("--json", "print the report as JSON")
    .option("--quotas <file>", "the committed quota figures", "stacks/quotas.yaml")
    .option("--stacks-dir <dir>", "read Pulumi.<stack>.yaml files from this folder instead of stacks/")
    .action(async (stack: string, opts: { json?: boolean; quotas: string; stacksDir?: string }) => {
      let report: QuotaReport;
      let format: (r: QuotaReport) => string;
      try {
        if (!KNOWN_STACKS.includes(stack)) {
          throw new Error(`expected a stack name, one of ${KNOWN_STACKS.join(", ")}; got ${JSON.stringify(stack)}.`);
        }
        const { REPO_ROOT } = await import("../../config/load");
        const quotaMod = await import("../../plan/quota");
        format = quotaMod.formatQuotaReport;
        const quotasFile = path.isAbsolute(opts.quotas) ? opts.quotas : path.resolve(opts.quotas === "stacks/quotas.yaml" ? REPO_ROOT : process.cwd(), opts.quotas);
        const quotas = quotaMod.loadQuotas(quotasFile);
        const stacksDir = opts.stacksDir === undefined ? undefined : path.resolve(opts.stacksDir);
        // Loaded on use: the program and Pulumi's runtime take seconds to load.
        const { evaluateStack } = await import("../../plan/stack");
        const evaluation = await evaluateStack(stack, { stacksDir });
        const project = String(evaluation.resources.find((r) => typeof r.inputs.project === "string" && r.type.startsWith("gcp:projects/service"))?.inputs.project
          ?? evaluation.resources.find((r) => typeof r.inputs.project === "string")?.inputs.project ?? "unknown");
        report = quotaMod.quotaReport(stack, project, evaluation.resources, quotas);
      } catch (err) {
        process.stderr.write(`spive quota: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : format(report));
      if (report.requests.length > 0) process.exitCode = 1;
    });
}
