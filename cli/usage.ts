import { Command, CommanderError, InvalidArgumentError } from "commander";

/**
 * Usage errors: a mistake in how a command was called (an unknown option or
 * choice, a malformed value, a missing required input). Every command
 * reports them the same way: `spive <command>: <sentence>`, then the
 * command's usage line and where to read more, and exit code 2 — distinct
 * from a command that ran and failed (1) or found problems.
 */

/** The exit code of a usage error. */
export const USAGE_EXIT_CODE = 2;

/** The Commander error code `usageError` throws with. */
export const USAGE_ERROR_CODE = "spive.usage";

/** `spive bootstrap run` for the `run` sub-command of `bootstrap`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The two lines shown after a usage error: the usage line and where the options are described. */
export function usageHint(cmd: Command): string {
  const name = commandPath(cmd);
  return `Usage: ${name} ${cmd.usage()}\nRun "${name} --help" for every option.`;
}

/**
 * Makes `cmd` and every sub-command report usage errors as described above:
 * Commander's own ("unknown option", an invalid choice) and `usageError`'s.
 */
export function configureUsageErrors(cmd: Command): void {
  const name = commandPath(cmd);
  cmd.showHelpAfterError(usageHint(cmd));
  cmd.configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, `${name}: `)) });
  for (const sub of cmd.commands) configureUsageErrors(sub);
}

/** Reports a usage error of `cmd` (the sentence, the usage line) and ends the command with exit code 2. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE, code: USAGE_ERROR_CODE });
  throw new CommanderError(USAGE_EXIT_CODE, USAGE_ERROR_CODE, message);
}

/** The exit code a Commander error ends the process with: 2 for usage errors, as given for help and version. */
export function exitCodeOf(err: CommanderError): number {
  if (err.exitCode === 0) return 0;
  // `spive` or a command group without a sub-command prints the help (Commander's "commander.help").
  if (err.code === "commander.help" || err.code === "commander.helpDisplayed" || err.code === "commander.version") return err.exitCode;
  return USAGE_EXIT_CODE;
}

/** An option value parser from a function that throws on bad input: its error becomes Commander's invalid-argument error. */
export function parsedBy<T, P = T>(parse: (value: string, previous: P) => T): (value: string, previous: P) => T {
  return (value, previous) => {
    try {
      return parse(value, previous);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}
