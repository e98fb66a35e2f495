import { describeHolder, LEASE_HEADER, LeaseRequest, ReleaseRequest, type LastRun, type Lease, type LeaseGrant, type LeaseStatus } from "../bootstrap/contracts/lease-api";
import { HttpError, type JsonAnswer, type JsonRequest } from "./http-server";

/**
 * The bootstrap lease of a runner host double (`/v1/lease`, docs/contracts.md):
 * grants one run at a time, renews, releases with the run's outcome, lets
 * another run take over only after expiry, and refuses (423) state-changing
 * runner calls that do not carry the live lease's run id.
 */
export class LeaseTable {
  private lease: Lease | null = null;
  private last: LastRun | null = null;

  /** @param host the host's name, for messages; @param now the clock (tests). */
  constructor(
    private readonly host: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live lease (null once expired). */
  live(): Lease | null {
    if (this.lease && Date.parse(this.lease.expiresAt) <= this.now()) {
      // Expired without a release: the driver is gone (or cut off); its run did not finish.
      if (this.last && this.last.holder.runId === this.lease.holder.runId && this.last.outcome === "running") this.last = { ...this.last, outcome: "abandoned" };
      this.lease = null;
    }
    return this.lease;
  }

  /** `GET /v1/lease`. */
  status(): LeaseStatus {
    const lease = this.live();
    return { lease, last: this.last };
  }

  /** Handles `/v1/lease` routes; undefined for any other path. */
  handle(req: JsonRequest): JsonAnswer | undefined {
    if (req.path === "/v1/lease") {
      if (req.method === "GET") return { status: 200, body: this.status() };
      if (req.method === "PUT") return { status: 200, body: this.acquire(req.body) };
      throw new HttpError(405, `${req.method} ${req.path} is not part of the runner API; expected GET or PUT.`);
    }
    if (req.path === "/v1/lease/release") {
      if (req.method !== "POST") throw new HttpError(405, `${req.method} ${req.path} is not part of the runner API; expected POST.`);
      return { status: 200, body: this.release(req.body) };
    }
    return undefined;
  }

  private acquire(body: unknown): LeaseGrant {
    const parsed = LeaseRequest.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new HttpError(400, `PUT /v1/lease: ${i.path.join(".") || "body"}: ${i.message}.`);
    }
    const req = parsed.data;
    const live = this.live();
    const nowIso = new Date(this.now()).toISOString();
    const expiresAt = new Date(this.now() + req.ttlSeconds * 1000).toISOString();
    if (live && live.holder.runId !== req.holder.runId) {
      throw new HttpError(409, `Runner host ${this.host} is leased to bootstrap ${describeHolder(live.holder)}, in phase ${live.phase}, until ${live.expiresAt}; one bootstrap at a time: wait for that run to end or for its lease to expire.`);
    }
    if (live) {
      this.lease = { ...live, phase: req.phase, logSha256: req.logSha256 ?? live.logSha256, renewedAt: nowIso, expiresAt };
      if (this.last?.holder.runId === req.holder.runId) this.last = { ...this.last, phase: req.phase, logSha256: this.lease.logSha256 };
      return { renewed: true, tookOver: null, lease: this.lease };
    }
    // A run whose lease expired (and was not taken over) must not silently continue: it asks again as a new grant only if nobody else took it.
    const tookOver = this.last && this.last.outcome === "abandoned" && this.last.holder.runId !== req.holder.runId ? this.last.holder : null;
    this.lease = { holder: req.holder, phase: req.phase, logSha256: req.logSha256, acquiredAt: nowIso, renewedAt: nowIso, expiresAt };
    this.last = { holder: req.holder, phase: req.phase, outcome: "running", logSha256: req.logSha256, endedAt: null, detail: null };
    return { renewed: false, tookOver, lease: this.lease };
  }

  private release(body: unknown) {
    const parsed = ReleaseRequest.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new HttpError(400, `POST /v1/lease/release: ${i.path.join(".") || "body"}: ${i.message}.`);
    }
    const req = parsed.data;
    const live = this.live();
    if (this.last && this.last.holder.runId === req.runId && (this.last.outcome === "running" || this.last.outcome === "abandoned")) {
      this.last = { ...this.last, phase: req.phase, outcome: req.outcome, endedAt: new Date(this.now()).toISOString(), detail: req.detail };
    }
    if (!live || live.holder.runId !== req.runId) return { released: false, last: this.last };
    this.lease = null;
    return { released: true, last: this.last };
  }

  /**
   * Admits a state-changing runner call: with a live lease, only the holder
   * (its run id in `x-spive-lease`); without one, any caller that names no
   * lease. A call naming a lease that is not live is refused: its run lost it.
   */
  admit(req: JsonRequest): void {
    const raw = req.headers[LEASE_HEADER];
    const given = Array.isArray(raw) ? raw[0] : raw;
    const live = this.live();
    if (live && given === live.holder.runId) return;
    if (live) {
      throw new HttpError(423, `Runner host ${this.host} is leased to bootstrap ${describeHolder(live.holder)} until ${live.expiresAt}; ${req.method} ${req.path} ${given ? `names run ${given}` : "carries no lease"}, so it is refused: one bootstrap at a time.`);
    }
    if (given) throw new HttpError(423, `Runner host ${this.host} holds no live lease for run ${given} (it expired or was released); ${req.method} ${req.path} is refused: acquire the lease again (PUT /v1/lease) first.`);
  }
}
