import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { writeInstallationToken } from "../bootstrap/contracts/auth";
import { Binding } from "../bootstrap/contracts/binding";
import { loadStackConfig, REPO_ROOT } from "../config/load";
import { describeHolder } from "../bootstrap/contracts/lease-api";
import { httpLeaseClient } from "../bootstrap/contracts/lease-client";
import { isOurDouble, launchDouble, stopGroup } from "./launch";
import { findDoublesOf, parseJsonFile, pidDir, readPidFiles, withStartLock } from "./tracking";

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

/** Reads the recorded state of `target`, or undefined when it was never started (or was stopped); a corrupt file throws a sentence naming it and the line. */
export function readDevState(target: DevTarget, root: string = stateRoot()): DevState | undefined {
  const file = stateFile(target, root);
  if (!fs.existsSync(file)) return undefined;
  const remedy = "run dev-0/stop.sh (it stops the doubles even without this file) and start again.";
  const raw = parseJsonFile(file, fs.readFileSync(file, "utf8"), "the state of a local installation (JSON)", remedy);
  const res = DevState.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    throw new Error(`${file}:1: expected the state of a local installation, got something else (${issue.path.join(".") || "(root)"}: ${issue.message}); ${remedy}`);
  }
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
    const orphans = findDoublesOf(path.join(root, target));
    if (orphans.length > 0) {
      throw new Error(`${target} has no usable state (${stateFile(target, root)} is missing or names no live double), yet ${orphans.length} of its double(s) still run (pid ${orphans.join(", ")}); stop them with dev-0/stop.sh, then start it with ${script}.`);
    }
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
  /** Receives notes (waiting for the start lock, stopping leftover doubles). */
  readonly onNote?: (message: string) => void;
}

/**
 * Brings up `target`'s doubles, or reuses them when they are all alive, under
 * the target's start lock (a second start waits for the first, then reuses
 * its doubles). Doubles of the target left running without a valid state
 * file are stopped first, so there is never a second set; a target whose
 * runner host is leased to a running bootstrap is left alone (refused).
 * Resolves with the state and whether it was reused.
 */
export async function devUp(target: DevTarget, opts: DevUpOptions = {}): Promise<{ state: DevState; reused: boolean }> {
  const root = opts.root ?? stateRoot();
  const dir = path.join(root, target);
  return withStartLock(dir, target, async () => {
    let existing: DevState | undefined;
    try {
      existing = readDevState(target, root);
    } catch (err) {
      opts.onNote?.(`${target}: ${(err as Error).message.replace(/run dev-0\/stop\.sh.*$/, "the doubles it names are stopped and started again.")}`);
      existing = undefined;
    }
    if (existing && existing.processes.every((p) => isOurDouble(p.pid))) return { state: existing, reused: true };
    if (existing) await refuseWhileLeased(target, existing);
    const { stopped } = await stopEverything(target, root, existing);
    if (stopped > 0) opts.onNote?.(`${target}: stopped ${stopped} double(s) left running without a complete state, so only one set runs.`);
    return startDoubles(target, root, dir, opts);
  }, { onWait: opts.onNote });
}

async function refuseWhileLeased(target: DevTarget, state: DevState): Promise<void> {
  const live = state.processes.filter((p) => p.role === "runner-host" && isOurDouble(p.pid));
  const answers = await Promise.allSettled(live.map((p) => httpLeaseClient(p.url).status({ timeoutMs: 5_000 })));
  for (const a of answers) {
    if (a.status === "fulfilled" && a.value.lease) {
      throw new Error(`${target} is being bootstrapped by ${describeHolder(a.value.lease.holder)}, in phase ${a.value.lease.phase}, until ${a.value.lease.expiresAt}; its doubles are left alone. Wait for that run to end.`);
    }
  }
}

async function startDoubles(target: DevTarget, root: string, dir: string, opts: DevUpOptions): Promise<{ state: DevState; reused: boolean }> {
  fs.mkdirSync(dir, { recursive: true });
  const zones = opts.zones ?? loadStackConfig("prod0")["spive:layer"].regions[0]!.zones;
  const pids = pidDir(dir);
  const launched: DevState["processes"] = [];
  // A fresh per-installation API token (mode 0600) for every start: the doubles refuse state changes without it.
  const token = writeInstallationToken(dir);
  try {
    const store = await launchDouble("event-store", ["--dir", path.join(dir, "event-store"), "--token-file", token.file, "--pid-file", path.join(pids, "event-store.json")], { logFile: path.join(dir, "event-store.log") });
    launched.push({ role: "event-store", name: "event-store", pid: store.pid, url: store.url });
    const hosts = await Promise.all(
      devHostPlan(target, zones).map(async (h) => {
        const d = await launchDouble("runner-host", ["--name", h.name, "--zones", h.zones.join(","), "--token-file", token.file, "--pid-file", path.join(pids, `${h.name}.json`), ...(opts.runnerArgs?.[h.name] ?? [])], {
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
    const file = stateFile(target, root);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);
    return { state, reused: false };
  } catch (err) {
    await Promise.all(launched.map((p) => stopGroup(p.pid)));
    throw err;
  }
}

/**
 * Stops every process group `target` ever started: the ones in `state.json`
 * (when readable), in the pid files, and any double whose command line names
 * the target's folder (the folder may be gone). Forgets the state.
 */
async function stopEverything(target: DevTarget, root: string, state: DevState | undefined): Promise<{ stopped: number; problems: string[] }> {
  const dir = path.join(root, target);
  const { pids: files, problems } = readPidFiles(dir);
  const candidates = new Set<number>([...(state?.processes.map((p) => p.pid) ?? []), ...files.map((p) => p.pgid)]);
  const ours = [...candidates].filter((pid) => isOurDouble(pid));
  for (const pid of findDoublesOf(dir)) if (!ours.includes(pid)) ours.push(pid);
  await Promise.all(ours.map((pid) => stopGroup(pid)));
  fs.rmSync(stateFile(target, root), { force: true });
  fs.rmSync(pidDir(dir), { recursive: true, force: true });
  return { stopped: ours.length, problems };
}

/**
 * Stops every double `target` started (process groups: their instances go
 * too) and forgets them, even when `state.json` is missing or corrupt (its
 * error is returned as a problem, not thrown).
 */
export async function devDown(target: DevTarget, root: string = stateRoot()): Promise<{ stopped: number; problems: string[] }> {
  const dir = path.join(root, target);
  if (!fs.existsSync(dir) && findDoublesOf(dir).length === 0) return { stopped: 0, problems: [] };
  return withStartLock(dir, target, async () => {
    let state: DevState | undefined;
    const problems: string[] = [];
    try {
      state = readDevState(target, root);
    } catch (err) {
      problems.push((err as Error).message.replace(/run dev-0\/stop\.sh.*$/, "the doubles were found through their pid files and command lines instead."));
    }
    const r = await stopEverything(target, root, state);
    return { stopped: r.stopped, problems: [...problems, ...r.problems] };
  });
}
