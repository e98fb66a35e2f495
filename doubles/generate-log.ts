/**
 * Generates valid bootstrap logs of any size for tests and benchmarks: one
 * type, an event-store and a runner gateway, one durable stream, one process,
 * then `instances` CreateInstance events spread round-robin over the zones.
 * The log has `instances + 7` events; its last position is that count.
 */

/** What to generate. */
export interface GeneratedLogSpec {
  /** How many instances (≥ 1 per zone, so the log is active-active). */
  readonly instances: number;
  /** The zones (the prod0 stack's). */
  readonly zones: readonly string[];
  /** A prefix of instance ids (default `spive-prod0`), so two logs can differ. */
  readonly idPrefix?: string;
}

/** The log's text, one event per line, ending with a newline. */
export function generateLog(spec: GeneratedLogSpec): string {
  if (spec.instances < spec.zones.length) {
    throw new Error(`generateLog: expected at least one instance per zone (${spec.zones.length}), got ${spec.instances}.`);
  }
  const prefix = spec.idPrefix ?? "spive-prod0";
  const ext = (pkg: string) => ({ package: pkg, version: "2026.11.0" });
  const events: object[] = [
    { kind: "Header", format: "spive-bootstrap-log", version: 1, layer: "prod0" },
    { kind: "CreateType", name: "SpiveScaler", extension: ext("@spive/scaler") },
    { kind: "CreateGateway", name: "LocalEventStoreGateway", role: "event-store", extension: ext("@spive/gateway-event-store") },
    { kind: "CreateGateway", name: "BasicRunnerGateway", role: "runner", extension: ext("@spive/gateway-basic-runner") },
    { kind: "CreateStream", gid: "gid:prod0/spive", store: "LocalEventStoreGateway", durable: true },
    { kind: "CreateProcess", name: "SpiveProd0", types: ["Spive", "SpiveScaler"], runner: "BasicRunnerGateway", gateways: ["LocalEventStoreGateway"], streams: ["gid:prod0/spive"] },
  ];
  for (let i = 0; i < spec.instances; i++) {
    const zone = spec.zones[i % spec.zones.length]!;
    events.push({ kind: "CreateInstance", id: `${prefix}-${i}`, process: "SpiveProd0", zone, args: [`--ordinal=${i}`] });
  }
  events.push({ kind: "End" });
  return `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
}
