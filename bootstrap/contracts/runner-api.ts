import { z } from "zod";
import { jsonBytes, MAX_INSTANCE_ARGS_BYTES } from "./limits";
import { SAFE_TEXT, SAFE_TEXT_EXPECTED } from "./text";

/**
 * The basic runner API (HTTP/JSON, `docs/contracts.md`): what every
 * spive-prod0-basic-runner host serves, and the local runner double too.
 * Every call is idempotent: starting a running instance with the same spec
 * succeeds, stopping an absent instance succeeds, and a wipe of an empty host
 * succeeds.
 */

/** The path prefix of every runner API route. */
export const RUNNER_API_PREFIX = "/v1";

/** An instance id (a DNS label), as in the bootstrap log. */
export const RunnerInstanceId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "an instance id (a DNS label)")
  .describe("The instance's unique id.");

/** What a caller asks the runner to start: `PUT /v1/instances/{id}`. */
export const StartInstanceRequest = z
  .strictObject({
    process: z.string().min(1).max(64).regex(SAFE_TEXT, SAFE_TEXT_EXPECTED).describe("The process the instance belongs to, e.g. SpiveProd0."),
    zone: z.string().min(1).max(64).regex(SAFE_TEXT, SAFE_TEXT_EXPECTED).describe("The zone the instance must run in; the host refuses a zone it does not serve."),
    args: z
      .array(z.string().max(4096).regex(SAFE_TEXT, SAFE_TEXT_EXPECTED))
      .max(64)
      .refine((a) => jsonBytes(a) <= MAX_INSTANCE_ARGS_BYTES, `args of at most ${MAX_INSTANCE_ARGS_BYTES} bytes as JSON (they reach the instance as one environment string)`)
      .default([])
      .describe("Command-line arguments of the instance: no control or bidi characters (NUL included), at most MAX_INSTANCE_ARGS_BYTES as JSON."),
  })
  .describe("Start an instance (idempotent: the same spec again is a no-op).");

/** The state of an instance on a runner host. */
export const InstanceState = z.enum(["running", "exited"]).describe("running: its process is alive; exited: it ended by itself.");

/** One instance as a runner host reports it. */
export const RunnerInstance = z
  .strictObject({
    id: RunnerInstanceId,
    process: z.string(),
    zone: z.string(),
    args: z.array(z.string()),
    host: z.string().describe("The runner host's name."),
    state: InstanceState,
    pid: z.number().int().nullable().describe("The process id on the host (null once reaped)."),
    startedAt: z.string().describe("When the instance was started (ISO 8601)."),
    exitCode: z.number().int().nullable().describe("The exit code once exited (null while running or when killed by a signal)."),
  })
  .describe("An instance on a runner host.");

/** `GET /v1/health`. */
export const RunnerHealth = z
  .strictObject({
    ok: z.literal(true),
    host: z.string().describe("The host's stable name."),
    zones: z.array(z.string()).min(1).describe("The zones this host runs instances for."),
    instances: z.number().int().min(0).describe("How many instances it holds."),
  })
  .describe("The runner host is up.");

/** `GET /v1/instances`. */
export const InstanceList = z
  .strictObject({
    host: z.string(),
    instances: z.array(RunnerInstance),
  })
  .describe("Every instance the host holds, running or exited.");

/** `PUT /v1/instances/{id}` answer: 201 when started, 200 when it was already running with the same spec. */
export const StartInstanceResponse = z
  .strictObject({
    created: z.boolean().describe("False when the instance was already running with the same spec."),
    instance: RunnerInstance,
  })
  .describe("The started (or already running) instance.");

/** `DELETE /v1/instances/{id}` answer: always 200, also for an absent instance. */
export const StopInstanceResponse = z
  .strictObject({
    id: RunnerInstanceId,
    deleted: z.boolean().describe("False when there was no such instance."),
  })
  .describe("The instance is stopped and deleted.");

/** `DELETE /v1/instances` (wipe) answer: always 200 once the host holds nothing. */
export const WipeResponse = z
  .strictObject({
    host: z.string(),
    deleted: z.number().int().min(0).describe("How many instances were stopped and deleted."),
    remaining: z.number().int().min(0).describe("Instances left after the wipe: 0 on success."),
  })
  .describe("Every instance on the host is stopped and deleted.");

/** Every non-2xx answer of both APIs. */
export const ApiError = z
  .object({
    error: z.string().describe("A full sentence: what was wrong and what was expected."),
  })
  .describe("An error answer.");

/** A start request, after defaults. */
export type StartInstanceRequest = z.infer<typeof StartInstanceRequest>;
/** An instance on a runner host. */
export type RunnerInstance = z.infer<typeof RunnerInstance>;
/** The runner health answer. */
export type RunnerHealth = z.infer<typeof RunnerHealth>;
/** The instance list answer. */
export type InstanceList = z.infer<typeof InstanceList>;
/** The start answer. */
export type StartInstanceResponse = z.infer<typeof StartInstanceResponse>;
/** The stop answer. */
export type StopInstanceResponse = z.infer<typeof StopInstanceResponse>;
/** The wipe answer. */
export type WipeResponse = z.infer<typeof WipeResponse>;
