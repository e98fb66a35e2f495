import { Command, CommanderError } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { configureUsageErrors, exitCodeOf } from "./usage";

/** The shape every module under `cli/commands/` exports: it adds its sub-commands to the root program. */
export interface CommandModule {
  /** Adds this module's commands to `program`. */
  register(program: Command): void;
}

/**
 * Builds the `spive` command-line program. Every file in `cli/commands/` is a
 * command module, so adding a command never touches this file.
 */
export function buildProgram(): Command {
  const program = new Command("spive")
    .description("Spive infrastructure: plan, diff, bootstrap, status, rollout, policy and diagram for the layer tower.")
    .exitOverride();
  const dir = path.join(__dirname, "commands");
  // `.ts` when run from the sources, `.js` when run compiled (scripts/cli-build.js).
  const ext = path.extname(__filename);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(".d.ts"))
    .sort();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as Partial<CommandModule>;
    if (typeof mod.register !== "function") {
      throw new Error(`cli/commands/${file} does not export a register(program) function; every command module must.`);
    }
    mod.register(program);
  }
  configureUsageErrors(program);
  return program;
}

/** Runs the CLI with `argv` (as in `process.argv`); resolves when the command has finished. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
