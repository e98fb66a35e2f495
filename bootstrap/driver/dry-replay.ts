import * as fs from "node:fs";
import * as path from "node:path";
import { EventStoreDouble } from "../../doubles/event-store";
import { launchDouble, stopGroup, type LaunchedDouble } from "../../doubles/launch";
import { RunnerHostDouble } from "../../doubles/runner-host";
import { EXIT_WITH_PARENT_ENV } from "../../doubles/serve";
import { tokenAuthenticator, writeInstallationToken } from "../contracts/auth";
import type { Binding } from "../contracts/binding";
import type { ReplayReport } from "./driver";
import type { PhaseContext } from "./phase";
import { makeOwnedTempDir } from "./temp-dirs";

/**
 * The dry replay: before prod-0 is touched, the log is replayed into
 * ephemeral local doubles (one runner host per zone and a fresh event store
 * in a temporary folder, all on loopback) by the
 * same instance command, and must converge: every CreateInstance ends as a
 * running instance on its zone's host. The doubles are torn down afterwards,
 * whatever happened.
 */

/**
 * Logs with more instances than this are rehearsed on doubles in their own
 * processes (one per zone, in parallel on separate cores) rather than in the
 * driver's process: spawning a thousand instance processes from the driver's
 * one event loop is the slowest part of a large rehearsal.
 */
export const IN_PROCESS_MAX_INSTANCES = 100;

/** Doubles of a rehearsal, wherever they run. */
interface RehearsalDoubles {
  readonly binding: Binding;
  close(): Promise<void>;
}

async function inProcessDoubles(zones: readonly string[], dir: string): Promise<RehearsalDoubles> {
  // The rehearsal's doubles authenticate like any installation's, with a token of their own.
  const token = writeInstallationToken(dir);
  const auth = tokenAuthenticator(token.token);
  // Inside the driver's process: their instances must die with the driver, even after SIGKILL.
  const hosts = zones.map((zone) => new RunnerHostDouble({ name: `dry-replay-${zone}`, zones: [zone], stopGraceMs: 1_000, instancesDieWithProcess: true, auth }));
  const store = new EventStoreDouble(path.join(dir, "event-store"), auth);
  const close = async () => {
    await Promise.allSettled([...hosts.map((h) => h.close()), store.close()]);
  };
  try {
    const urls = await Promise.all(hosts.map((h) => h.start()));
    const storeUrl = await store.start();
    return {
      binding: { target: "dry-replay", runnerHosts: zones.map((z, i) => ({ name: `dry-replay-${z}`, zones: [z], url: urls[i]! })), eventStore: { kind: "local", url: storeUrl }, gateways: {}, auth: { kind: "token-file", file: token.file } },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function processDoubles(zones: readonly string[], dir: string): Promise<RehearsalDoubles> {
  const launched: LaunchedDouble[] = [];
  const token = writeInstallationToken(dir);
  // The rehearsal's doubles die with the driver, even a driver killed with SIGKILL.
  const tied = { env: { [EXIT_WITH_PARENT_ENV]: String(process.pid) } };
  const close = async () => {
    await Promise.all(launched.map((d) => stopGroup(d.pid)));
  };
  try {
    // allSettled: every double that did start is recorded (and closed) even when another failed.
    const settled = await Promise.allSettled([
      launchDouble("event-store", ["--dir", path.join(dir, "event-store"), "--token-file", token.file], tied).then((d) => (launched.push(d), d)),
      ...zones.map((z) => launchDouble("runner-host", ["--name", `dry-replay-${z}`, "--zones", z, "--stop-grace-ms", "1000", "--token-file", token.file], tied).then((d) => (launched.push(d), d))),
    ]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const [store, ...hosts] = settled.map((r) => (r as PromiseFulfilledResult<LaunchedDouble>).value);
    return {
      binding: { target: "dry-replay", runnerHosts: zones.map((z, i) => ({ name: `dry-replay-${z}`, zones: [z], url: hosts[i]!.url })), eventStore: { kind: "local", url: store!.url }, gateways: {}, auth: { kind: "token-file", file: token.file } },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Runs `rehearse` against fresh doubles serving `zones` (in the driver's
 * process, or in their own processes when `instances` exceeds
 * IN_PROCESS_MAX_INSTANCES) and tears them down, whatever happened.
 * Resolves with the rehearsal's report; rejects with why it did not converge.
 */
export async function dryReplayIn(zones: readonly string[], instances: number, rehearse: (binding: Binding, ctx: PhaseContext) => Promise<ReplayReport>, ctx: PhaseContext, tempRoot?: string): Promise<ReplayReport> {
  const dir = makeOwnedTempDir("spive-dry-replay-", tempRoot);
  try {
    const doubles = await (instances > IN_PROCESS_MAX_INSTANCES ? processDoubles : inProcessDoubles)(zones, dir);
    try {
      return await rehearse(doubles.binding, ctx);
    } finally {
      await doubles.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
