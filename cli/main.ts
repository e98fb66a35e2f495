import { Command, CommanderError, Help } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { configureUsageErrors, exitCodeOf } from "./usage";

/** The shape every module under `cli/commands/` exports: it adds its sub-commands to the root program. */
export interface CommandModule {
  /** Adds this module's commands to `program`. */
  register(program: Command): void;
}

/**
 * What the compiled CLI knows about its command modules without loading them
 * (`commands.json` beside the build, written by scripts/cli-build.js from
 * `commandManifest()`): which top-level commands each module adds to, and
 * each top-level command's line in the root help.
 */
export interface CommandManifest {
  /** Command module file → the top-level commands it adds or extends. */
  readonly files: Readonly<Record<string, readonly string[]>>;
  /** Every top-level command: its name, its term in the root help (`plan [options] <stack>`) and its description. */
  readonly commands: readonly { readonly name: string; readonly term: string; readonly description: string }[];
}

/** The file name of the manifest inside a build (beside `cli/`). */
export const MANIFEST_FILE = "commands.json";

const COMMANDS_DIR = path.join(__dirname, "commands");

/** The command module files, sorted: `.ts` when run from the sources, `.js` when run compiled. */
function commandFiles(): string[] {
  const ext = path.extname(__filename);
  return fs
    .readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith(ext) && !f.endsWith(".d.ts"))
    .sort();
}

function register(program: Command, file: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(COMMANDS_DIR, file)) as Partial<CommandModule>;
  if (typeof mod.register !== "function") {
    throw new Error(`cli/commands/${file} does not export a register(program) function; every command module must.`);
  }
  mod.register(program);
}

function rootProgram(): Command {
  return new Command("spive")
    .description("Spive infrastructure: plan, diff, bootstrap, status, rollout, policy and diagram for the layer tower.")
    .exitOverride();
}

/** Loads every command module once, recording what each adds: the manifest of a build. */
export function commandManifest(): CommandManifest {
  const program = rootProgram();
  const files: Record<string, string[]> = {};
  for (const file of commandFiles()) {
    const shape = (c: Command) => `${c.commands.length}/${c.options.length}`;
    const before = new Map(program.commands.map((c) => [c.name(), shape(c)]));
    register(program, file);
    files[file] = program.commands.filter((c) => before.get(c.name()) !== shape(c)).map((c) => c.name());
  }
  const help = new Help();
  return { files, commands: program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), description: c.description() })) };
}

/** The manifest of the build this file belongs to, if it has one (never from the sources). */
function readManifest(): CommandManifest | undefined {
  if (path.extname(__filename) !== ".js") return undefined;
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", MANIFEST_FILE), "utf8")) as CommandManifest;
  } catch {
    return undefined;
  }
}

/** The top-level command `argv` names (after `help`, the one it asks about); "" for the root help. */
function requestedCommand(argv: readonly string[]): string {
  const operands: string[] = [];
  for (const a of argv.slice(2)) {
    // `spive --help plan` is the root help: Commander acts on the root option first.
    if (operands.length === 0 && (a === "-h" || a === "--help")) return "";
    if (!a.startsWith("-")) operands.push(a);
  }
  return operands[0] === "help" ? (operands[1] ?? "") : (operands[0] ?? "");
}

/**
 * Builds the `spive` command-line program. Every file in `cli/commands/` is a
 * command module, so adding a command never touches this file.
 *
 * Given the `argv` it will parse, and running compiled, it loads only what
 * that command line needs (each module loads its dependencies, e.g. zod and
 * the stack config schema, which take most of a start): the modules adding
 * to the named command, or for the root help none at all (its lines come
 * from the build's manifest). An unknown command loads every module, so
 * Commander can suggest the nearest one.
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = rootProgram();
  const manifest = argv ? readManifest() : undefined;
  const wanted = argv ? requestedCommand(argv) : undefined;
  if (manifest && wanted === "") {
    // The root help: every command's line, from the manifest.
    const terms = new Map(manifest.commands.map((c) => [c.name, c.term]));
    for (const c of manifest.commands) program.command(c.name).description(c.description);
    const standard = new Help();
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? standard.subcommandTerm(cmd) });
  } else {
    const needed = manifest && wanted ? Object.keys(manifest.files).filter((f) => manifest.files[f]!.includes(wanted)) : [];
    for (const file of needed.length > 0 ? needed : commandFiles()) register(program, file);
  }
  configureUsageErrors(program);
  return program;
}

/** Runs the CLI with `argv` (as in `process.argv`); resolves when the command has finished. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Commander has already printed the message (and the usage line).
    if (err instanceof CommanderError) {
      process.exitCode = exitCodeOf(err);
      return;
    }
    throw err;
  }
}
