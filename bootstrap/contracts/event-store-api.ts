import { z } from "zod";
import { GID_PATTERN, NAME_PATTERN } from "../log/schema";

/** A stream gid as the log writes it (`gid:<layer>/<segment>…`): the store refuses any other with 400. */
export const StreamGid = z.string().regex(GID_PATTERN, "a stream gid such as gid:prod0/inventory");

/**
 * The local event store API (HTTP/JSON, `docs/contracts.md`): the durable
 * event store double the dev-0 bootstrap writes streams to, standing in for
 * the Bigtable event store of prod-0. Creating a stream is idempotent.
 */

/** `PUT /v1/streams/{gid}` body. */
export const CreateStreamRequest = z
  .strictObject({
    store: z.string().regex(NAME_PATTERN, "a gateway name such as BigtableEventStoreGateway").describe("The event-store gateway that holds the stream."),
    durable: z.boolean().describe("Whether the stream survives a wipe."),
  })
  .describe("Create a stream (idempotent).");

/** One stream held by the store. */
export const StoredStream = z
  .strictObject({
    gid: z.string(),
    store: z.string(),
    durable: z.boolean(),
    createdAt: z.string().describe("When the stream was first created (ISO 8601); unchanged by repeated creates."),
  })
  .describe("A stream in the event store.");

/** `PUT /v1/streams/{gid}` answer. */
export const CreateStreamResponse = z.strictObject({ created: z.boolean(), stream: StoredStream });

/** `GET /v1/streams` answer. */
export const StreamList = z.strictObject({ streams: z.array(StoredStream) });

/**
 * `POST /v1/streams/{gid}/events` body: a conditional append. It succeeds only
 * when the stream's last position is `expectedPosition`; the event then gets
 * position `expectedPosition + 1`. Otherwise 409 with the stream's position.
 */
export const AppendRequest = z
  .strictObject({
    expectedPosition: z.number().int().min(0).describe("The stream's last position the writer saw (0 for an empty stream)."),
    event: z.record(z.string(), z.unknown()).describe("The event, a JSON object."),
  })
  .describe("Append one event at the next position, if the stream is where the writer expects.");

/** `POST /v1/streams/{gid}/events` answer (201). */
export const AppendResponse = z.strictObject({ gid: z.string(), position: z.number().int().min(1).describe("The position the event got.") });

/** One stored event. */
export const StoredEvent = z.strictObject({ position: z.number().int().min(1), event: z.record(z.string(), z.unknown()), appendedAt: z.string() });

/** `GET /v1/streams/{gid}/events?after=N` answer: the events past position N, in position order. */
export const EventList = z.strictObject({ gid: z.string(), lastPosition: z.number().int().min(0), events: z.array(StoredEvent) });

/** An append request. */
export type AppendRequest = z.infer<typeof AppendRequest>;
/** An append answer. */
export type AppendResponse = z.infer<typeof AppendResponse>;
/** A stream's events. */
export type EventList = z.infer<typeof EventList>;

/** A stored stream. */
export type StoredStream = z.infer<typeof StoredStream>;
/** A stream creation request. */
export type CreateStreamRequest = z.infer<typeof CreateStreamRequest>;
/** A stream creation answer. */
export type CreateStreamResponse = z.infer<typeof CreateStreamResponse>;
/** The stream list answer. */
export type StreamList = z.infer<typeof StreamList>;
