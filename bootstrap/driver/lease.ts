import { randomBytes } from "node:crypto";
import * as os from "node:os";
import type { BoundRunnerHost } from "../contracts/binding";
import { ContractCallError } from "../contracts/http";
import type { LeaseHolder, LeaseRequest } from "../contracts/lease-api";
import type { LeaseClient } from "../contracts/lease-client";
import { HostError } from "./errors";
import type { PhaseContext } from "./phase";

/**
 * The driver's side of the bootstrap lease (docs/bootstrap.md#one-bootstrap-at-a-time):
 * the run takes the lease on every runner host of the binding, in name order,
 * before it touches anything; renews it every third of its time-to-live while
 * it runs (each phase change is pushed at once, so the hosts know where a run
 * stopped); and releases it with the outcome at the end. A host leased to
 * another live run fails the run at once, naming that run.
 */

/** The default lease time-to-live: a run whose driver dies blocks the next one for at most this long. */
export const DEFAULT_LEASE_TTL_SECONDS = 60;

/** A fresh run id: `<host>-<pid>-<base36 time>-<random>`, within the contract's pattern. */
export function newRunId(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 40) || "host";
  return `${host}-${process.pid}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** The holder record of this process for `runId`. */
export function holderOf(runId: string, startedAt: string): LeaseHolder {
  return { runId, host: os.hostname(), pid: process.pid, startedAt };
}

/** Options of `TargetLease.acquire`. */
export interface AcquireOptions {
  /** The runner hosts of the binding (possibly through tunnels). */
  readonly hosts: readonly BoundRunnerHost[];
  /** The lease client of a host. */
  readonly client: (host: BoundRunnerHost) => LeaseClient;
  /** Who asks. */
  readonly holder: LeaseHolder;
  /** Time-to-live of each grant. */
  readonly ttlSeconds: number;
  /** The pinned log's digest. */
  readonly logSha256: string | null;
  /** The current phase. */
  readonly phase: string;
  /** Receives problems renewing or releasing (details, not failures). */
  readonly report?: (message: string) => void;
}

/** A lease held on every runner host of a run's binding. */
export class TargetLease {
  private readonly lostController = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private phase: string;
  private released = false;
  /** The renewal in flight, awaited before a release so a late renewal cannot grant the lease again. */
  private inflight: Promise<void> = Promise.resolve();

  private constructor(
    private readonly opts: AcquireOptions,
    /** When the lease expires on the first host, as granted. */
    readonly expiresAt: string,
  ) {
    this.phase = opts.phase;
    this.timer = setInterval(() => this.renewNow(), Math.max(200, (opts.ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  /** Fires when another run took the lease over (this run's lease had expired): the run must stop at once. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /**
   * Takes the lease on every host, in name order (two runs meet on the same
   * first host, so the loser holds nothing). On a conflict, releases what it
   * took and rejects with a HostError naming the holder; nothing is touched.
   */
  static async acquire(opts: AcquireOptions, ctx: PhaseContext): Promise<TargetLease> {
    const hosts = [...opts.hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const taken: BoundRunnerHost[] = [];
    let expiresAt = "";
    try {
      for (const h of hosts) {
        let grant;
        try {
          grant = await opts.client(h).acquire(request(opts, opts.phase), { signal: ctx.signal, timeoutMs: Math.min(10_000, ctx.remainingMs()) });
        } catch (err) {
          if (err instanceof ContractCallError && err.status === 409) {
            throw new HostError(h.name, `another bootstrap holds the target, nothing was touched: ${err.message.replace(/^PUT \S+ answered 409: /, "")}`);
          }
          if (err instanceof ContractCallError && err.status === 404) {
            throw new HostError(h.name, `the runner host grants no bootstrap lease (${err.message}); expected the runner API of docs/contracts.md (PUT /v1/lease), nothing was touched.`);
          }
          throw new HostError(h.name, `the runner host did not grant the bootstrap lease, nothing was touched: ${(err as Error).message}`);
        }
        taken.push(h);
        if (grant.tookOver) opts.report?.(`runner host ${h.name}: took over the expired lease of bootstrap run ${grant.tookOver.runId} (host ${grant.tookOver.host}, pid ${grant.tookOver.pid}, started ${grant.tookOver.startedAt}); that run did not finish.`);
        if (!expiresAt) expiresAt = grant.lease.expiresAt;
      }
    } catch (err) {
      await Promise.allSettled(
        taken.map((h) => opts.client(h).release({ runId: opts.holder.runId, outcome: "failed", phase: opts.phase, detail: `could not take the lease on every runner host: ${(err as Error).message}` }, { timeoutMs: 5_000 })),
      );
      throw err;
    }
    return new TargetLease({ ...opts, hosts }, expiresAt);
  }

  /** Records the phase the run entered, and pushes it to every host at once (not awaited). */
  enter(phase: string): void {
    this.phase = phase;
    this.renewNow();
  }

  private renewNow(): void {
    // One renewal at a time, in order: the last phase reported is the last one sent.
    this.inflight = this.inflight.then(() => this.renew());
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    const results = await Promise.allSettled(this.opts.hosts.map((h) => this.opts.client(h).acquire(request(this.opts, this.phase), { timeoutMs: 5_000 })));
    if (this.released) return;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") return;
      const host = this.opts.hosts[i]!.name;
      const err = r.reason as Error;
      if (err instanceof ContractCallError && err.status === 409 && !this.lost.aborted) {
        this.lostController.abort(new HostError(host, `this run lost the bootstrap lease (it expired and another run took it over): ${err.message.replace(/^PUT \S+ answered 409: /, "")}`));
      } else {
        this.opts.report?.(`runner host ${host}: could not renew the bootstrap lease (${err.message}); retrying`);
      }
    });
  }

  /** Stops renewing and releases every host with the run's outcome; resolves with the problems (the lease expires anyway). */
  async release(outcome: "succeeded" | "failed", detail: string | null): Promise<string[]> {
    this.released = true;
    clearInterval(this.timer);
    await this.inflight;
    const results = await Promise.allSettled(
      this.opts.hosts.map((h) => this.opts.client(h).release({ runId: this.opts.holder.runId, outcome, phase: this.phase, detail: detail === null ? null : detail.slice(0, 4000) }, { timeoutMs: 5_000 })),
    );
    return results.flatMap((r, i) => (r.status === "rejected" ? [`runner host ${this.opts.hosts[i]!.name}: could not release the bootstrap lease (${(r.reason as Error).message}); it expires by itself`] : []));
  }
}

function request(opts: AcquireOptions, phase: string): LeaseRequest {
  return { holder: opts.holder, ttlSeconds: opts.ttlSeconds, phase, logSha256: opts.logSha256 };
}
