import type { CredentialSource } from "./auth";
import { callJson, type CallOptions } from "./http";
import { LeaseGrant, LeaseStatus, ReleaseResponse, type LeaseRequest, type ReleaseRequest } from "./lease-api";

/**
 * The typed client of a runner host's bootstrap lease (`/v1/lease`,
 * docs/contracts.md). Kept apart from the RunnerClient so injected runner
 * clients in tests need not implement it.
 */

type Opts = Pick<CallOptions, "timeoutMs" | "signal">;

/** A client of one runner host's lease. */
export interface LeaseClient {
  /** `GET /v1/lease`: the live lease and the last run. */
  status(o?: Opts): Promise<LeaseStatus>;
  /** `PUT /v1/lease`: acquire, renew, or take over an expired lease; a live lease of another run answers 409. */
  acquire(req: LeaseRequest, o?: Opts): Promise<LeaseGrant>;
  /** `POST /v1/lease/release`: release with the run's outcome. */
  release(req: ReleaseRequest, o?: Opts): Promise<ReleaseResponse>;
}

/**
 * The HTTP lease client of the runner host at `url`. Acquiring and releasing
 * change state, so they carry the bearer credential from `credential`
 * (docs/contracts.md, Authentication); `status` is a GET and needs none.
 */
export function httpLeaseClient(url: string, credential?: CredentialSource): LeaseClient {
  return {
    status: (o) => callJson(url, "v1/lease", LeaseStatus, o),
    acquire: (req, o) => callJson(url, "v1/lease", LeaseGrant, { ...o, method: "PUT", body: req, credential }),
    release: (req, o) => callJson(url, "v1/lease/release", ReleaseResponse, { ...o, method: "POST", body: req, credential }),
  };
}
