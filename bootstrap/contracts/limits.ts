/**
 * The transport limits of the bootstrap contracts and the validator budgets
 * derived from them, so a log that validates can always be carried: every
 * CreateInstance becomes one `PUT /v1/instances/{id}` (a request body of at
 * most MAX_REQUEST_BODY_BYTES) and its args reach the instance process as one
 * environment string, `SPIVE_INSTANCE_ARGS=<JSON array>`, which Linux caps at
 * MAX_ARG_STRLEN bytes (execve(2): "the maximum length of a single string is
 * MAX_ARG_STRLEN", 32 pages). Pure: no I/O.
 */

/** The most bytes of any request body of the runner and event-store APIs (docs/contracts.md); more gets 413. */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;

/** Linux's limit on one argument or environment string, terminating NUL included (32 pages of 4 KiB; execve(2)). */
export const LINUX_MAX_ARG_STRLEN = 32 * 4096;

/** The environment variable an instance's args reach it in (the runner contract). */
export const INSTANCE_ARGS_ENV = "SPIVE_INSTANCE_ARGS";

/**
 * Room kept in a start request for everything but the args:
 * `{"process":"<≤64 chars>","zone":"<≤64 chars>","args":}`, with every
 * character at its longest UTF-8 form.
 */
export const START_REQUEST_ENVELOPE_BYTES = 512;

/**
 * The most bytes an instance's args may take, measured as the UTF-8 bytes of
 * their JSON array (`JSON.stringify(args)`, exactly what the body and the
 * environment string carry): the smaller of the runner body budget and the
 * environment-string budget (`SPIVE_INSTANCE_ARGS=` and the NUL included).
 * 131,051 bytes with today's limits.
 */
export const MAX_INSTANCE_ARGS_BYTES = Math.min(
  MAX_REQUEST_BODY_BYTES - START_REQUEST_ENVELOPE_BYTES,
  LINUX_MAX_ARG_STRLEN - (INSTANCE_ARGS_ENV.length + 1) - 1,
);

/**
 * The most bytes a gateway's static config may take as JSON (UTF-8): the same
 * budget as an instance's args, because a process receives the config of the
 * gateways it uses through the same runner call and environment.
 */
export const MAX_GATEWAY_CONFIG_BYTES = MAX_INSTANCE_ARGS_BYTES;

/** The UTF-8 size of a value's JSON: what a request body or an environment string carries. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/**
 * An upper bound of `jsonBytes(strings)` for strings without control
 * characters, computed without encoding: at most 3 bytes per UTF-16 unit
 * (an escaped quote or backslash takes 2, a BMP character 3, a surrogate pair
 * 4 for its 2 units), 3 per string for the quotes and comma, 2 for the
 * brackets. Lets the hot path skip the exact count for ordinary args.
 */
export function jsonBytesBound(strings: readonly string[]): number {
  let n = 2;
  for (let i = 0; i < strings.length; i++) n += 3 * strings[i]!.length + 3;
  return n;
}
