import type { Command } from "commander";
import { formatStatusTable, installationStatus } from "../../bootstrap/driver/status";
import { resolveTarget, TARGETS } from "../../bootstrap/driver/target";

/**
 * `spive status --target dev-0 [--json]`: every instance of the installation
 * with its runner host, process, zone, state, pid and start time, asked of
 * every runner host through the runner API. Exit code 1 when a host does not
 * answer (it is listed as unreachable).
 */
export function register(program: Command): void {
  program
    .command("status")
    .description("Show what an installation runs: every instance with its runner host, process, zone, state, pid and start time.")
    .requiredOption("--target <target>", `the installation: ${TARGETS.join(", ")}`)
    .option("--binding <file>", "prod0 only: the binding JSON instead of SPIVE_BOOTSTRAP_BINDING")
    .option("--json", "print JSON instead of a table")
    .action(async (opts: { target: string; binding?: string; json?: boolean }) => {
      try {
        const { binding } = resolveTarget(opts.target, { bindingFile: opts.binding });
        const status = await installationStatus(binding);
        process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status));
        if (status.hosts.some((h) => !h.reachable)) process.exitCode = 1;
      } catch (err) {
        process.stderr.write(`spive status: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
