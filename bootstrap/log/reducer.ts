import type { BootstrapEvent, CreateInstanceEvent, ExtensionRef, GatewayRole } from "./schema";
import { IdIndex, IntColumn } from "./id-index";
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
  /** Instances by id, in creation order (a compact table; see `InstanceTable`). */
  readonly instances: InstanceTable;
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
  instances: InstanceTable;
  position: number;
  endPosition: number;
}

const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_CONFIG: Readonly<Record<string, string | number | boolean>> = Object.freeze({});

/** Slots of the instance table's single-argument cache (a power of two). */
const ARG_CACHE = 64;

/** Largest number of distinct argument lists the table shares between instances. */
const MAX_INTERNED_ARGS = 4096;

/**
 * The instances of a state: a read-only map from id to record, stored in
 * columns (ids in an `IdIndex`; per row, a shared (placement, args) profile
 * in an Int32 column; positions as runs of consecutive lines) so that a
 * million-instance log fits in a few tens of megabytes.
 * Process and zone names are shared between rows, and so are identical
 * argument lists (frozen). Records are built on access.
 *
 * `add` keeps the first creation of an id. `append` (the validator's bulk
 * path) does not look first; `settle` then drops later duplicates in one
 * pass and reports them. Lookups always find the first creation.
 */
export class InstanceTable implements ReadonlyMap<string, InstanceRecord> {
  private ids = new IdIndex();
  /** Per row: an index into `profiles` (its placement and args). */
  private profileOf = new IntColumn();
  /** Positions as runs: rows from `runRow[k]` on have position row + `runDelta[k]` (instances are mostly consecutive lines). */
  private runRow: number[] = [];
  private runDelta: number[] = [];
  private profiles: { readonly placement: number; readonly args: number }[] = [];
  private profileIndex = new Map<number, number>();
  private argsList: (readonly string[])[] = [NO_ARGS];
  private placementList: { readonly process: string; readonly zone: string }[] = [];
  private placementIndex = new Map<string, Map<string, number>>();
  private singleArgs = new Map<string, number>();
  private argCacheKeys: (string | undefined)[] = new Array<string | undefined>(ARG_CACHE).fill(undefined);
  private argCacheIndex = new Int32Array(ARG_CACHE);
  private listArgs = new Map<string, number>();

  /** How many instances there are (later duplicates count until `settle` drops them). */
  get size(): number {
    return this.ids.size;
  }

  /** Whether an instance with this id exists. */
  has(id: string): boolean {
    return this.ids.rowOf(id) >= 0;
  }

  /** The instance with this id (its first creation), if any. */
  get(id: string): InstanceRecord | undefined {
    const row = this.ids.rowOf(id);
    return row < 0 ? undefined : this.record(row);
  }

  /** Every (process, zone) pair that has at least one instance, in order of first appearance. */
  placements(): readonly { readonly process: string; readonly zone: string }[] {
    return this.placementList;
  }

  /**
   * Adds an instance unless its id exists (the first creation wins); returns
   * whether it was added. Only the owner of a draft state may call this.
   */
  add(id: string, process: string, zone: string, args: readonly string[], position: number): boolean {
    if (this.ids.rowOf(id) >= 0) return false;
    this.append(id, process, zone, args, position);
    return true;
  }

  /** Appends an instance without looking for its id; call `settle` before relying on uniqueness. */
  append(id: string, process: string, zone: string, args: readonly string[], position: number): void {
    const row = this.ids.append(id);
    this.profileOf.push(this.profile(this.placement(process, zone), this.intern(args)));
    const last = this.runDelta.length - 1;
    if (last < 0 || this.runDelta[last] !== position - row) {
      this.runRow.push(row);
      this.runDelta.push(position - row);
    }
  }

  /** Drops instances appended with an id that an earlier one has; returns them with the first one's position. */
  settle(): { readonly id: string; readonly position: number; readonly firstPosition: number }[] {
    return this.ids.settle().map((d) => ({ id: this.ids.idAt(d.row), position: this.positionAt(d.row), firstPosition: this.positionAt(d.firstRow) }));
  }

  /** A copy that can be changed without changing this table. */
  clone(): InstanceTable {
    const t = new InstanceTable();
    t.ids = this.ids.clone();
    t.profileOf = this.profileOf.clone();
    t.runRow = this.runRow.slice();
    t.runDelta = this.runDelta.slice();
    t.profiles = this.profiles.slice();
    t.profileIndex = new Map(this.profileIndex);
    t.argsList = this.argsList.slice();
    t.placementList = this.placementList.slice();
    t.placementIndex = new Map([...this.placementIndex].map(([p, zones]) => [p, new Map(zones)]));
    t.singleArgs = new Map(this.singleArgs);
    t.argCacheKeys = this.argCacheKeys.slice();
    t.argCacheIndex = this.argCacheIndex.slice();
    t.listArgs = new Map(this.listArgs);
    return t;
  }

  /** Calls `fn` for every instance, in creation order. */
  forEach(fn: (value: InstanceRecord, key: string, map: ReadonlyMap<string, InstanceRecord>) => void, thisArg?: unknown): void {
    for (const r of this.values()) fn.call(thisArg, r, r.id, this);
  }

  /** The instance ids, in creation order. */
  *keys(): MapIterator<string> {
    for (const r of this.values()) yield r.id;
  }

  /** The instances, in creation order. */
  *values(): MapIterator<InstanceRecord> {
    const rows = this.ids.rows;
    for (let row = 0; row < rows; row++) if (!this.ids.isDead(row)) yield this.record(row);
  }

  /** `[id, instance]` pairs, in creation order. */
  *entries(): MapIterator<[string, InstanceRecord]> {
    for (const r of this.values()) yield [r.id, r];
  }

  /** Same as `entries()`. */
  [Symbol.iterator](): MapIterator<[string, InstanceRecord]> {
    return this.entries();
  }

  private record(row: number): InstanceRecord {
    const profile = this.profiles[this.profileOf.at(row)!]!;
    const p = this.placementList[profile.placement]!;
    return { id: this.ids.idAt(row), process: p.process, zone: p.zone, args: this.argsList[profile.args]!, position: this.positionAt(row) };
  }

  /** The position of `row`: a binary search over the position runs. */
  private positionAt(row: number): number {
    let lo = 0;
    let hi = this.runRow.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runRow[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return row + this.runDelta[lo]!;
  }

  /** The index of the (placement, args) pair in `profiles`, shared between rows. */
  private profile(placement: number, args: number): number {
    const key = placement * 0x200000 + args;
    const known = args < 0x200000 ? this.profileIndex.get(key) : undefined;
    if (known !== undefined) return known;
    const index = this.profiles.length;
    this.profiles.push({ placement, args });
    if (args < 0x200000 && this.profileIndex.size < MAX_INTERNED_ARGS * 4) this.profileIndex.set(key, index);
    return index;
  }

  private placement(process: string, zone: string): number {
    // Few placements, usually passed the same shared strings: a short scan beats two map lookups.
    const list = this.placementList;
    for (let i = 0; i < list.length && i < 8; i++) if (list[i]!.process === process && list[i]!.zone === zone) return i;
    let zones = this.placementIndex.get(process);
    if (zones === undefined) this.placementIndex.set(process, (zones = new Map()));
    let i = zones.get(zone);
    if (i === undefined) {
      i = this.placementList.length;
      this.placementList.push({ process, zone });
      zones.set(zone, i);
    }
    return i;
  }

  /** The index in `argsList` of a list equal to `args`, shared when it was seen before. */
  private intern(args: readonly string[]): number {
    if (args.length === 0) return 0;
    if (args.length === 1) {
      // A small direct-mapped cache in front of the map: most instances repeat a handful of single arguments.
      const arg = args[0]!;
      const slot = (arg.length * 31 + (arg.length > 0 ? arg.charCodeAt(arg.length - 1) : 0)) & (ARG_CACHE - 1);
      if (this.argCacheKeys[slot] === arg) return this.argCacheIndex[slot]!;
      const index = this.internSlow(args);
      this.argCacheKeys[slot] = arg;
      this.argCacheIndex[slot] = index;
      return index;
    }
    return this.internSlow(args);
  }

  private internSlow(args: readonly string[]): number {
    const map = args.length === 1 ? this.singleArgs : this.listArgs;
    const key = args.length === 1 ? args[0]! : JSON.stringify(args);
    const known = map.get(key);
    if (known !== undefined) return known;
    const index = this.argsList.length;
    this.argsList.push(Object.freeze(args.slice()));
    if (map.size < MAX_INTERNED_ARGS) map.set(key, index);
    return index;
  }
}

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
    instances: new InstanceTable(),
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
      d.instances = state.instances.clone();
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
      d.instances.add(event.id, event.process, event.zone, event.args ?? NO_ARGS, position);
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

  /** Applies `event` at `position` (its line number); instances are appended as by `applyInstance`. */
  apply(event: BootstrapEvent, position: number): void {
    if (event.kind === "CreateInstance") this.applyInstance(event, position);
    else applyInPlace(this.draft, event, position);
  }

  /**
   * Appends a CreateInstance event at `position` without looking its id up:
   * the validator's hot path. Call `settle` at the end to drop (and report)
   * duplicates; until then the state may hold them.
   */
  applyInstance(event: CreateInstanceEvent, position: number, process: string = event.process, zone: string = event.zone): void {
    this.draft.position = position;
    this.draft.instances.append(event.id, process, zone, event.args ?? NO_ARGS, position);
  }

  /**
   * Drops instances whose id an earlier instance has (the first creation
   * wins) and returns them; the validator reports each as a duplicate.
   */
  settle(): { readonly id: string; readonly position: number; readonly firstPosition: number }[] {
    return this.draft.instances.settle();
  }

  /** The state so far (it may hold duplicate instances until `settle`). */
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
  r.settle();
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
