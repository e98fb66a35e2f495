import type { Command } from "commander";

/**
 * `spive rehearse [--stack S] [--keep] [--diff-base REF] [--json]`: the whole
 * tower on the real Pulumi engine (installed by `npm run engine:install`) with
 * stand-in clouds (docs/real-engine.md). Progress on stderr, the per-stack
 * summary on stdout; exit 1 with one sentence (and the engine's output tail)
 * when the engine is missing or a preview or update fails.
 */
export function register(program: Command): void {
  program
    .command("rehearse")
    .description("Rehearse the tower on the real Pulumi engine with stand-in clouds: preview (policy pack) and up, bottom to top (docs/real-engine.md).")
    .option("--stack <stack>", "rehearse this stack only (the stacks below it are deployed first, for its StackReferences)")
    .option("--keep", "keep the scratch folder (file backend, stand-in cloud journal, project copy) for inspection")
    .option("--diff-base <ref>", "deploy this git ref first, then show this revision's pulumi preview --diff against its state")
    .option("--time-scale <factor>", "multiplies every time:Sleep (bakes) of the stand-in time provider", "0.01")
    .option("--rollout-ms <ms>", "how long each Deployment takes to roll out on the stand-in Kubernetes", "100")
    .option("--timeout <seconds>", "timeout of each pulumi command", "1800")
    .option("--json", "print the result as JSON")
    .option("--verbose", "stream the engine's output")
    .action(async (o: { stack?: string; keep?: boolean; diffBase?: string; timeScale: string; rolloutMs: string; timeout: string; json?: boolean; verbose?: boolean }) => {
      try {
        const num = (flag: string, v: string) => {
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected a non-negative number, got ${JSON.stringify(v)}.`);
          return n;
        };
        const { rehearse, formatRehearsal } = await import("../../engine/rehearse");
        const r = await rehearse({
          stack: o.stack,
          keep: o.keep,
          diffBase: o.diffBase,
          timeScale: num("--time-scale", o.timeScale),
          rolloutMs: num("--rollout-ms", o.rolloutMs),
          timeoutMs: num("--timeout", o.timeout) * 1000,
          verbose: o.verbose,
        });
        process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatRehearsal(r));
      } catch (err) {
        process.stderr.write(`spive rehearse: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
    });
}
