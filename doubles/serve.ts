import { Command } from "commander";
import * as fs from "node:fs";
import { readTokenFile, tokenAuthenticator } from "../bootstrap/contracts/auth";
import { parseBinding, type Binding } from "../bootstrap/contracts/binding";
import { LEASE_ENV } from "../bootstrap/contracts/lease-api";
import { LOG_SHA256_ENV } from "../bootstrap/driver/pin";
import { BootstrapInstanceDouble, INSTANCE_FAULT_ENV, instanceFaultFor } from "./bootstrap-instance";
import { EventStoreDouble } from "./event-store";
import { parseListen } from "./http-server";
import { writePidFile } from "./pid-file";
import { RunnerHostDouble } from "./runner-host";

/**
 * The standalone entry points of the local doubles, one process each:
 * `runner-host`, `event-store` and `bootstrap-instance`. Each prints one
 * line `SPIVE_<ROLE>_LISTENING <url>` on stdout once it serves, and exits on
 * SIGTERM or SIGINT after stopping what it started. Run through
 * `doubles/bin/serve.ts` (dev-0, tests) or `spive bootstrap instance`.
 */

/** The stdout line prefix of a double that listens: `SPIVE_RUNNER_HOST_LISTENING <url>` etc. */
export function listeningPrefix(role: "runner-host" | "event-store" | "bootstrap-instance"): string {
  return `SPIVE_${role.toUpperCase().replace(/-/g, "_")}_LISTENING `;
}

function onTerminate(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    const hardStop = setTimeout(() => process.exit(1), 10_000);
    hardStop.unref();
    void stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  // An ephemeral double (the dry replay's) must not outlive the driver that
  // launched it, even when the driver is killed with SIGKILL and cannot stop
  // it: once it is re-parented, it stops what it runs and exits.
  const parent = Number(process.env[EXIT_WITH_PARENT_ENV]);
  if (parent > 0) {
    const check = () => {
      if (process.ppid !== parent) handler();
    };
    check();
    setInterval(check, 250).unref();
  }
}

/** Set to the launching process's pid in a double's environment to make it stop and exit once that process is gone. */
export const EXIT_WITH_PARENT_ENV = "SPIVE_EXIT_WITH_PARENT";

/** Runs the runner host double until SIGTERM. */
export async function runnerHostMain(opts: { name: string; zones: string; listen: string; tokenFile: string; refuse?: string; dieOnWipe?: boolean; wipeDelayMs?: string; stopGraceMs?: string; pidFile?: string }): Promise<void> {
  const { host, port } = parseListen(opts.listen);
  const zones = opts.zones.split(",").map((z) => z.trim()).filter(Boolean);
  if (zones.length === 0) throw new Error(`--zones: expected a comma-separated list of zones, got "${opts.zones}".`);
  const double: RunnerHostDouble = new RunnerHostDouble({
    name: opts.name,
    zones,
    host,
    port,
    // Its instances die with it, even when it is killed with SIGKILL alone (not its process group).
    instancesDieWithProcess: true,
    stopGraceMs: opts.stopGraceMs ? Number(opts.stopGraceMs) : undefined,
    faults: {
      refuse: opts.refuse ? opts.refuse.split(",") : undefined,
      dieOnWipe: opts.dieOnWipe,
      wipeDelayMs: opts.wipeDelayMs ? Number(opts.wipeDelayMs) : undefined,
    },
    die: () => {
      void double.killAllNow().finally(() => process.exit(137));
    },
    auth: tokenAuthenticator(readTokenFile(opts.tokenFile)),
  });
  onTerminate(() => double.close());
  // Recorded before it serves, so whoever stops the target finds it.
  if (opts.pidFile) writePidFile(opts.pidFile, "runner-host", opts.name);
  const url = await double.start();
  process.stdout.write(`${listeningPrefix("runner-host")}${url}\n`);
}

/** Runs the event store double until SIGTERM. */
export async function eventStoreMain(opts: { dir: string; listen: string; tokenFile: string; pidFile?: string }): Promise<void> {
  const { port } = parseListen(opts.listen);
  const store = new EventStoreDouble(opts.dir, tokenAuthenticator(readTokenFile(opts.tokenFile)), port);
  onTerminate(() => store.close());
  if (opts.pidFile) writePidFile(opts.pidFile, "event-store", "event-store");
  const url = await store.start();
  process.stdout.write(`${listeningPrefix("event-store")}${url}\n`);
}

/** Runs the SpiveProdBootstrap double until SIGTERM (it never exits by itself, except for an injected crash). */
export async function bootstrapInstanceMain(opts: { log: string; binding: string; listen: string; check?: boolean }): Promise<void> {
  const listen = parseListen(opts.listen);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(opts.binding, "utf8"));
  } catch (err) {
    throw new Error(`--binding ${opts.binding}: expected a readable JSON file, got ${(err as Error).message}.`);
  }
  const binding = parseBinding(raw, opts.binding);
  const unsupported = bindingProblem(binding);
  if (opts.check) {
    // The preflight (docs/contracts.md): can this instance serve the binding? Nothing is contacted.
    if (unsupported) {
      process.stderr.write(`${unsupported}\n`);
      process.exitCode = 1;
    }
    return;
  }
  const fault = instanceFaultFor(process.env[INSTANCE_FAULT_ENV], binding.target);
  const instance = new BootstrapInstanceDouble({
    logFile: opts.log,
    binding,
    listen,
    fault,
    crash: () => process.exit(70),
    print: (line) => process.stdout.write(`${line}\n`),
    lease: process.env[LEASE_ENV] || undefined,
    logSha256: process.env[LOG_SHA256_ENV] || undefined,
  });
  onTerminate(() => instance.close());
  await instance.start();
}

/** Why the SpiveProdBootstrap double cannot serve a binding, or undefined when it can. */
export function bindingProblem(binding: Binding): string | undefined {
  if (binding.eventStore.kind !== "local") {
    return `This SpiveProdBootstrap double writes streams only to a local event store; the binding gives a ${binding.eventStore.kind} store. Set spive:bootstrap.command to the real SpiveProdBootstrap entry point.`;
  }
  return undefined;
}

/** Adds the three double commands to `program`. */
export function addServeCommands(program: Command): void {
  program
    .command("runner-host")
    .description("A basic runner host double.")
    .requiredOption("--name <name>", "the host's stable name")
    .requiredOption("--zones <zones>", "comma-separated zones it serves")
    .option("--listen <addr>", "loopback address", "127.0.0.1:0")
    .requiredOption("--token-file <file>", "the installation's API token (mode 0600): PUT and DELETE need it")
    .option("--refuse <ids>", "fault: refuse these instance ids (comma-separated, * for all)")
    .option("--die-on-wipe", "fault: die in the middle of a wipe")
    .option("--wipe-delay-ms <ms>", "fault: a slow wipe")
    .option("--stop-grace-ms <ms>", "SIGTERM to SIGKILL grace for instances")
    .option("--pid-file <file>", "write its pid and process group there before it serves")
    .action(runnerHostMain);
  program
    .command("event-store")
    .description("The durable local event store double.")
    .requiredOption("--dir <dir>", "where the streams are kept")
    .option("--pid-file <file>", "write its pid and process group there before it serves")
    .option("--listen <addr>", "loopback address", "127.0.0.1:0")
    .requiredOption("--token-file <file>", "the installation's API token (mode 0600): PUT needs it")
    .action(eventStoreMain);
  program
    .command("bootstrap-instance")
    .description("The SpiveProdBootstrap double.")
    .requiredOption("--log <file>", "the bootstrap log")
    .requiredOption("--binding <file>", "the infrastructure binding (JSON)")
    .option("--listen <addr>", "loopback address", "127.0.0.1:0")
    .option("--check", "only check that this instance can serve the binding (exit 0) or say why not (exit 1)")
    .action(bootstrapInstanceMain);
}
