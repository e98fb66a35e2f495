import { z } from "zod";
import { jsonBytes, MAX_GATEWAY_CONFIG_BYTES, MAX_INSTANCE_ARGS_BYTES } from "../contracts/limits";
import { SAFE_TEXT, SAFE_TEXT_EXPECTED } from "../contracts/text";

/**
 * The zod schemas of the bootstrap log (`SpiveProdBootstrap.jsonl`): one JSON
 * event per line, each a strict object (unknown fields are errors) picked by
 * its `kind`. The schemas are the single source of the event types
 * (`z.infer`). The format and the design decisions are documented in
 * `bootstrap/README.md`.
 *
 * Positions: an event's position is its 1-based line number. Blank lines are
 * not allowed, so the position is also the event's 1-based index in the log;
 * the Header is position 1 and the End event carries the log's last position.
 */

/** The only log format version this code reads. */
export const LOG_FORMAT_VERSION = 1;

/** The `format` value of the Header event. */
export const LOG_FORMAT = "spive-bootstrap-log";

/** Types built into every Spive process; they are never created by the log, but may be referenced. */
export const CORE_TYPES: readonly string[] = ["Spive"];

/** The pattern of type, gateway and process names: PascalCase, e.g. `SpiveScaler`. */
export const NAME_PATTERN = /^[A-Z][A-Za-z0-9]{0,63}$/;
/** The pattern of instance ids: a DNS label, e.g. `spive-prod0-europe-west1-b-0`. */
export const INSTANCE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The pattern of stream gids: `gid:<layer>/<segment>[/<segment>…]`, e.g. `gid:prod0/inventory`. */
export const GID_PATTERN = /^gid:[a-z][a-z0-9]*(?:\/[a-z0-9](?:[a-z0-9-]{0,62}))+$/;
/** The pattern of a layer name in the header: `prod<N>`. */
export const LAYER_PATTERN = /^prod[0-9]$/;
/** The pattern of GCP zone names, as in the stack config schema. */
export const ZONE_PATTERN = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
/** The pattern of extension package names (npm-style, optionally scoped), e.g. `@spive/scaler`. */
export const PACKAGE_PATTERN = /^(?:@[a-z0-9][a-z0-9-]*\/)?[a-z0-9][a-z0-9._-]{0,127}$/;
/** The pattern of extension versions, as in the stack config schema, e.g. `2026.11.0`. */
export const VERSION_PATTERN = /^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?$/;
/** The pattern of gateway config keys (camelCase-ish identifiers; never `__proto__`). */
export const CONFIG_KEY_PATTERN = /^[a-z][A-Za-z0-9]{0,63}$/;
/** Longest string accepted in an instance's args or a gateway's config value. */
export const MAX_STRING_LENGTH = 4096;
/**
 * Most bytes of an instance's args as JSON (UTF-8), derived from the runner
 * API's body limit and Linux's argument-string limit
 * (`bootstrap/contracts/limits.ts`), so a log that validates can be carried.
 */
export const MAX_ARGS_BYTES = MAX_INSTANCE_ARGS_BYTES;
/** Most bytes of a gateway's config as JSON (UTF-8); the same budget as args. */
export const MAX_CONFIG_BYTES = MAX_GATEWAY_CONFIG_BYTES;
/** Most items accepted in one list field (types, gateways, streams, args). */
export const MAX_LIST_LENGTH = 64;

/** A type, gateway or process name. */
export const Name = z.string().regex(NAME_PATTERN, "a PascalCase name such as SpiveScaler (a letter A-Z, then up to 63 letters or digits)");
/** A durable stream's fixed global id. */
export const Gid = z.string().regex(GID_PATTERN, "a stream gid such as gid:prod0/inventory (gid:<layer>/ then lowercase path segments)");
/** An instance id (a DNS label). */
export const InstanceId = z
  .string()
  .regex(INSTANCE_ID_PATTERN, "an instance id such as spive-prod0-europe-west1-b-0 (lowercase letters, digits and hyphens, at most 63)");
/** A GCP zone name. */
export const Zone = z.string().regex(ZONE_PATTERN, "a GCP zone name such as europe-west1-b");
/** A free-text value (an arg, a config string): bounded, without control or bidi characters. */
export const SafeText = z.string().max(MAX_STRING_LENGTH).regex(SAFE_TEXT, SAFE_TEXT_EXPECTED);

/** A zod check that a value's JSON takes at most `max` bytes; `what` names it in the sentence. */
function withinBytes(max: number, what: string) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const bytes = jsonBytes(value);
    if (bytes > max) ctx.addIssue({ code: "custom", message: `${what} of at most ${max} bytes as JSON (the runner API's body limit and Linux's argument-string limit, docs/contracts.md)`, params: { found: `${bytes} bytes` } });
  };
}

/**
 * How a type or a gateway is loaded: both are extensions of the Spive
 * runtime, loaded by the same mechanism from a package at a pinned version.
 */
export const ExtensionRef = z
  .strictObject({
    package: z.string().regex(PACKAGE_PATTERN, "a package name such as @spive/scaler").describe("The extension package."),
    version: z.string().regex(VERSION_PATTERN, "a version such as 2026.11.0").describe("The pinned version of the package."),
  })
  .describe("An extension package at a pinned version.");

/** The first line of every log: names the format, its version and the layer the log bootstraps. */
export const HeaderEvent = z
  .strictObject({
    kind: z.literal("Header"),
    format: z.literal(LOG_FORMAT).describe(`Always "${LOG_FORMAT}".`),
    version: z.literal(LOG_FORMAT_VERSION).describe("The log format version."),
    layer: z.string().regex(LAYER_PATTERN, "a layer name such as prod0").describe("The layer this log bootstraps; every gid starts with gid:<layer>/."),
  })
  .describe("The log header (line 1 only).");

/** Loads a non-core type (e.g. SpiveScaler) into the platform. */
export const CreateTypeEvent = z
  .strictObject({
    kind: z.literal("CreateType"),
    name: Name.describe("The type's unique name."),
    extension: ExtensionRef,
  })
  .describe("Creates a type from an extension package.");

/** The roles a gateway can play; a reference checks the role it needs. */
export const GatewayRole = z.enum(["event-store", "runner", "alerting"]).describe("What the gateway connects the platform to.");

/** A gateway config value: a string, a finite number or a boolean. */
export const ConfigValue = z.union([SafeText, z.number(), z.boolean()]);

/** Loads a gateway (event store, runner or alerting backend) into the platform. */
export const CreateGatewayEvent = z
  .strictObject({
    kind: z.literal("CreateGateway"),
    name: Name.describe("The gateway's unique name."),
    role: GatewayRole,
    extension: ExtensionRef,
    config: z
      .record(z.string().regex(CONFIG_KEY_PATTERN, "a config key such as instance (a lowercase letter, then letters or digits)"), ConfigValue)
      .superRefine(withinBytes(MAX_CONFIG_BYTES, "a config"))
      .optional()
      .describe("Static settings; deployment-specific values come from the infrastructure binding."),
  })
  .describe("Creates a gateway from an extension package.");

/** Creates a durable event stream with a fixed gid in an event-store gateway. */
export const CreateStreamEvent = z
  .strictObject({
    kind: z.literal("CreateStream"),
    gid: Gid.describe("The stream's fixed global id; a rebuilt prod-0 reattaches to the same data."),
    store: Name.describe("The event-store gateway that holds the stream."),
    durable: z.boolean().describe("Whether the stream survives a wipe of prod-0 (durable event store)."),
  })
  .describe("Creates an event stream.");

/** Creates a process: the types it runs, the runner that hosts its instances, the gateways and streams it uses. */
export const CreateProcessEvent = z
  .strictObject({
    kind: z.literal("CreateProcess"),
    name: Name.describe("The process's unique name."),
    types: z.array(Name).min(1, "at least one type").max(MAX_LIST_LENGTH, `at most ${MAX_LIST_LENGTH} types`).describe("Types the process runs (core or created earlier)."),
    runner: Name.describe("The runner gateway that hosts the process's instances."),
    gateways: z.array(Name).max(MAX_LIST_LENGTH, `at most ${MAX_LIST_LENGTH} gateways`).describe("Gateways the process uses."),
    streams: z.array(Gid).max(MAX_LIST_LENGTH, `at most ${MAX_LIST_LENGTH} streams`).describe("Streams the process reads and writes."),
  })
  .describe("Creates a process.");

/** Creates one instance of a process in one zone, with its arguments. */
export const CreateInstanceEvent = z
  .strictObject({
    kind: z.literal("CreateInstance"),
    id: InstanceId.describe("The instance's unique id."),
    process: Name.describe("The process this is an instance of (created earlier)."),
    zone: Zone.describe("The zone the instance runs in: one the prod0 stack declares."),
    args: z
      .array(SafeText)
      .max(MAX_LIST_LENGTH, `at most ${MAX_LIST_LENGTH} args`)
      .superRefine(withinBytes(MAX_ARGS_BYTES, "args"))
      .optional()
      .describe("Command-line arguments passed to the instance (none if absent)."),
  })
  .describe("Creates an instance.");

/** The last line of every log: nothing may follow it; a log cut at a line boundary lacks it. */
export const EndEvent = z.strictObject({ kind: z.literal("End") }).describe("The end of the log (last line only).");

/** Every event kind, in the order they usually appear. */
export const EVENT_KINDS = ["Header", "CreateType", "CreateGateway", "CreateStream", "CreateProcess", "CreateInstance", "End"] as const;

/** The name of an event kind. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** The strict schema of each event kind. */
export const EVENT_SCHEMAS = {
  Header: HeaderEvent,
  CreateType: CreateTypeEvent,
  CreateGateway: CreateGatewayEvent,
  CreateStream: CreateStreamEvent,
  CreateProcess: CreateProcessEvent,
  CreateInstance: CreateInstanceEvent,
  End: EndEvent,
} as const;

/** Any bootstrap log event: a discriminated union on `kind`. */
export const BootstrapEvent = z
  .discriminatedUnion("kind", [HeaderEvent, CreateTypeEvent, CreateGatewayEvent, CreateStreamEvent, CreateProcessEvent, CreateInstanceEvent, EndEvent])
  .describe("One line of the bootstrap log.");

/** The extension reference of a type or gateway. */
export type ExtensionRef = z.infer<typeof ExtensionRef>;
/** A gateway role. */
export type GatewayRole = z.infer<typeof GatewayRole>;
/** The Header event. */
export type HeaderEvent = z.infer<typeof HeaderEvent>;
/** A CreateType event. */
export type CreateTypeEvent = z.infer<typeof CreateTypeEvent>;
/** A CreateGateway event. */
export type CreateGatewayEvent = z.infer<typeof CreateGatewayEvent>;
/** A CreateStream event. */
export type CreateStreamEvent = z.infer<typeof CreateStreamEvent>;
/** A CreateProcess event. */
export type CreateProcessEvent = z.infer<typeof CreateProcessEvent>;
/** A CreateInstance event. */
export type CreateInstanceEvent = z.infer<typeof CreateInstanceEvent>;
/** The End event. */
export type EndEvent = z.infer<typeof EndEvent>;
/** Any bootstrap log event. */
export type BootstrapEvent = z.infer<typeof BootstrapEvent>;

/** Whether `kind` names a known event kind. */
export function isEventKind(kind: unknown): kind is EventKind {
  return typeof kind === "string" && Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, kind);
}
