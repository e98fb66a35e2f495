import type { Problem } from "./errors";
import type { BootstrapState } from "./reducer";
import type { BootstrapEvent, GatewayRole } from "./schema";

/**
 * The semantic checks of one well-formed event against the state before it
 * (pure): unique names, ids and gids; references that resolve to something
 * created earlier, with the right role; gids of the header's layer; instances
 * only in the zones the prod0 stack declares. Plus the end-of-log check that
 * every process is active-active in every zone.
 */

/** What a reference points at, so the validator can tell later whether it was created after the line. */
export interface Reference {
  /** The namespace of the referenced name. */
  readonly namespace: "type" | "gateway" | "stream" | "process";
  /** The referenced name or gid. */
  readonly name: string;
}

/** A semantic problem; unresolved references carry what they point at. */
export interface SemanticProblem extends Problem {
  /** Set when the problem is a reference to something not created before this line. */
  readonly ref?: Reference;
}

/** Options of the semantic checks. */
export interface SemanticOptions {
  /** The zones instances may run in (the prod0 stack's zones); no zone check when absent. */
  readonly zones?: readonly string[];
  /** Where the zones come from, for messages, e.g. `stacks/Pulumi.prod0.yaml > spive:layer.regions[0].zones`. */
  readonly zonesSource?: string;
  /** Leave duplicate instance ids to the caller (the validator finds them all at once at the end, see `duplicateInstanceProblem`). */
  readonly deferInstanceDuplicates?: boolean;
  /** Processes the end-of-log zone check skips (an instance line meant for them was already reported invalid). */
  readonly exceptProcesses?: ReadonlySet<string>;
}

/** The problem of an instance id created again at `position` (first at `firstPosition`). */
export function duplicateInstanceProblem(id: string, position: number, firstPosition: number): SemanticProblem {
  return { line: position, kind: "CreateInstance", path: "id", message: `instance "${id}" is already created at line ${firstPosition}; expected a unique id` };
}

const ROLE_WORDS: Record<GatewayRole, string> = {
  "event-store": "an event-store gateway",
  runner: "a runner gateway",
  alerting: "an alerting gateway",
};

/** Checks one event at `position` against the state of everything before it. */
export function checkEvent(state: BootstrapState, event: BootstrapEvent, position: number, opts: SemanticOptions = {}): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const kind = event.kind;
  const add = (path: string, message: string, ref?: Reference) => out.push(ref ? { line: position, kind, path, message, ref } : { line: position, kind, path, message });

  const gateway = (path: string, name: string, role: GatewayRole | null) => {
    const g = state.gateways.get(name);
    if (!g) add(path, `gateway "${name}" is not created before this line`, { namespace: "gateway", name });
    else if (role !== null && g.role !== role) add(path, `gateway "${name}" (line ${g.position}) has role ${g.role}; expected ${ROLE_WORDS[role]}`);
  };
  const gidLayer = (path: string, gid: string) => {
    const layer = state.header?.layer;
    if (layer !== undefined && !gid.startsWith(`gid:${layer}/`)) {
      add(path, `gid "${gid}" is not of this log's layer; expected a gid starting with gid:${layer}/ (the Header's layer)`);
    }
  };
  const listedTwice = (field: string, items: readonly string[], what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item);
      if (first !== undefined) add(`${field}[${i}]`, `${what} "${item}" is already listed at ${field}[${first}]; expected each ${what} once`);
      else seen.set(item, i);
    });
  };

  switch (event.kind) {
    case "Header":
    case "End":
      break;
    case "CreateType": {
      const t = state.types.get(event.name);
      if (t && t.position === 0) add("name", `type "${event.name}" is a core type, built into every process; expected the name of a non-core type`);
      else if (t) add("name", `type "${event.name}" is already created at line ${t.position}; expected a unique name`);
      break;
    }
    case "CreateGateway": {
      const g = state.gateways.get(event.name);
      if (g) add("name", `gateway "${event.name}" is already created at line ${g.position}; expected a unique name`);
      break;
    }
    case "CreateStream": {
      const s = state.streams.get(event.gid);
      if (s) add("gid", `stream "${event.gid}" is already created at line ${s.position}; expected a unique gid`);
      gidLayer("gid", event.gid);
      gateway("store", event.store, "event-store");
      break;
    }
    case "CreateProcess": {
      const p = state.processes.get(event.name);
      if (p) add("name", `process "${event.name}" is already created at line ${p.position}; expected a unique name`);
      event.types.forEach((t, i) => {
        if (!state.types.has(t)) add(`types[${i}]`, `type "${t}" is not created before this line`, { namespace: "type", name: t });
      });
      listedTwice("types", event.types, "type");
      gateway("runner", event.runner, "runner");
      event.gateways.forEach((g, i) => gateway(`gateways[${i}]`, g, null));
      listedTwice("gateways", event.gateways, "gateway");
      event.streams.forEach((gid, i) => {
        if (!state.streams.has(gid)) add(`streams[${i}]`, `stream "${gid}" is not created before this line`, { namespace: "stream", name: gid });
      });
      listedTwice("streams", event.streams, "stream");
      break;
    }
    case "CreateInstance": {
      const inst = opts.deferInstanceDuplicates ? undefined : state.instances.get(event.id);
      if (inst) out.push(duplicateInstanceProblem(event.id, position, inst.position));
      if (!state.processes.has(event.process)) {
        add("process", `process "${event.process}" is not created before this line`, { namespace: "process", name: event.process });
      }
      if (opts.zones && !opts.zones.includes(event.zone)) {
        const source = opts.zonesSource ? ` (${opts.zonesSource})` : "";
        add("zone", `zone "${event.zone}" is not declared by the prod0 stack; expected one of ${opts.zones.join(", ")}${source}`);
      }
      break;
    }
  }
  return out;
}

/**
 * The end-of-log check: prod-0 is active-active, so every process must have at
 * least one instance in each zone. Reported at the process's line; skipped
 * for `opts.exceptProcesses`.
 */
export function checkComplete(state: BootstrapState, opts: SemanticOptions = {}): SemanticProblem[] {
  const zones = opts.zones;
  if (!zones || zones.length === 0) return [];
  const seen = new Map<string, Set<string>>();
  for (const i of state.instances.placements()) {
    let s = seen.get(i.process);
    if (!s) seen.set(i.process, (s = new Set()));
    s.add(i.zone);
  }
  const out: SemanticProblem[] = [];
  for (const p of state.processes.values()) {
    if (opts.exceptProcesses?.has(p.name)) continue;
    const have = seen.get(p.name);
    const missing = zones.filter((z) => !have?.has(z));
    if (missing.length > 0) {
      out.push({
        line: p.position,
        kind: "CreateProcess",
        path: "",
        message: `process "${p.name}" has no instance in zone${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; prod-0 is active-active, so expected at least one instance in each of ${zones.join(", ")}`,
      });
    }
  }
  return out;
}
