import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Binding } from "../bootstrap/contracts/binding";
import { runBootstrap, type DriverEvent, type DriverOptions, type DriverResult } from "../bootstrap/driver/driver";
import { BootstrapPhaseError } from "../bootstrap/driver/errors";
import { parseCommand } from "../bootstrap/driver/instance-process";
import { installationStatus, type InstallationStatus } from "../bootstrap/driver/status";
import { driverTimeouts, resolveTarget } from "../bootstrap/driver/target";
import type { TunnelOpener } from "../bootstrap/driver/tunnels";
import { REPO_ROOT } from "../config/load";
import { devBinding, devDown, devUp, readDevState, type DevTarget } from "../doubles/dev";
import { generateLog } from "../doubles/generate-log";
import { isAlive } from "../doubles/launch";

/**
 * The end-to-end harness of the bootstrap tests: local doubles as real
 * processes on loopback in a temporary state folder, generated logs, and
 * runs of the very driver `spive bootstrap run` uses (same target
 * resolution, same configured instance command).
 */

/** Phase timeouts for tests: short enough that a broken run fails fast, long enough for 2 busy cores. */
export const TEST_TIMEOUTS = ["validate=20", "lease=20", "dry-replay=45", "preflight=20", "wipe=15", "start=25", "wait=30", "stop=10", "verify=15"];

/** The zones of the prod0 stack. */
export const ZONES = ["europe-west1-b", "europe-west1-c"];

/** The outcome of one run. */
export type RunOutcome =
  | { readonly ok: true; readonly result: DriverResult; readonly pids: number[]; readonly ms: number }
  | { readonly ok: false; readonly error: BootstrapPhaseError; readonly pids: number[]; readonly ms: number };

/** A temporary state folder with its doubles. */
export class Harness {
  /** The state folder (SPIVE_STATE_DIR of the runs). */
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "spive-bootstrap-test-"));

  /** Writes a generated log of `instances` instances; returns its path. */
  log(name: string, instances: number, idPrefix?: string): string {
    const file = path.join(this.root, `${name}.jsonl`);
    fs.writeFileSync(file, generateLog({ instances, zones: ZONES, idPrefix }));
    return file;
  }

  /** Brings up a local target (fresh unless already up). */
  async up(target: DevTarget, runnerArgs?: Record<string, string[]>): Promise<void> {
    await devUp(target, { root: this.root, zones: ZONES, runnerArgs });
  }

  /** Stops a local target. */
  async down(target: DevTarget): Promise<void> {
    await devDown(target, this.root);
  }

  /** The pids of a target's doubles, by name. */
  pids(target: DevTarget): Record<string, number> {
    return Object.fromEntries((readDevState(target, this.root)?.processes ?? []).map((p) => [p.name, p.pid]));
  }

  /** What the target's runner hosts run. */
  status(target: DevTarget): Promise<InstallationStatus> {
    return installationStatus(devBinding(target, this.root));
  }

  /** Runs the bootstrap driver against `target`; never rejects. */
  async run(
    target: DevTarget,
    logFile: string,
    opts: { env?: NodeJS.ProcessEnv; timeouts?: string[]; signal?: AbortSignal; binding?: Binding; tunnel?: TunnelOpener; runId?: string; leaseTtlSeconds?: number; report?: (e: DriverEvent) => void; runnerClient?: DriverOptions["runnerClient"]; tempRoot?: string } = {},
  ): Promise<RunOutcome> {
    const pids: number[] = [];
    const t0 = Date.now();
    const resolved = resolveTarget(target, { logFile, env: { SPIVE_STATE_DIR: this.root } });
    try {
      const result = await runBootstrap({
        logFile: resolved.logFile,
        zones: resolved.zones,
        zonesSource: resolved.zonesSource,
        binding: opts.binding ?? resolved.binding,
        tunnel: opts.tunnel,
        timeouts: driverTimeouts(resolved.config, [...TEST_TIMEOUTS, ...(opts.timeouts ?? [])]),
        instanceCommand: parseCommand(resolved.config.command),
        cwd: REPO_ROOT,
        env: { ...process.env, ...opts.env },
        signal: opts.signal,
        runId: opts.runId,
        runnerClient: opts.runnerClient,
        tempRoot: opts.tempRoot,
        leaseTtlSeconds: opts.leaseTtlSeconds,
        report: (e) => {
          if (e.type === "instance" && e.pid !== undefined) pids.push(e.pid);
          opts.report?.(e);
        },
      });
      return { ok: true, result, pids, ms: Date.now() - t0 };
    } catch (err) {
      if (!(err instanceof BootstrapPhaseError)) throw err;
      return { ok: false, error: err, pids, ms: Date.now() - t0 };
    }
  }

  /** Stops every target and removes the folder. */
  async dispose(): Promise<void> {
    await devDown("dev-0", this.root);
    await devDown("dev-0r", this.root);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** The pids among `pids` that are still alive (a left-behind bootstrap process). */
export function alive(pids: readonly number[]): number[] {
  return pids.filter(isAlive);
}

/** The instance ids of a status, sorted. */
export function ids(s: InstallationStatus): string[] {
  return s.instances.map((i) => i.id).sort();
}
