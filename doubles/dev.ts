import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { writeInstallationToken } from "../bootstrap/contracts/auth";
import { Binding } from "../bootstrap/contracts/binding";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { isOurDouble, launchDouble, stopGroup } from "./launch";

/**
 * The local dev installations: dev-0 (prod-0 without replication: one runner
 * host serving both prod0 zones) and dev-0r (active-active like prod-0: one
 * runner host per zone), each with a durable local event store. Every double
 * is its own detached process group on loopback; what runs is recorded in
 * `.spive/<target>/state.json` so status, the bootstrap and `dev-0/stop.sh`
 * find it. The event store's data stays in `.spive/<target>/event-store/`.
 */

/** The local targets. */
export const DEV_TARGETS = ["dev-0", "dev-0r"] as const;

/** A local target. */
export type DevTarget = (typeof DEV_TARGETS)[number];

/** Whether `t` names a local target. */
export function isDevTarget(t: string): t is DevTarget {
  return (DEV_TARGETS as readonly string[]).includes(t);
}

/** The folder all local state lives in: `$SPIVE_STATE_DIR` or `<repo>/.spive` (git-ignored). */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPIVE_STATE_DIR ? path.resolve(env.SPIVE_STATE_DIR) : path.join(REPO_ROOT, ".spive");
}

/** The recorded state of a running local installation. */
export const DevState = z.strictObject({
  target: z.enum(DEV_TARGETS),
  startedAt: z.string(),
  processes: z.array(z.strictObject({ role: z.enum(["runner-host", "event-store"]), name: z.string(), pid: z.number().int(), url: z.string() })),
  binding: Binding,
});

/** The recorded state of a running local installation. */
export type DevState = z.infer<typeof DevState>;

function stateFile(target: DevTarget, root: string): string {
  return path.join(root, target, "state.json");
}

/** Reads the recorded state of `target`, or undefined when it was never started (or was stopped). */
export function readDevState(target: DevTarget, root: string = stateRoot()): DevState | undefined {
  const file = stateFile(target, root);
  if (!fs.existsSync(file)) return undefined;
  const res = DevState.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
  if (!res.success) throw new Error(`${file}: expected the state of a local installation, got something else (${res.error.issues[0]!.message}); run dev-0/stop.sh and start again.`);
  return res.data;
}

/**
 * The binding of a started local installation; throws a sentence telling how
 * to start it when none of its doubles is alive. A double that died is left
 * in the binding: the bootstrap's wipe names it.
 */
export function devBinding(target: DevTarget, root: string = stateRoot()): Binding {
  const state = readDevState(target, root);
  if (!state || !state.processes.some((p) => isOurDouble(p.pid))) {
    const script = target === "dev-0" ? "dev-0/start.sh (npm start)" : "dev-0r/start.sh";
    throw new Error(`${target} is not running (no live doubles recorded in ${stateFile(target, root)}); start it with ${script}.`);
  }
  return state.binding;
}

/** The runner hosts of a target: one for dev-0 (both zones), one per zone for dev-0r. */
export function devHostPlan(target: DevTarget, zones: readonly string[]): { name: string; zones: string[] }[] {
  return target === "dev-0" ? [{ name: "dev-0-basic-runner-0", zones: [...zones] }] : zones.map((z) => ({ name: `dev-0r-basic-runner-${z}-0`, zones: [z] }));
}

/** Options of `devUp`. */
export interface DevUpOptions {
  /** The state folder (default: `stateRoot()`). */
  readonly root?: string;
  /** The zones (default: the prod0 stack's). */
  readonly zones?: readonly string[];
  /** Extra arguments for each runner host double, by host name (fault injection in tests). */
  readonly runnerArgs?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Brings up `target`'s doubles, or reuses them when they are all alive.
 * Resolves with the state and whether it was reused.
 */
export async function devUp(target: DevTarget, opts: DevUpOptions = {}): Promise<{ state: DevState; reused: boolean }> {
  const root = opts.root ?? stateRoot();
  const existing = readDevState(target, root);
  if (existing && existing.processes.every((p) => isOurDouble(p.pid))) return { state: existing, reused: true };
  if (existing) await devDown(target, root);
  const dir = path.join(root, target);
  fs.mkdirSync(dir, { recursive: true });
  const zones = opts.zones ?? loadStackConfig("prod0")["spive:layer"].regions[0]!.zones;
  const launched: DevState["processes"] = [];
  // A fresh per-installation API token (mode 0600) for every start: the doubles refuse state changes without it.
  const token = writeInstallationToken(dir);
  try {
    const store = await launchDouble("event-store", ["--dir", path.join(dir, "event-store"), "--token-file", token.file], { logFile: path.join(dir, "event-store.log") });
    launched.push({ role: "event-store", name: "event-store", pid: store.pid, url: store.url });
    const hosts = await Promise.all(
      devHostPlan(target, zones).map(async (h) => {
        const d = await launchDouble("runner-host", ["--name", h.name, "--zones", h.zones.join(","), "--token-file", token.file, ...(opts.runnerArgs?.[h.name] ?? [])], {
          logFile: path.join(dir, `${h.name}.log`),
        });
        launched.push({ role: "runner-host", name: h.name, pid: d.pid, url: d.url });
        return { name: h.name, zones: h.zones, url: d.url };
      }),
    );
    const state: DevState = {
      target,
      startedAt: new Date().toISOString(),
      processes: launched,
      binding: { target, runnerHosts: hosts, eventStore: { kind: "local", url: store.url }, gateways: {}, auth: { kind: "token-file", file: token.file } },
    };
    fs.writeFileSync(stateFile(target, root), `${JSON.stringify(state, null, 2)}\n`);
    return { state, reused: false };
  } catch (err) {
    await Promise.all(launched.map((p) => stopGroup(p.pid)));
    throw err;
  }
}

/** Stops every double `target` started (process groups: their instances go too) and forgets them. */
export async function devDown(target: DevTarget, root: string = stateRoot()): Promise<{ stopped: number }> {
  const state = readDevState(target, root);
  if (!state) return { stopped: 0 };
  const alive = state.processes.filter((p) => isOurDouble(p.pid));
  await Promise.all(alive.map((p) => stopGroup(p.pid)));
  fs.rmSync(stateFile(target, root), { force: true });
  return { stopped: alive.length };
}
