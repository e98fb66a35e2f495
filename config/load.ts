import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { StackConfig } from "./schema";

/**
 * The repository root: the nearest folder above this file holding
 * `Pulumi.yaml` (this file lives in `<root>/config/`, or in
 * `<root>/dist/cli-<fingerprint>/config/` when the CLI runs compiled).
 */
export const REPO_ROOT = findRepoRoot(path.resolve(__dirname, ".."));

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

/**
 * A path as messages print it: a relative path as the user gave it (it is
 * relative to their working directory), an absolute path inside the
 * repository relative to the repository (the committed defaults:
 * `stacks/Pulumi.prod1.yaml`), any other absolute path as it is.
 */
export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return path.normalize(file);
  const rel = path.relative(REPO_ROOT, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** The committed stack configs' folder, as named in Pulumi.yaml's `stackConfigDir`. */
export const STACKS_DIR = path.join(REPO_ROOT, "stacks");

/** A configuration error: one message listing every problem, each naming the file and the key path. */
export class ConfigError extends Error {
  /** Every problem, one line each. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `Invalid stack configuration: ${problems[0]}`
        : `Invalid stack configuration (${problems.length} problems):\n  ${problems.join("\n  ")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * The folder Pulumi reads a project's stack configs from: `stackConfigDir` of
 * the Pulumi.yaml in `projectRoot` (`pulumi.runtime.getRootDirectory()`),
 * relative to it, or the project folder itself when it sets none. The
 * repository's own project gives `stacks/`; a small setup in `examples/` its
 * own folder. Without a readable Pulumi.yaml (e.g. on the mock engine, whose
 * root is empty) it is the committed `stacks/`.
 */
export function stacksDirOfProject(projectRoot: string): string {
  if (projectRoot === "") return STACKS_DIR;
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8"));
  } catch {
    return STACKS_DIR;
  }
  const dir = (doc as { stackConfigDir?: unknown } | null)?.stackConfigDir;
  return path.resolve(projectRoot, typeof dir === "string" && dir !== "" ? dir : ".");
}

/** The path of a stack's committed config file, e.g. `stacks/Pulumi.prod1.yaml`. */
export function stackFilePath(stack: string, dir: string = STACKS_DIR): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** Renders a zod issue path as `spive:layer.regions[3].zones`. */
export function formatKeyPath(keyPath: readonly PropertyKey[]): string {
  let out = "";
  for (const part of keyPath) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "config";
}

function valueAt(root: unknown, keyPath: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const part of keyPath) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part as string];
  }
  return cur;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Turns zod issues into full-sentence problems: `<file> > <key path>: expected …, got …`. */
export function formatIssues(source: string, raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const where = formatKeyPath(issue.path);
      return `${source} > ${where}: expected only known keys, got unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    }
    const where = formatKeyPath(issue.path);
    let msg = issue.message.replace(/^[A-Z][A-Za-z ]*: (?=expected)/, "");
    if (!/\bgot\b/.test(msg)) {
      if (!/^expected\b/i.test(msg)) msg = `expected ${msg}`;
      msg = `${msg.replace(/, received .*$/, "")}, got ${describeValue(valueAt(raw, issue.path))}`;
    }
    return `${source} > ${where}: ${msg}`;
  });
}

/**
 * Validates a raw `config:` map (as in a stack file, or as Pulumi hands it to
 * the program) against the schema. Only `gcp:project` and the `spive:`
 * namespace are read; other namespaces (e.g. `gcp:region`, `kubernetes:*`)
 * are left to their providers. Throws one ConfigError listing every problem.
 */
export function parseStackConfig(raw: Record<string, unknown>, source: string): StackConfig {
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "gcp:project" || k.startsWith("spive:")) picked[k] = v;
  }
  const res = StackConfig.safeParse(picked);
  if (!res.success) throw new ConfigError(formatIssues(source, picked, res.error.issues));
  return res.data;
}

/** The top-level keys a Pulumi stack file may hold (Pulumi's stack settings file format). */
export const STACK_FILE_KEYS: readonly string[] = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/**
 * One sentence for a YAML syntax error: `<file>:<line>:<column>: expected
 * YAML, got a syntax error: <reason>`. The parser's own message ends with
 * " at line L, column C:" and a code excerpt; the position moves to the front
 * and the excerpt is dropped, so the sentence never ends in a dangling colon.
 */
export function yamlProblem(file: string, err: unknown): string {
  const e = err as { message?: string; linePos?: { line: number; col: number }[] };
  const first = (e.message ?? String(err)).split("\n")[0]!;
  const reason = first.replace(/ at line \d+, column \d+:?$/, "").replace(/[:.\s]+$/, "");
  const pos = e.linePos?.[0];
  return `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: expected YAML, got a syntax error: ${reason}`;
}

/** Reads the raw `config:` map of a stack file (YAML); throws a full-sentence error if it is not YAML. */
export function readStackFile(file: string): Record<string, unknown> {
  const rel = displayPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ConfigError([`${rel}: expected a stack config file, got none (it does not exist or cannot be read)`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([yamlProblem(rel, err)]);
  }
  if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
    const unknown = Object.keys(doc).filter((k) => !STACK_FILE_KEYS.includes(k));
    if (unknown.length > 0) {
      throw new ConfigError([
        `${rel}: expected only the top-level keys of a Pulumi stack file (${STACK_FILE_KEYS.join(", ")}), got unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}`,
      ]);
    }
  }
  const config = (doc as { config?: unknown } | null)?.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError([`${rel} > config: expected a map of config keys, got ${describeValue(config)}`]);
  }
  return config as Record<string, unknown>;
}

/** Loads and validates a committed stack's config file (default folder: `stacks/`). */
export function loadStackConfig(stack: string, dir: string = STACKS_DIR): StackConfig {
  const file = stackFilePath(stack, dir);
  return parseStackConfig(readStackFile(file), displayPath(file));
}

/**
 * Converts Pulumi's flat config map (`pulumi.runtime.allConfig()`: every value
 * a string, structured values JSON-encoded) into the raw map the schema reads.
 */
export function decodePulumiConfig(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  // Plain strings that look like numbers (e.g. "2026.11") must stay strings for string keys; the schema decides.
  if (typeof all["gcp:project"] === "string") out["gcp:project"] = all["gcp:project"];
  return out;
}
