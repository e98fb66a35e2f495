import { fromRecorded, RULES, runRules, type RecordedLike, type Violation } from "./registry";
import type { Rule } from "./model";

/**
 * The offline policy report behind `spive policy <stack>`: the pack's rules
 * run over the resources the mock engine records for a stack, and its text
 * rendering. Pure: evaluation is the caller's.
 */

/** What `spive policy <stack>` reports. */
export interface PolicyReport {
  /** The stack judged. */
  readonly stack: string;
  /** How many rules ran. */
  readonly rulesChecked: number;
  /** How many resources they judged. */
  readonly resourcesChecked: number;
  /** Every violation. */
  readonly violations: Violation[];
}

/** Runs the pack over a stack's recorded resources. */
export function policyReport(stack: string, recorded: readonly RecordedLike[], rules: readonly Rule[] = RULES): PolicyReport {
  const run = runRules(fromRecorded(recorded), rules);
  return { stack, rulesChecked: run.rulesChecked, resourcesChecked: run.resourcesChecked, violations: run.violations };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Renders a report: one summary line; with violations, then each violated
 * rule (id and control) followed by its violations, one sentence each.
 */
export function formatPolicyReport(report: PolicyReport): string {
  const checked = `${plural(report.rulesChecked, "rule")} checked against ${plural(report.resourcesChecked, "resource")}`;
  if (report.violations.length === 0) return `spive policy ${report.stack}: ${checked}: no violations.\n`;
  const byRule = new Map<string, Violation[]>();
  for (const v of report.violations) byRule.set(v.ruleId, [...(byRule.get(v.ruleId) ?? []), v]);
  const lines = [`spive policy ${report.stack}: ${plural(report.violations.length, "violation")} of ${plural(byRule.size, "rule")} (${checked}):`];
  for (const [id, vs] of byRule) {
    lines.push(`  ${id} [${vs[0]!.control}]`);
    for (const v of vs) lines.push(`    ${v.message}`);
  }
  return `${lines.join("\n")}\n`;
}
