import type { CredentialSource } from "./auth";
import { callJson, type CallOptions } from "./http";
import {
  InstanceList,
  RunnerHealth,
  StartInstanceResponse,
  StopInstanceResponse,
  WipeResponse,
  type StartInstanceRequest,
} from "./runner-api";
import { InstanceHealth, Progress } from "./instance-api";
import { LEASE_HEADER } from "./lease-api";
import { AppendResponse, CreateStreamResponse, EventList, StreamList, type AppendRequest, type CreateStreamRequest } from "./event-store-api";

/**
 * Typed clients of the three HTTP contracts (runner, bootstrap instance,
 * local event store). The driver takes them through factories so tests can
 * inject doubles or counters; these are the real ones.
 */

type Opts = Pick<CallOptions, "timeoutMs" | "signal">;

/** A client of one runner host's API. */
export interface RunnerClient {
  /** `GET /v1/health`. */
  health(o?: Opts): Promise<RunnerHealth>;
  /** `GET /v1/instances`. */
  list(o?: Opts): Promise<InstanceList>;
  /** `PUT /v1/instances/{id}`. */
  start(id: string, spec: StartInstanceRequest, o?: Opts): Promise<StartInstanceResponse>;
  /** `DELETE /v1/instances/{id}`. */
  stop(id: string, o?: Opts): Promise<StopInstanceResponse>;
  /** `DELETE /v1/instances` (wipe). */
  wipe(o?: Opts): Promise<WipeResponse>;
}

/** A client of a bootstrap instance's API. */
export interface InstanceClient {
  /** `GET /v1/health`. */
  health(o?: Opts): Promise<InstanceHealth>;
  /** `GET /v1/progress?after=&waitMs=`: long-polls for a position past `after`. */
  progress(after: number, waitMs: number, o?: Opts): Promise<Progress>;
}

/** A client of the local event store's API. */
export interface EventStoreClient {
  /** `PUT /v1/streams/{gid}`. */
  createStream(gid: string, req: CreateStreamRequest, o?: Opts): Promise<CreateStreamResponse>;
  /** `GET /v1/streams`. */
  list(o?: Opts): Promise<StreamList>;
  /** `POST /v1/streams/{gid}/events`: a conditional append at `expectedPosition + 1`. */
  append(gid: string, req: AppendRequest, o?: Opts): Promise<AppendResponse>;
  /** `GET /v1/streams/{gid}/events?after=N`. */
  events(gid: string, after?: number, o?: Opts): Promise<EventList>;
}

/**
 * The HTTP runner client of the host at `url`. State-changing calls carry the
 * bearer credential from `credential` (docs/contracts.md, Authentication) and,
 * with `lease` (a run id), the run's lease in the `x-spive-lease` header.
 */
export function httpRunnerClient(url: string, credential?: CredentialSource, lease?: string): RunnerClient {
  const headers = lease ? { [LEASE_HEADER]: lease } : undefined;
  return {
    health: (o) => callJson(url, "v1/health", RunnerHealth, o),
    list: (o) => callJson(url, "v1/instances", InstanceList, o),
    start: (id, spec, o) => callJson(url, `v1/instances/${encodeURIComponent(id)}`, StartInstanceResponse, { ...o, method: "PUT", body: spec, credential, headers }),
    stop: (id, o) => callJson(url, `v1/instances/${encodeURIComponent(id)}`, StopInstanceResponse, { ...o, method: "DELETE", credential, headers }),
    wipe: (o) => callJson(url, "v1/instances", WipeResponse, { ...o, method: "DELETE", credential, headers }),
  };
}

/** The HTTP client of the bootstrap instance at `url`. */
export function httpInstanceClient(url: string): InstanceClient {
  return {
    health: (o) => callJson(url, "v1/health", InstanceHealth, o),
    progress: (after, waitMs, o) => callJson(url, `v1/progress?after=${after}&waitMs=${waitMs}`, Progress, { timeoutMs: waitMs + 5_000, ...o }),
  };
}

/** The HTTP client of the local event store at `url`; creating a stream carries the bearer credential from `credential`. */
export function httpEventStoreClient(url: string, credential?: CredentialSource): EventStoreClient {
  return {
    createStream: (gid, req, o) => callJson(url, `v1/streams/${encodeURIComponent(gid)}`, CreateStreamResponse, { ...o, method: "PUT", body: req, credential }),
    list: (o) => callJson(url, "v1/streams", StreamList, o),
    append: (gid, req, o) => callJson(url, `v1/streams/${encodeURIComponent(gid)}/events`, AppendResponse, { ...o, method: "POST", body: req, credential }),
    events: (gid, after = 0, o) => callJson(url, `v1/streams/${encodeURIComponent(gid)}/events?after=${after}`, EventList, o),
  };
}
