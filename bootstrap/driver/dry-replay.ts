import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EventStoreDouble } from "../../doubles/event-store";
import { RunnerHostDouble } from "../../doubles/runner-host";
import type { Binding } from "../contracts/binding";
import type { ReplayReport } from "./driver";
import type { PhaseContext } from "./phase";

/**
 * The dry replay: before prod-0 is touched, the log is replayed into
 * ephemeral local doubles (one runner host per zone and a fresh event store
 * in a temporary folder, all on loopback, inside the driver's process) by the
 * same instance command, and must converge: every CreateInstance ends as a
 * running instance on its zone's host. The doubles are torn down afterwards,
 * whatever happened.
 */

/**
 * Runs `rehearse` against fresh doubles serving `zones` and tears them down.
 * Resolves with the rehearsal's report; rejects with why it did not converge.
 */
export async function dryReplayIn(zones: readonly string[], rehearse: (binding: Binding, ctx: PhaseContext) => Promise<ReplayReport>, ctx: PhaseContext): Promise<ReplayReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-dry-replay-"));
  const hosts = zones.map((zone) => new RunnerHostDouble({ name: `dry-replay-${zone}`, zones: [zone], stopGraceMs: 1_000 }));
  const store = new EventStoreDouble(path.join(dir, "event-store"));
  try {
    const urls = await Promise.all(hosts.map((h) => h.start()));
    const storeUrl = await store.start();
    const binding: Binding = {
      target: "dry-replay",
      runnerHosts: hosts.map((_, i) => ({ name: `dry-replay-${zones[i]}`, zones: [zones[i]!], url: urls[i]! })),
      eventStore: { kind: "local", url: storeUrl },
      gateways: {},
    };
    return await rehearse(binding, ctx);
  } finally {
    await Promise.allSettled([...hosts.map((h) => h.close()), store.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
