import * as os from "node:os";
import type { Binding } from "../contracts/binding";
import { httpRunnerClient } from "../contracts/clients";
import type { LastRun, Lease } from "../contracts/lease-api";
import { httpLeaseClient } from "../contracts/lease-client";
import type { RunnerInstance } from "../contracts/runner-api";
import type { TunnelOpener } from "./tunnels";

/**
 * What an installation runs, asked of every runner host of its binding
 * through the runner API: the data behind `spive status`.
 */

/** One runner host's answer. */
export interface HostStatus {
  /** The host's name. */
  readonly name: string;
  /** Its runner API URL. */
  readonly url: string;
  /** The zones it serves. */
  readonly zones: readonly string[];
  /** Whether it answered. */
  readonly reachable: boolean;
  /** Why it did not answer. */
  readonly error?: string;
}

/** The status of an installation. */
export interface InstallationStatus {
  /** The target. */
  readonly target: string;
  /** Every runner host. */
  readonly hosts: readonly HostStatus[];
  /** Every instance on every reachable host, by host then id. */
  readonly instances: readonly RunnerInstance[];
  /** The last bootstrap run the runner hosts saw (null when none did), from their lease records. */
  readonly lastBootstrap?: LastBootstrap | null;
}

/** The last bootstrap of an installation, as its runner hosts recorded it. */
export interface LastBootstrap extends LastRun {
  /** Whether a runner host still holds a live lease for it, and until when. */
  readonly leaseExpiresAt: string | null;
  /** True when the run did not finish: still running, or its driver died (a live lease whose driver on this machine is gone counts). */
  readonly unfinished: boolean;
  /** True when it got as far as the wipe (the installation was touched). */
  readonly touched: boolean;
}

const TOUCHING_PHASES = new Set(["wipe", "start", "wait", "stop", "verify"]);

function driverGone(run: LastRun): boolean {
  if (run.holder.host !== os.hostname()) return false;
  try {
    process.kill(run.holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "EPERM";
  }
}

/** Picks the newest run the hosts recorded and says whether it finished. */
export function lastBootstrapOf(records: readonly { lease: Lease | null; last: LastRun | null }[]): LastBootstrap | null {
  const runs = records.flatMap((r) => (r.last ? [r.last] : []));
  if (runs.length === 0) return null;
  const newest = runs.reduce((a, b) => (b.holder.startedAt > a.holder.startedAt ? b : a));
  // The most advanced record of that run (hosts may have missed the last renewal).
  const same = runs.filter((r) => r.holder.runId === newest.holder.runId);
  const ended = same.find((r) => r.outcome === "succeeded" || r.outcome === "failed");
  const run = ended ?? same[0]!;
  const lease = records.find((r) => r.lease?.holder.runId === run.holder.runId)?.lease ?? null;
  const gone = !ended && (run.outcome === "abandoned" || !lease || driverGone(run));
  const outcome = ended ? ended.outcome : gone ? "abandoned" : "running";
  return { ...run, outcome, leaseExpiresAt: lease?.expiresAt ?? null, unfinished: !ended, touched: TOUCHING_PHASES.has(run.phase) };
}

/** Whether the last bootstrap leaves the installation in doubt: it did not finish, or it failed after the wipe began. */
export function bootstrapInDoubt(last: LastBootstrap | null | undefined): boolean {
  return Boolean(last && (last.unfinished || (last.outcome === "failed" && last.touched)));
}

/** One line about the last bootstrap. */
export function describeLastBootstrap(last: LastBootstrap | null | undefined): string {
  if (!last) return "last bootstrap: none recorded by the runner hosts.";
  const who = `driver on ${last.holder.host}, pid ${last.holder.pid}, started ${last.holder.startedAt}`;
  const digest = last.logSha256 ? `, log sha256 ${last.logSha256}` : "";
  if (last.outcome === "succeeded") return `last bootstrap: run ${last.holder.runId} succeeded at ${last.endedAt} (${who}${digest}).`;
  if (last.outcome === "failed") {
    return `last bootstrap: run ${last.holder.runId} failed in phase ${last.phase} at ${last.endedAt} (${who}): ${last.detail ?? "no reason recorded"}${last.touched ? " The installation may be partial: run the bootstrap again." : " Nothing was touched by it."}`;
  }
  if (last.outcome === "running") return `last bootstrap: run ${last.holder.runId} is running, in phase ${last.phase} (${who}${digest}; lease until ${last.leaseExpiresAt}); it did not finish yet.`;
  return `last bootstrap: run ${last.holder.runId} did not finish: it stopped in phase ${last.phase} (${who}${digest}; its driver is gone${last.leaseExpiresAt ? `, its lease lapses at ${last.leaseExpiresAt}` : ""}).${last.touched ? " The installation may be partial: run the bootstrap again." : ""}`;
}

/** Lists every instance of every runner host of `binding`, in parallel, each call bounded by `timeoutMs`. */
export async function installationStatus(binding: Binding, timeoutMs = 5_000): Promise<InstallationStatus> {
  const answers = await Promise.allSettled(binding.runnerHosts.map((h) => httpRunnerClient(h.url).list({ timeoutMs })));
  const hosts: HostStatus[] = binding.runnerHosts.map((h, i) => {
    const a = answers[i]!;
    return a.status === "fulfilled"
      ? { name: h.name, url: h.url, zones: h.zones, reachable: true }
      : { name: h.name, url: h.url, zones: h.zones, reachable: false, error: (a.reason as Error).message };
  });
  const instances = answers.flatMap((a) => (a.status === "fulfilled" ? a.value.instances : []));
  // What the hosts recorded of the last bootstrap (a host that does not answer is left out).
  const leases = await Promise.allSettled(binding.runnerHosts.map((h) => httpLeaseClient(h.url).status({ timeoutMs })));
  const lastBootstrap = lastBootstrapOf(leases.flatMap((l) => (l.status === "fulfilled" ? [l.value] : [])));
  return { target: binding.target, hosts, instances, lastBootstrap };
}

/**
 * `installationStatus` for an installation behind IAP (prod0): opens one
 * tunnel per runner host with `tunnel`, asks every host through its tunnel,
 * and closes every tunnel before returning, also on failure. The hosts keep
 * their real URLs in the result. Opening the tunnels is bounded by
 * `openTimeoutMs`; a tunnel that does not open fails naming its host.
 */
export async function tunnelledStatus(binding: Binding, tunnel: TunnelOpener, opts: TunnelledStatusOptions = {}): Promise<InstallationStatus> {
  const openTimeoutMs = opts.openTimeoutMs ?? 60_000;
  const deadline = Date.now() + openTimeoutMs;
  // A controller and a timer of our own, both held until the tunnels are open:
  // on Node 20, AbortSignal.any([…, AbortSignal.timeout(ms)]) can lose the
  // timeout signal to garbage collection and never abort (nodejs/node#57736).
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(new Error(`the IAP tunnels did not open in ${openTimeoutMs} ms`)), openTimeoutMs);
  const onAbort = () => bound.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  let open: Awaited<ReturnType<TunnelOpener>>;
  try {
    open = await tunnel(binding, { signal: bound.signal, deadline, remainingMs: () => Math.max(1, deadline - Date.now()) });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  try {
    opts.signal?.throwIfAborted();
    const status = await installationStatus(open.binding, opts.timeoutMs ?? 5_000);
    const real = new Map(binding.runnerHosts.map((h) => [h.name, h.url]));
    // The hosts keep their real URLs; an error names the tunnel it went through.
    return {
      ...status,
      target: binding.target,
      hosts: status.hosts.map((h) => ({ ...h, url: real.get(h.name) ?? h.url, ...(h.error ? { error: `through its IAP tunnel (${h.url}): ${h.error}` } : {}) })),
    };
  } finally {
    await open.close();
  }
}

/** Options of `tunnelledStatus`. */
export interface TunnelledStatusOptions {
  /** Aborts opening the tunnels (an interruption); the tunnels opened so far are closed. */
  readonly signal?: AbortSignal;
  /** Bound on opening every tunnel (default 60 s). */
  readonly openTimeoutMs?: number;
  /** Bound on each runner API call (default 5 s). */
  readonly timeoutMs?: number;
}

/** Renders a status as a table: one row per instance, then unreachable hosts. */
export function formatStatusTable(s: InstallationStatus): string {
  const head = ["INSTANCE", "HOST", "PROCESS", "ZONE", "STATE", "PID", "STARTED"];
  const rows = s.instances.map((i) => [i.id, i.host, i.process, i.zone, i.state, i.pid === null ? "-" : String(i.pid), i.startedAt]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c]!)).join("  ").trimEnd();
  const out = [`${s.target}: ${s.instances.length} instance(s) on ${s.hosts.filter((h) => h.reachable).length}/${s.hosts.length} runner host(s)`, line(head), ...rows.map(line)];
  for (const h of s.hosts) if (!h.reachable) out.push(`unreachable: ${h.name} (${h.url}): ${h.error}`);
  if (s.lastBootstrap !== undefined) out.push(describeLastBootstrap(s.lastBootstrap));
  return `${out.join("\n")}\n`;
}
