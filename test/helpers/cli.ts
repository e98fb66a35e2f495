import { Command } from "commander";
import { vi } from "vitest";
import type { CommandModule } from "../../cli/main";

/** What an in-process CLI run printed, and its exit code. */
export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs `spive <args>` in-process with only `register`'s commands; returns what it printed and its exit code. */
export async function runCommand(register: CommandModule["register"], args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    const program = new Command("spive").exitOverride();
    register(program);
    await program.parseAsync(["node", "spive", ...args]);
    return { stdout: out.join(""), stderr: err.join(""), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}
