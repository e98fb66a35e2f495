import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Processes the driver starts — the SpiveProdBootstrap instance, and the
 * instances the local runner host doubles start — must die with their parent,
 * even when the parent is killed with SIGKILL and can stop nothing: a
 * bootstrap instance outliving its driver would keep writing to prod-0.
 * Where util-linux `setpriv` exists (Linux, the deployment container), a
 * child is started through `setpriv --pdeathsig KILL --`, which asks the
 * kernel to kill it when its parent dies. Elsewhere (or with a setpriv too
 * old for --pdeathsig) it is started directly. The signal reaches that one
 * process: `spive:bootstrap.command` must exec the instance itself, not a
 * wrapper that forks it (docs/bootstrap.md).
 */
export const PARENT_DEATH_PREFIX: readonly string[] = (() => {
  if (process.platform !== "linux") return [];
  const found = (process.env.PATH ?? "/usr/bin:/bin")
    .split(":")
    .filter(Boolean)
    .map((d) => path.join(d, "setpriv"))
    .find((f) => fs.existsSync(f));
  if (!found) return [];
  // --pdeathsig exists from util-linux 2.33 on; an older setpriv would make
  // every start fail, so it is tried once before it is relied on.
  const prefix = [found, "--pdeathsig", "KILL", "--"];
  const probe = spawnSync(found, [...prefix.slice(1), "true"], { stdio: "ignore", timeout: 5_000 });
  return probe.status === 0 ? prefix : [];
})();

/** `command` prefixed so that it dies with this process (see PARENT_DEATH_PREFIX). */
export function diesWithParent(command: readonly string[]): string[] {
  return [...PARENT_DEATH_PREFIX, ...command];
}
