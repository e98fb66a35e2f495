import { z } from "zod";
import type { CredentialSource } from "./auth";
import { callJson, type CallOptions } from "./http";
import { StreamList } from "./event-store-api";

/**
 * What the bootstrap's preflight asks of the local event store before the
 * wipe (docs/contracts.md): is it up (`GET /v1/health`), can it write durably
 * (`POST /v1/probe`: writes, fsyncs and removes a probe file; creates no
 * stream), and which streams does it hold (`GET /v1/streams`).
 */

/** `GET /v1/health` of the event store. */
export const EventStoreHealth = z.strictObject({ ok: z.literal(true), streams: z.number().int().min(0) }).describe("The event store is up.");

/** `POST /v1/probe` answer: 200 once a durable write succeeded; 503 with a sentence otherwise. */
export const WriteProbe = z.strictObject({ writable: z.literal(true) }).describe("The event store can write durably.");

type Opts = Pick<CallOptions, "timeoutMs" | "signal">;

/** The preflight client of the local event store at `url`; the write probe (a POST) carries the bearer credential from `credential`. */
export function httpStoreProbe(url: string, credential?: CredentialSource) {
  return {
    health: (o?: Opts) => callJson(url, "v1/health", EventStoreHealth, o),
    probe: (o?: Opts) => callJson(url, "v1/probe", WriteProbe, { ...o, method: "POST", credential }),
    streams: (o?: Opts) => callJson(url, "v1/streams", StreamList, o),
  };
}

/** The preflight client of an event store. */
export type StoreProbeClient = ReturnType<typeof httpStoreProbe>;
