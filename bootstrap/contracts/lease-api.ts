import { z } from "zod";

/**
 * The bootstrap lease (part of the runner API, docs/contracts.md): one
 * bootstrap at a time per target, enforced by the target itself. Every runner
 * host grants a lease to one run (run id, holder machine and pid, start time)
 * until an expiry the run keeps pushing forward by renewing it; the run
 * releases it at the end with its outcome. While a lease is live, the host
 * refuses (423) every state-changing call that does not carry the holder's run
 * id in the `x-spive-lease` header; another run may take the lease over only
 * once it has expired. The host also remembers the last run (its phase and
 * outcome), which `spive status` shows.
 */

/** The request header naming the run a state-changing call belongs to. */
export const LEASE_HEADER = "x-spive-lease";

/** The environment variable that hands the run id (the lease) to the bootstrap instance. */
export const LEASE_ENV = "SPIVE_BOOTSTRAP_LEASE";

/** A run id: CI's `<run id>-<attempt>` or a generated `<host>-<pid>-<time>-<random>`. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "a run id (letters, digits, . _ : -, at most 128)")
  .describe("The id of one bootstrap run.");

/** Who holds (or held) a lease. */
export const LeaseHolder = z
  .strictObject({
    runId: RunId,
    host: z.string().min(1).max(253).describe("The machine the driver runs on (hostname)."),
    pid: z.number().int().min(1).describe("The driver's process id on that machine."),
    startedAt: z.iso.datetime().describe("When the run started (ISO 8601)."),
  })
  .describe("The bootstrap run holding a lease.");

/** The phase names a run reports (bootstrap/driver/errors.ts PHASES, plus `released`). */
export const LeasePhase = z.string().regex(/^[a-z-]{1,32}$/).describe("The phase the run is in.");

/** `PUT /v1/lease`: acquire, renew or take over after expiry. */
export const LeaseRequest = z
  .strictObject({
    holder: LeaseHolder,
    ttlSeconds: z.number().int().min(1).max(3600).describe("The lease lasts this long after each grant or renewal."),
    phase: LeasePhase,
    logSha256: z.string().regex(/^[0-9a-f]{64}$/).nullable().default(null).describe("The digest of the pinned log the run deploys."),
  })
  .describe("Acquire or renew the bootstrap lease.");

/** A live lease. */
export const Lease = z
  .strictObject({
    holder: LeaseHolder,
    phase: LeasePhase,
    logSha256: z.string().nullable(),
    acquiredAt: z.iso.datetime(),
    renewedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .describe("The bootstrap lease as the host holds it.");

/** The outcome of the last run a host saw. */
export const RunOutcome = z
  .enum(["running", "succeeded", "failed", "abandoned"])
  .describe("running: holds the lease; succeeded/failed: released with that outcome; abandoned: its lease expired without a release (the driver died).");

/** The last run a host saw. */
export const LastRun = z
  .strictObject({
    holder: LeaseHolder,
    phase: LeasePhase.describe("The last phase it reported (where it stopped when it did not finish)."),
    outcome: RunOutcome,
    logSha256: z.string().nullable(),
    endedAt: z.iso.datetime().nullable(),
    detail: z.string().nullable().describe("The failure's sentence, when it failed."),
  })
  .describe("The last bootstrap run this host granted a lease to.");

/** `PUT /v1/lease` answer (200). A conflict answers 409 with a sentence naming the holder. */
export const LeaseGrant = z
  .strictObject({
    renewed: z.boolean().describe("True when the same run already held it."),
    tookOver: LeaseHolder.nullable().describe("The run whose expired lease was taken over, if any."),
    lease: Lease,
  })
  .describe("The lease is granted.");

/** `GET /v1/lease` answer. */
export const LeaseStatus = z.strictObject({ lease: Lease.nullable(), last: LastRun.nullable() }).describe("The live lease and the last run.");

/** `POST /v1/lease/release` body. */
export const ReleaseRequest = z
  .strictObject({
    runId: RunId,
    outcome: z.enum(["succeeded", "failed"]),
    phase: LeasePhase,
    detail: z.string().max(4000).nullable().default(null),
  })
  .describe("Release the lease with the run's outcome.");

/** `POST /v1/lease/release` answer (200; `released: false` when this run did not hold it). */
export const ReleaseResponse = z.strictObject({ released: z.boolean(), last: LastRun.nullable() });

/** A lease holder. */
export type LeaseHolder = z.infer<typeof LeaseHolder>;
/** A lease request, after defaults. */
export type LeaseRequest = z.infer<typeof LeaseRequest>;
/** A live lease. */
export type Lease = z.infer<typeof Lease>;
/** The last run a host saw. */
export type LastRun = z.infer<typeof LastRun>;
/** A grant. */
export type LeaseGrant = z.infer<typeof LeaseGrant>;
/** The lease status. */
export type LeaseStatus = z.infer<typeof LeaseStatus>;
/** A release request. */
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;
/** A release answer. */
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;

/** One line naming a holder: `run R (host H, pid P, started T)`. */
export function describeHolder(h: LeaseHolder): string {
  return `run ${h.runId} (host ${h.host}, pid ${h.pid}, started ${h.startedAt})`;
}
