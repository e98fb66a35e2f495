import type { BootstrapEvent, ExtensionRef, GatewayRole } from "./schema";
import { CORE_TYPES } from "./schema";

/**
 * The pure reducer of the bootstrap log: events → the bootstrap state (the
 * types, gateways, streams, processes and instances the log creates). The
 * validator folds every valid-shaped event through it, and the local doubles
 * use it to know what a log creates (e.g. which instances run in which zone).
 *
 * The reducer never validates: it is total, and on a duplicate name the first
 * creation wins (the validator reports the duplicate). `reduceLog` assumes
 * its events were validated; for untrusted input use `reduceValidLog`
 * (validate.ts), which validates and reduces in one pass.
 */

/** A type the platform knows: core (built in, position 0) or created by the log. */
export interface TypeRecord {
  /** The type's name. */
  readonly name: string;
  /** The extension it is loaded from; null for core types. */
  readonly extension: ExtensionRef | null;
  /** The position (line) that created it; 0 for core types. */
  readonly position: number;
}

/** A gateway created by the log. */
export interface GatewayRecord {
  /** The gateway's name. */
  readonly name: string;
  /** What it connects the platform to. */
  readonly role: GatewayRole;
  /** The extension it is loaded from. */
  readonly extension: ExtensionRef;
  /** Its static settings (empty when the event has none). */
  readonly config: Readonly<Record<string, string | number | boolean>>;
  /** The position (line) that created it. */
  readonly position: number;
}

/** A stream created by the log. */
export interface StreamRecord {
  /** The stream's fixed gid. */
  readonly gid: string;
  /** The event-store gateway that holds it. */
  readonly store: string;
  /** Whether it survives a wipe of prod-0. */
  readonly durable: boolean;
  /** The position (line) that created it. */
  readonly position: number;
}

/** A process created by the log. */
export interface ProcessRecord {
  /** The process's name. */
  readonly name: string;
  /** The types it runs. */
  readonly types: readonly string[];
  /** The runner gateway hosting its instances. */
  readonly runner: string;
  /** The gateways it uses. */
  readonly gateways: readonly string[];
  /** The stream gids it uses. */
  readonly streams: readonly string[];
  /** The position (line) that created it. */
  readonly position: number;
}

/** An instance created by the log: what the runner in `zone` must run. */
export interface InstanceRecord {
  /** The instance's id. */
  readonly id: string;
  /** Its process's name. */
  readonly process: string;
  /** The zone it runs in. */
  readonly zone: string;
  /** Its command-line arguments (empty when the event has none). */
  readonly args: readonly string[];
  /** The position (line) that created it. */
  readonly position: number;
}

/** The header of the log, once read. */
export interface HeaderRecord {
  /** The layer the log bootstraps, e.g. `prod0`. */
  readonly layer: string;
  /** The log format version. */
  readonly version: number;
  /** Its position (always 1 in a valid log). */
  readonly position: number;
}

/** Everything a log has created up to some position. Maps keep creation order. */
export interface BootstrapState {
  /** The header, once the Header event is applied. */
  readonly header: HeaderRecord | null;
  /** Types by name, core types first. */
  readonly types: ReadonlyMap<string, TypeRecord>;
  /** Gateways by name. */
  readonly gateways: ReadonlyMap<string, GatewayRecord>;
  /** Streams by gid. */
  readonly streams: ReadonlyMap<string, StreamRecord>;
  /** Processes by name. */
  readonly processes: ReadonlyMap<string, ProcessRecord>;
  /** Instances by id. */
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  /** The position of the last event applied (0 before any). */
  readonly position: number;
  /** The position of the End event, or 0 while the log has not ended. */
  readonly endPosition: number;
}

/** A state whose collections may be written: only ever a fresh copy owned by one reduction. */
interface DraftState {
  header: HeaderRecord | null;
  types: Map<string, TypeRecord>;
  gateways: Map<string, GatewayRecord>;
  streams: Map<string, StreamRecord>;
  processes: Map<string, ProcessRecord>;
  instances: Map<string, InstanceRecord>;
  position: number;
  endPosition: number;
}

const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_CONFIG: Readonly<Record<string, string | number | boolean>> = Object.freeze({});

/** The state before any event: only the core types exist. */
export function emptyState(): BootstrapState {
  return emptyDraft();
}

function emptyDraft(): DraftState {
  return {
    header: null,
    types: new Map(CORE_TYPES.map((name) => [name, { name, extension: null, position: 0 }])),
    gateways: new Map(),
    streams: new Map(),
    processes: new Map(),
    instances: new Map(),
    position: 0,
    endPosition: 0,
  };
}

/** Copies the state, duplicating only the collection `event` writes to, so the input is never changed. */
function copyFor(state: BootstrapState, event: BootstrapEvent): DraftState {
  const d = { ...state } as DraftState;
  switch (event.kind) {
    case "CreateType":
      d.types = new Map(state.types);
      break;
    case "CreateGateway":
      d.gateways = new Map(state.gateways);
      break;
    case "CreateStream":
      d.streams = new Map(state.streams);
      break;
    case "CreateProcess":
      d.processes = new Map(state.processes);
      break;
    case "CreateInstance":
      d.instances = new Map(state.instances);
      break;
    case "Header":
    case "End":
      break;
  }
  return d;
}

/**
 * Applies `event` at `position` to a draft in place. The first creation of a
 * name wins; the validator reports duplicates.
 */
function applyInPlace(d: DraftState, event: BootstrapEvent, position: number): void {
  d.position = position;
  switch (event.kind) {
    case "Header":
      if (d.header === null) d.header = { layer: event.layer, version: event.version, position };
      return;
    case "CreateType":
      if (!d.types.has(event.name)) {
        d.types.set(event.name, { name: event.name, extension: { package: event.extension.package, version: event.extension.version }, position });
      }
      return;
    case "CreateGateway":
      if (!d.gateways.has(event.name)) {
        d.gateways.set(event.name, {
          name: event.name,
          role: event.role,
          extension: { package: event.extension.package, version: event.extension.version },
          config: event.config ?? NO_CONFIG,
          position,
        });
      }
      return;
    case "CreateStream":
      if (!d.streams.has(event.gid)) d.streams.set(event.gid, { gid: event.gid, store: event.store, durable: event.durable, position });
      return;
    case "CreateProcess":
      if (!d.processes.has(event.name)) {
        d.processes.set(event.name, {
          name: event.name,
          types: event.types,
          runner: event.runner,
          gateways: event.gateways,
          streams: event.streams,
          position,
        });
      }
      return;
    case "CreateInstance":
      if (!d.instances.has(event.id)) {
        d.instances.set(event.id, { id: event.id, process: event.process, zone: event.zone, args: event.args ?? NO_ARGS, position });
      }
      return;
    case "End":
      if (d.endPosition === 0) d.endPosition = position;
      return;
  }
}

/**
 * The pure reducer: the state after applying `event` at `position` (default:
 * the next position). `state` is not changed; untouched collections are shared.
 */
export function reduceEvent(state: BootstrapState, event: BootstrapEvent, position: number = state.position + 1): BootstrapState {
  const d = copyFor(state, event);
  applyInPlace(d, event, position);
  return d;
}

/**
 * A reduction that owns its state and applies events in place: the linear-time
 * form of folding `reduceEvent`, used by the validator on million-line logs.
 * The state it exposes must not be written by callers.
 */
export class Reduction {
  private readonly draft: DraftState = emptyDraft();

  /** Applies `event` at `position` (its line number). */
  apply(event: BootstrapEvent, position: number): void {
    applyInPlace(this.draft, event, position);
  }

  /** The state so far. */
  get state(): BootstrapState {
    return this.draft;
  }
}

/**
 * Folds already-validated events (position = index + 1, as in the file) into
 * the bootstrap state. Equivalent to `events.reduce(reduceEvent, emptyState())`
 * but linear. It does not validate: for untrusted events use `reduceValidLog`.
 */
export function reduceLog(events: Iterable<BootstrapEvent>): BootstrapState {
  const r = new Reduction();
  let position = 0;
  for (const e of events) r.apply(e, ++position);
  return r.state;
}

/** The instances the log creates in `zone`, in log order. */
export function instancesInZone(state: BootstrapState, zone: string): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  for (const i of state.instances.values()) if (i.zone === zone) out.push(i);
  return out;
}

/** The instances the log creates, grouped by zone (zones in order of first appearance). */
export function instancesByZone(state: BootstrapState): Map<string, InstanceRecord[]> {
  const out = new Map<string, InstanceRecord[]>();
  for (const i of state.instances.values()) {
    const list = out.get(i.zone);
    if (list) list.push(i);
    else out.set(i.zone, [i]);
  }
  return out;
}
