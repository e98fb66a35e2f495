import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { CHECKS, DEFAULT_BOUNDS, formatResults, runConformance } from "../../bootstrap/conformance/suite";
import { parseCommand } from "../../bootstrap/driver/instance-process";
import { REPO_ROOT } from "../../config/load";
import { bootstrapCommandGroup } from "./bootstrap";

/**
 * `spive bootstrap conformance --command "<cmd …>"`: the bootstrap instance
 * contract's conformance kit (docs/bootstrap.md, "Conformance kit") against
 * any SpiveProdBootstrap implementation, on fresh local doubles. Prints one
 * line per check; exits 0 when every check passes, 1 otherwise.
 */

function seconds(value: string): number {
  const n = Number(value);
  if (!(n > 0) || n > 3600) throw new InvalidArgumentError(`expected seconds between 0 and 3600, got "${value}".`);
  return n;
}

/** Adds `spive bootstrap conformance`. */
export function register(program: Command): void {
  bootstrapCommandGroup(program)
    .command("conformance")
    .description(`Run the bootstrap instance contract's conformance kit (${CHECKS.length} checks) against an implementation on local doubles. Exits 0 when it conforms, 1 otherwise.`)
    .requiredOption("--command <cmd>", 'the implementation\'s command words, e.g. "node --require tsx/cjs doubles/bin/serve.ts bootstrap-instance" (no shell; the kit adds --log, --binding, --listen and --check)')
    .option("--stop-seconds <s>", "the bound between SIGTERM and exit", seconds, DEFAULT_BOUNDS.stopMs / 1000)
    .option("--json", "print the results as JSON on stdout")
    .action(async (opts: { command: string; stopSeconds: number; json?: boolean }) => {
      const command = parseCommand(opts.command);
      if (!opts.json) process.stderr.write(`conformance: ${CHECKS.length} checks of the bootstrap instance contract against ${opts.command}\n`);
      const results = await runConformance({
        command,
        cwd: REPO_ROOT,
        bounds: { stopMs: opts.stopSeconds * 1000 },
        report: opts.json ? undefined : (r) => process.stderr.write(`${formatResults([r])[0]}\n`),
      });
      const failed = results.filter((r) => !r.ok);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, results }, null, 2)}\n`);
      else process.stdout.write(failed.length === 0 ? `conformance: ${opts.command} conforms (${results.length}/${results.length} checks passed).\n` : `conformance: ${opts.command} does not conform: ${failed.length} of ${results.length} checks failed (${failed.map((f) => f.name).join(", ")}).\n`);
      process.exitCode = failed.length === 0 ? 0 : 1;
    });
}
