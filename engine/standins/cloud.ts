import * as fs from "node:fs";
import * as path from "node:path";
import { REPLACE_ON } from "../../plan/replace-on";

/**
 * The "cloud" behind the stand-in providers: what each stand-in remembers
 * between engine runs, and how it decides between update and replace. No
 * Pulumi import: the provider process (standins/main.ts) wraps it.
 *
 * State lives in one append-only journal (`journal.jsonl` in the state folder):
 * every create, update and delete of every stand-in, with when it started and
 * ended, the inputs it was given and the outputs it returned. A provider
 * process rebuilds its package's state by replaying the journal when it starts,
 * so a later `pulumi preview` or `pulumi up` (a new process) sees what earlier
 * ones created, as a cloud would. Appends are single `write`s of one line, so
 * the three stand-ins (and parallel engine steps) can share the file.
 */

/** The environment variable naming the stand-ins' state folder (required). */
export const STATE_DIR_ENV = "SPIVE_STANDIN_STATE";
/** Scales every `time:Sleep` duration (e.g. `0.001` in tests; default 1: really sleep). */
export const TIME_SCALE_ENV = "SPIVE_STANDIN_TIME_SCALE";
/** Milliseconds a Kubernetes Deployment create or update takes to "roll out" (default 0). */
export const ROLLOUT_MS_ENV = "SPIVE_STANDIN_ROLLOUT_MS";

/** The journal's file name inside the state folder. */
export const JOURNAL_FILE = "journal.jsonl";

/** One journal line. */
export interface JournalEntry {
  /** When the operation ended (ISO 8601). */
  readonly at: string;
  /** The stand-in package: gcp, kubernetes or time. */
  readonly pkg: string;
  /** What happened. */
  readonly op: "create" | "update" | "delete";
  /** The resource's type token. */
  readonly type: string;
  /** The resource's URN. */
  readonly urn: string;
  /** The provider-assigned id. */
  readonly id: string;
  /** When the operation started (ms since the epoch). */
  readonly startMs: number;
  /** When the operation ended (ms since the epoch). */
  readonly endMs: number;
  /** The inputs the resource now has (create/update). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs?: Record<string, any>;
  /** The outputs the stand-in returned (create/update). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly outputs?: Record<string, any>;
}

/** A resource the stand-in cloud holds. */
export interface CloudObject {
  readonly type: string;
  readonly urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: Record<string, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly outputs: Record<string, any>;
}

/** Reads every line of a journal (an absent journal is empty). Throws naming file:line on a corrupt line. */
export function readJournal(file: string): JournalEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: JournalEntry[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // A line cut short by a crash can only be the last one.
      if (i < lines.length - 2) throw new Error(`${file}:${i + 1}: expected one JSON journal entry per line, got ${JSON.stringify(line.slice(0, 80))}.`);
    }
  });
  return out;
}

/** The sentinel the engine sends for a value that is not known yet (a preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Drops `undefined` members (protobuf Structs cannot hold them) and unwraps nothing else. */
export function stripUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => stripUndefined(x)) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
    return out as T;
  }
  return v;
}

function isSecret(v: unknown): v is { value: unknown } {
  return Boolean(v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] !== undefined);
}

/**
 * Every leaf path where `a` and `b` differ, dotted with `[i]` for array
 * elements (`spec.template.spec.containers[0].image`). Secrets compare by
 * value; an unknown value differs from everything.
 */
export function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  if (isSecret(a)) a = a.value;
  if (isSecret(b)) b = b.value;
  if (a === UNKNOWN || b === UNKNOWN) return [at];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...changedPaths(a[i], b[i], `${at}[${i}]`));
    return out;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const out: string[] = [];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) out.push(...changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
    return out;
  }
  return a === b ? [] : [at];
}

/** Whether the changed leaf `changed` lies at or below the dotted input path `path`. */
export function isUnder(changed: string, path: string): boolean {
  const plain = changed.replace(/\[\d+\]/g, "");
  return plain === path || plain.startsWith(`${path}.`);
}

/** The outcome of comparing a resource's recorded inputs with its new ones. */
export interface DiffDecision {
  /** Every changed leaf path. */
  readonly changed: readonly string[];
  /** The REPLACE_ON paths the change touches (non-empty: replace). */
  readonly replaces: readonly string[];
}

/** Decides update versus replace for `type` from the committed REPLACE_ON table. */
export function decide(type: string, olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const changed = changedPaths(olds, news);
  const replaces = (REPLACE_ON[type] ?? []).filter((p) => changed.some((c) => isUnder(c, p)));
  return { changed, replaces };
}

/** The cloud of one stand-in package, backed by the shared journal. */
export class StandInCloud {
  private readonly objects = new Map<string, CloudObject>();
  /** The journal file. */
  readonly journal: string;

  /** Opens the cloud of `pkg` in `dir`, replaying what earlier runs did. */
  constructor(readonly pkg: string, dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.journal = path.join(dir, JOURNAL_FILE);
    for (const e of readJournal(this.journal)) {
      if (e.pkg !== pkg) continue;
      if (e.op === "delete") this.objects.delete(e.id);
      else this.objects.set(e.id, { type: e.type, urn: e.urn, inputs: e.inputs ?? {}, outputs: e.outputs ?? {} });
    }
  }

  /** The object with this id, if the cloud holds it. */
  get(id: string): CloudObject | undefined {
    return this.objects.get(id);
  }

  /** Every object the cloud holds, by id. */
  all(): ReadonlyMap<string, CloudObject> {
    return this.objects;
  }

  /** Records an operation (in memory and in the journal). */
  record(op: JournalEntry["op"], id: string, obj: CloudObject, startMs: number): void {
    const endMs = Date.now();
    if (op === "delete") this.objects.delete(id);
    else this.objects.set(id, obj);
    const entry: JournalEntry = {
      at: new Date(endMs).toISOString(),
      pkg: this.pkg,
      op,
      type: obj.type,
      urn: obj.urn,
      id,
      startMs,
      endMs,
      ...(op === "delete" ? {} : { inputs: obj.inputs, outputs: obj.outputs }),
    };
    fs.appendFileSync(this.journal, `${JSON.stringify(entry)}\n`);
  }
}

/** Parses a Go duration as the time provider accepts it (`30s`, `5m`, `1h30m`, `250ms`) into milliseconds. */
export function parseGoDuration(text: string, where: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(text)) throw new Error(`${where}: expected a duration like 30s, 5m or 1h30m, got ${JSON.stringify(text)}.`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const m of text.matchAll(re)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms;
}

/** A non-negative number from the environment, or `fallback`; throws one sentence on anything else. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a non-negative number, got ${JSON.stringify(raw)}.`);
  return n;
}
