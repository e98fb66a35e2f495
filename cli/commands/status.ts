import { Option, type Command } from "commander";
import { HostError, UsageError } from "../../bootstrap/driver/errors";
import { bootstrapInDoubt, describeLastBootstrap, formatStatusTable, installationStatus, tunnelledStatus } from "../../bootstrap/driver/status";
import { resolveTarget, TARGETS } from "../../bootstrap/driver/target";
import { iapTunnels } from "../../bootstrap/driver/tunnels";
import { usageError } from "../usage";

/**
 * `spive status --target dev-0 [--json]`: every instance of the installation
 * with its runner host, process, zone, state, pid and start time, asked of
 * every runner host through the runner API. prod0's hosts are reached through
 * one IAP tunnel each (`spive:bootstrap.reach: iap`, or `--reach`), closed
 * before the command returns. Exit code 1 when a host does not answer (it is
 * listed as unreachable) or a tunnel does not open; 2 (a usage error) for an
 * unknown target or prod0 without a binding.
 */
export function register(program: Command): void {
  program
    .command("status")
    .description("Show what an installation runs: every instance with its runner host, process, zone, state, pid and start time.")
    .addOption(new Option("--target <target>", "the installation").choices(TARGETS).makeOptionMandatory())
    .option("--binding <file>", "prod0 only: the binding JSON instead of SPIVE_BOOTSTRAP_BINDING")
    .addOption(new Option("--reach <how>", "prod0 only: iap (a tunnel per runner host) or direct (inside the VPC); default: the stack's spive:bootstrap.reach").choices(["iap", "direct"]))
    .option("--json", "print JSON instead of a table")
    .action(async (opts: { target: string; binding?: string; reach?: string; json?: boolean }, cmd: Command) => {
      let resolved;
      try {
        resolved = resolveTarget(opts.target, { bindingFile: opts.binding });
      } catch (err) {
        if (err instanceof UsageError) usageError(cmd, err.message);
        process.stderr.write(`spive status: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      try {
        const { binding, config } = resolved;
        const viaIap = opts.target === "prod0" && (opts.reach ?? config.reach) === "iap";
        const status = viaIap ? await withInterruption((signal) => tunnelledStatus(binding, iapTunnels(), { signal })) : await installationStatus(binding);
        process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatusTable(status));
        if (status.hosts.some((h) => !h.reachable)) process.exitCode = 1;
        // A bootstrap that did not finish (or failed after its wipe) leaves the installation in doubt.
        if (bootstrapInDoubt(status.lastBootstrap)) {
          if (opts.json) process.stderr.write(`spive status: ${describeLastBootstrap(status.lastBootstrap)}\n`);
          process.exitCode = 1;
        }
      } catch (err) {
        if (err instanceof Interrupted) {
          process.stderr.write(`spive status: interrupted by ${err.signal}; every tunnel is closed\n`);
          process.exitCode = err.signal === "SIGINT" ? 130 : 143;
          return;
        }
        const where = err instanceof HostError ? `runner host ${err.host}: ` : "";
        process.stderr.write(`spive status: ${where}${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/**
 * Runs `work` with SIGINT and SIGTERM turned into an abort of its signal, so
 * an interrupted command still closes what it opened (the IAP tunnels) before
 * it exits; rejects with Interrupted when that happened.
 */
async function withInterruption<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals) => () => {
    received ??= sig;
    controller.abort(new Interrupted(sig));
  };
  const onInt = on("SIGINT");
  const onTerm = on("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const value = await work(controller.signal);
    if (received) throw new Interrupted(received);
    return value;
  } catch (err) {
    throw received ? new Interrupted(received) : err;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
