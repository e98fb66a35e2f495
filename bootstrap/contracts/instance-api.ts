import { z } from "zod";

/**
 * The SpiveProdBootstrap instance API (HTTP/JSON, `docs/contracts.md`): what
 * the bootstrap instance serves while it consumes the log, for the driver
 * that started it. The instance exits on SIGTERM.
 */

/** The line an instance prints on stdout once it listens: `SPIVE_INSTANCE_LISTENING http://127.0.0.1:<port>`. */
export const LISTENING_PREFIX = "SPIVE_INSTANCE_LISTENING ";

/** Where the instance is in its life. */
export const ConsumeState = z
  .enum(["starting", "consuming", "done", "failed"])
  .describe("starting: not reading yet; consuming: applying events; done: every event applied; failed: stopped at an error.");

/** `GET /v1/progress[?after=N&waitMs=M]`: long-polls until the position passes `after`, the state ends, or `waitMs` elapses. */
export const Progress = z
  .strictObject({
    state: ConsumeState,
    position: z.number().int().min(0).describe("The last position consumed (its side effect carried out)."),
    lastPosition: z.number().int().min(0).describe("The log's last position (its End event); 0 until known."),
    errors: z.array(z.string()).describe("Full-sentence errors, in order; non-empty when failed."),
    doneAt: z.number().nullable().describe("Epoch milliseconds when the last event was consumed (null until done)."),
  })
  .describe("How far the instance has consumed the log.");

/** `GET /v1/health`. */
export const InstanceHealth = z
  .strictObject({
    ok: z.literal(true),
    pid: z.number().int(),
    state: ConsumeState,
  })
  .describe("The bootstrap instance is up.");

/** Consumption progress. */
export type Progress = z.infer<typeof Progress>;
/** The instance health answer. */
export type InstanceHealth = z.infer<typeof InstanceHealth>;
/** A consumption state. */
export type ConsumeState = z.infer<typeof ConsumeState>;
