import { Option, type Command } from "commander";
import { REPO_ROOT } from "../../config/load";
import { runBootstrap, type DriverEvent, type DriverResult } from "../../bootstrap/driver/driver";
import { BootstrapPhaseError, InterruptedError, UsageError } from "../../bootstrap/driver/errors";
import { parseCommand } from "../../bootstrap/driver/instance-process";
import { formatStatusTable, installationStatus, tunnelledStatus } from "../../bootstrap/driver/status";
import { HostError } from "../../bootstrap/driver/errors";
import { iapTunnels } from "../../bootstrap/driver/tunnels";
import { driverTimeouts, parseTimeoutOverride, resolveTarget, TARGETS } from "../../bootstrap/driver/target";
import { devDown, devUp, DEV_TARGETS, isDevTarget, type DevTarget } from "../../doubles/dev";
import { bootstrapInstanceMain } from "../../doubles/serve";
import { parsedBy, usageError } from "../usage";
import { bootstrapCommandGroup } from "./bootstrap";
import { RunId } from "../../bootstrap/contracts/lease-api";
import { RUN_ID_ENV } from "../../bootstrap/driver/trigger";

/**
 * `spive bootstrap run --target <prod0|dev-0|dev-0r>`: the bootstrap driver
 * (docs/bootstrap.md), the same code path for prod-0 (from `pulumi up`) and
 * the local doubles. Progress goes to stderr; a failure ends with exactly one
 * line `spive bootstrap run: bootstrap failed in phase <phase> …` and a
 * non-zero exit (130/143 after SIGINT/SIGTERM, 1 otherwise). A mistake in
 * the call (an unknown target, a malformed `--timeout`, prod0 without a
 * binding) is a usage error (exit 2, the usage line); a target that cannot be
 * resolved (a local double not running, an invalid stack config) ends with
 * `the bootstrap did not start, nothing was touched: …` (exit 1). Only the log
 * itself fails in phase validate.
 *
 * `spive bootstrap instance`: the SpiveProdBootstrap double the configured
 * command starts (the bootstrap instance API, docs/contracts.md).
 *
 * `spive bootstrap doubles up|down --target dev-0`: the local doubles that
 * dev-0/start.sh and dev-0/stop.sh manage.
 */

/** Renders driver events as progress lines on stderr (a live counter on a terminal). */
export function progressPrinter(write: (s: string) => void, tty: boolean): (e: DriverEvent) => void {
  let lastShown = -1;
  let lastAt = 0;
  let live = false;
  const endLive = () => {
    if (live) write("\n");
    live = false;
  };
  return (e) => {
    if (e.type === "instance") return;
    if (e.type === "detail") {
      endLive();
      write(`  ${e.message}\n`);
    } else if (e.type === "phase-start") {
      endLive();
      lastShown = -1;
      write(`bootstrap: ${e.phase} …\n`);
    } else if (e.type === "phase-end") {
      endLive();
      write(`bootstrap: ${e.phase} done in ${e.ms} ms${e.note ? ` (${e.note})` : ""}\n`);
    } else {
      const pct = e.lastPosition > 0 ? Math.floor((100 * e.position) / e.lastPosition) : 0;
      const what = `${e.rehearsal ? "dry-replay" : "wait"}: position ${e.position}/${e.lastPosition} (${pct} %)`;
      if (tty) {
        write(`\rbootstrap: ${what}`);
        live = true;
      } else if (pct >= lastShown + 10 || (Date.now() - lastAt > 5_000 && pct !== lastShown) || (e.position === e.lastPosition && pct !== lastShown)) {
        // Not a terminal: a line per 10 %, or every 5 s while it moves, and the end.
        write(`bootstrap: ${what}\n`);
        lastShown = pct;
        lastAt = Date.now();
      }
    }
  };
}

/** One line summing up a successful run. */
export function describeResult(target: string, r: DriverResult): string {
  const total = Object.values(r.phaseMs).reduce((a, b) => a + (b ?? 0), 0);
  return `bootstrap of ${target} done in ${(total / 1000).toFixed(1)} s: ${r.instances} instances running, log consumed to position ${r.lastPosition}, instance stopped ${r.stopDelayMs ?? "?"} ms after its last event; run ${r.runId}, log sha256 ${r.logSha256}.\n`;
}

interface RunOptions {
  target: string;
  log?: string;
  binding?: string;
  timeout?: string[];
  json?: boolean;
  up?: boolean;
  status?: boolean;
  reach?: string;
  leaseTtl?: string;
}

async function runAction(opts: RunOptions, cmd: Command): Promise<void> {
  const fail = (msg: string, code = 1) => {
    process.stderr.write(`spive bootstrap run: ${msg}\n`);
    process.exitCode = code;
  };
  if (opts.up) {
    try {
      if (!isDevTarget(opts.target)) throw new Error(`--up: expected a local target (${DEV_TARGETS.join(", ")}), got "${opts.target}".`);
      const { state, reused } = await devUp(opts.target, { onNote: (m) => process.stderr.write(`${m}\n`) });
      for (const p of state.processes) process.stderr.write(`${opts.target}: ${reused ? "reusing" : "started"} ${p.role} ${p.name} (pid ${p.pid}) on ${p.url}\n`);
    } catch (err) {
      fail(`could not start the local doubles, nothing was bootstrapped: ${(err as Error).message}`);
      return;
    }
  }
  let resolved;
  let timeouts;
  try {
    resolved = resolveTarget(opts.target, { logFile: opts.log, bindingFile: opts.binding });
    timeouts = driverTimeouts(resolved.config, opts.timeout);
    if (opts.reach !== undefined && opts.reach !== "iap" && opts.reach !== "direct") throw new UsageError(`--reach: expected iap or direct, got "${opts.reach}".`);
    if (opts.leaseTtl !== undefined && !(/^[0-9]+$/.test(opts.leaseTtl) && Number(opts.leaseTtl) >= 5 && Number(opts.leaseTtl) <= 600)) throw new UsageError(`--lease-ttl: expected whole seconds from 5 to 600, got "${opts.leaseTtl}".`);
    const runId = process.env[RUN_ID_ENV];
    if (runId && !RunId.safeParse(runId).success) throw new Error(`${RUN_ID_ENV}: expected a run id of letters, digits, ".", "_", ":" and "-" (at most 128), got ${JSON.stringify(runId.slice(0, 140))}.`);
  } catch (err) {
    if (err instanceof UsageError) usageError(cmd, err.message);
    fail(`the bootstrap did not start, nothing was touched: ${(err as Error).message}`);
    return;
  }
  // Only prod0 is behind IAP; the local doubles are on loopback.
  // A rehearsal (spive rehearse) binds prod0's run to local doubles: no tunnel.
  if (resolved.rehearsedOn) process.stderr.write(`bootstrap: rehearsal: the prod0 stack's binding was validated; running on the ${resolved.rehearsedOn} doubles instead (SPIVE_BOOTSTRAP_REHEARSE_ON).\n`);
  const tunnel = opts.target === "prod0" && !resolved.rehearsedOn && (opts.reach ?? resolved.config.reach) === "iap" ? iapTunnels() : undefined;
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    process.stderr.write(`\nbootstrap: ${sig} received, stopping the bootstrap instance …\n`);
    controller.abort(new InterruptedError(sig));
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    const result = await runBootstrap({
      logFile: resolved.logFile,
      zones: resolved.zones,
      zonesSource: resolved.zonesSource,
      binding: resolved.binding,
      timeouts,
      instanceCommand: parseCommand(resolved.config.command),
      cwd: REPO_ROOT,
      runId: process.env[RUN_ID_ENV] || undefined,
      leaseTtlSeconds: opts.leaseTtl !== undefined ? Number(opts.leaseTtl) : resolved.config.leaseTtlSeconds,
      tunnel,
      signal: controller.signal,
      report: progressPrinter((s) => process.stderr.write(s), Boolean(process.stderr.isTTY)),
    });
    process.stdout.write(opts.json ? `${JSON.stringify({ target: opts.target, ...result }, null, 2)}\n` : describeResult(opts.target, result));
  } catch (err) {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    const code = interrupted === "SIGINT" ? 130 : interrupted === "SIGTERM" ? 143 : 1;
    fail(err instanceof BootstrapPhaseError ? err.message : `bootstrap failed: ${(err as Error).message}`, code);
    return;
  }
  try {
    if (opts.status) {
      // The run's tunnels are closed by now: prod0 is asked through fresh
      // ones, which an interruption closes too.
      const status = tunnel ? await tunnelledStatus(resolved.binding, tunnel, { signal: controller.signal }) : await installationStatus(resolved.binding);
      process.stdout.write(`\n${formatStatusTable(status)}`);
    }
  } catch (err) {
    const where = err instanceof HostError ? `runner host ${err.host}: ` : "";
    const why = interrupted ? `interrupted by ${interrupted}` : `${where}${(err as Error).message}`;
    fail(`the bootstrap succeeded, but its status could not be read: ${why}`, interrupted === "SIGINT" ? 130 : interrupted === "SIGTERM" ? 143 : 1);
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}

/** Adds `bootstrap run`, `bootstrap instance` and `bootstrap doubles up|down` to the bootstrap group. */
export function register(program: Command): void {
  const group = bootstrapCommandGroup(program);
  group
    .command("run")
    .description("Run the bootstrap: validate → dry-replay → wipe → start → wait → stop → verify (docs/bootstrap.md).")
    .addOption(new Option("--target <target>", "what to bootstrap").choices(TARGETS).makeOptionMandatory())
    .option("--log <file>", "the bootstrap log (default: spive:bootstrap.log of the prod0 stack)")
    .option("--binding <file>", "prod0 only: the binding JSON instead of SPIVE_BOOTSTRAP_BINDING")
    .option("--timeout <phase=seconds>", "override a phase timeout, e.g. wait=1800 (repeatable; default: spive:bootstrap.timeouts)", parsedBy(repeatedTimeout))
    .option("--json", "print the result as JSON")
    .addOption(new Option("--reach <how>", "prod0 only: how to reach the runner hosts (default: spive:bootstrap.reach)").choices(["iap", "direct"]))
    .option("--up", "local targets: bring up the doubles first (or reuse the running ones)")
    .option("--status", "print the status table after a successful run")
    .option("--lease-ttl <seconds>", "time-to-live of the bootstrap lease on the runner hosts (default: spive:bootstrap.leaseTtlSeconds)")
    .action(runAction);
  group
    .command("instance")
    .description("Serve a SpiveProdBootstrap instance (the local double): consume the log into the binding (docs/contracts.md).")
    .requiredOption("--log <file>", "the bootstrap log")
    .requiredOption("--binding <file>", "the infrastructure binding (JSON)")
    .option("--listen <addr>", "loopback address", "127.0.0.1:0")
    .option("--check", "only check that this instance can serve the binding (exit 0) or say why not (exit 1)")
    .action(bootstrapInstanceMain);
  const doubles = group.command("doubles").description("The local doubles of prod-0 (dev-0: one runner host; dev-0r: one per zone).");
  const target = (t: string) => {
    if (!isDevTarget(t)) throw new Error(`--target: expected one of ${DEV_TARGETS.join(", ")}, got "${t}".`);
    return t;
  };
  doubles
    .command("up")
    .description("Start the doubles (or reuse the running ones).")
    .addOption(new Option("--target <target>", "the local target").choices(DEV_TARGETS).makeOptionMandatory())
    .action(async (o: { target: string }) => {
      try {
        const { state, reused } = await devUp(target(o.target), { onNote: (m) => process.stderr.write(`${m}\n`) });
        for (const p of state.processes) process.stderr.write(`${reused ? "reused" : "started"} ${p.role} ${p.name} (pid ${p.pid}) on ${p.url}\n`);
      } catch (err) {
        process.stderr.write(`spive bootstrap doubles up: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  doubles
    .command("down")
    .description("Stop every double of the target (default: every local target) and every instance they run.")
    .addOption(new Option("--target <target>", "the local target (default: every one)").choices(DEV_TARGETS))
    .action(async (o: { target?: string }) => {
      let targets: DevTarget[];
      try {
        targets = o.target ? [target(o.target)] : [...DEV_TARGETS];
      } catch (err) {
        process.stderr.write(`spive bootstrap doubles down: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      // Every target is stopped even when another one fails.
      for (const t of targets) {
        try {
          const { stopped, problems } = await devDown(t);
          for (const p of problems) process.stderr.write(`${t}: note: ${p}\n`);
          process.stderr.write(`${t}: stopped ${stopped} double(s) and the instances they ran.\n`);
        } catch (err) {
          process.stderr.write(`spive bootstrap doubles down: ${t}: ${(err as Error).message}\n`);
          process.exitCode = 1;
        }
      }
    });
}

/** The `--timeout` option's parser: checks each `phase=seconds` as it is given, and collects them. */
function repeatedTimeout(value: string, previous: string[] | undefined): string[] {
  try {
    parseTimeoutOverride(value);
  } catch (err) {
    // Commander names the option and the value already.
    throw new Error((err as Error).message.replace(/^--timeout: /, "").replace(/, got "[^"]*"\.$/, "."));
  }
  return [...(previous ?? []), value];
}
