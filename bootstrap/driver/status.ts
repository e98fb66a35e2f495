import type { Binding } from "../contracts/binding";
import { httpRunnerClient } from "../contracts/clients";
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
  return { target: binding.target, hosts, instances };
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
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(openTimeoutMs)]) : AbortSignal.timeout(openTimeoutMs);
  const open = await tunnel(binding, { signal, deadline, remainingMs: () => Math.max(1, deadline - Date.now()) });
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
  return `${out.join("\n")}\n`;
}
