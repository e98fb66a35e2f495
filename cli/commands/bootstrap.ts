import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_MAX_ERRORS, type LogSummary } from "../../bootstrap/log/core";
import { formatLogError } from "../../bootstrap/log/errors";
import { DEFAULT_LOG_FILE, validateLogFile } from "../../bootstrap/log/validate";

/**
 * `spive bootstrap …`: the prod-0 bootstrap command group. This file creates
 * the group and its `validate` sub-command; other command modules (e.g.
 * `bootstrap-run.ts`, which sorts and therefore loads before this file) add
 * their sub-commands to the same group through `bootstrapCommandGroup`.
 */

/**
 * The `bootstrap` command group of `program`, created on first use, so that
 * every module adding bootstrap sub-commands gets the same group whatever the
 * load order.
 */
export function bootstrapCommandGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === "bootstrap") ??
    program.command("bootstrap").description("The prod-0 bootstrap: validate the bootstrap log, run the bootstrap, serve a bootstrap instance.")
  );
}

const PREFIX = "spive bootstrap validate: ";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}".`);
  return n;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : word.endsWith("s") ? "es" : "s"}`;
}

/** One line describing what a valid log creates. */
function describeValid(s: LogSummary): string {
  const zones = new Set<string>();
  for (const i of s.state.instances.values()) zones.add(i.zone);
  const created = [
    plural(s.counts.CreateType, "type"),
    plural(s.counts.CreateGateway, "gateway"),
    plural(s.counts.CreateStream, "stream"),
    plural(s.counts.CreateProcess, "process"),
    `${plural(s.counts.CreateInstance, "instance")}${zones.size ? ` in ${[...zones].join(", ")}` : ""}`,
  ];
  return `${s.file}: valid (${plural(s.events, "event")}, last position ${s.lastPosition}): ${created.join(", ")}.`;
}

/** The machine-readable form of a summary (`--json`): everything but the reducer state. */
function toJson(s: LogSummary): object {
  return {
    ok: s.ok,
    file: s.file,
    errorCount: s.errorCount,
    truncated: s.truncated,
    errors: s.errors.map((e) => ({ ...e, text: formatLogError(e) })),
    lines: s.lines,
    events: s.events,
    lastPosition: s.lastPosition,
    counts: s.counts,
  };
}

/** Exit codes of `spive bootstrap validate`: as grep and diff, 1 means "found problems", 2 "could not look". */
export const VALIDATE_EXIT = { valid: 0, invalid: 1, couldNotValidate: 2 } as const;

/**
 * Adds `spive bootstrap validate [FILE]`: every error on stderr, one per line,
 * each as `spive bootstrap validate: <file>:<line> <Kind>.<field>: …`, then a
 * count; exit 0 when valid, 1 when invalid, 2 when the log could not be
 * validated (an unreadable file, an invalid prod0 stack config, a usage error).
 */
export function register(program: Command): void {
  bootstrapCommandGroup(program)
    .command("validate")
    .description("Validate a bootstrap log (schema, order, references, zones against stacks/Pulumi.prod0.yaml). Exits 0 when valid, 1 with every error when invalid, 2 when it cannot be read.")
    .argument("[file]", "the log to validate", DEFAULT_LOG_FILE)
    .option("--json", "print the result as JSON on stdout")
    .option("--max-errors <n>", "report at most this many errors (all are counted)", positiveInt, DEFAULT_MAX_ERRORS)
    .action(async (file: string, opts: { json?: boolean; maxErrors: number }) => {
      let summary: LogSummary;
      try {
        summary = await validateLogFile(file, { maxErrors: opts.maxErrors });
      } catch (err) {
        const message = (err as Error).message;
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, file, errorCount: 1, fatal: message }, null, 2)}\n`);
        else process.stderr.write(`${PREFIX}${message}\n`);
        process.exitCode = VALIDATE_EXIT.couldNotValidate;
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(toJson(summary), null, 2)}\n`);
      } else if (summary.ok) {
        process.stdout.write(`${describeValid(summary)}\n`);
      } else {
        const lines = summary.errors.map(formatLogError);
        if (summary.truncated) lines.push(`... and ${summary.errorCount - summary.errors.length} more error(s) not shown (--max-errors ${opts.maxErrors})`);
        lines.push(`${summary.file}: invalid, ${plural(summary.errorCount, "error")}.`);
        process.stderr.write(lines.map((l) => `${PREFIX}${l}\n`).join(""));
      }
      process.exitCode = summary.ok ? VALIDATE_EXIT.valid : VALIDATE_EXIT.invalid;
    });
}
