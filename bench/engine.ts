/**
 * `npm run bench:engine [-- --stack prodN]`: seconds of `pulumi preview`
 * (with the policy pack) and `pulumi up` of each stack on the real Pulumi
 * engine with the stand-in clouds (docs/real-engine.md), beside the mock-engine
 * plan of the same stack in the same run (`spive plan <stack>` in a fresh
 * process, so both figures include starting Node.js). Needs
 * `npm run engine:install`. Prints figures; asserts nothing about time.
 */
import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../config/load";
import { rehearse } from "../engine/rehearse";

function timeMockPlan(stack: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(REPO_ROOT, "bin", "spive.js"), "plan", stack, "--json"], { cwd: REPO_ROOT, maxBuffer: 512 * 1024 * 1024 }, (err) => {
      if (err) reject(new Error(`spive plan ${stack} failed: ${err.message}`));
      else resolve((Date.now() - started) / 1000);
    });
  });
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--stack");
  const stack = i >= 0 ? process.argv[i + 1] : undefined;
  console.log(`Real Pulumi engine with stand-in clouds (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at start)\n`);
  const r = await rehearse({ stack, timeScale: 0, rolloutMs: 0, progress: (l) => process.stderr.write(`${l}\n`) });
  console.log(`engine ${r.engineVersion}; plugins: ${Object.entries(r.plugins).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
  console.log("stack   resources  preview s  up s    mock plan s  engine summary of the up");
  for (const s of r.stacks) {
    const mock = await timeMockPlan(s.stack);
    const f = (n: number | undefined, w: number) => (n === undefined ? "-" : n.toFixed(1)).padStart(w);
    console.log(`${s.stack.padEnd(7)} ${String(s.resources).padStart(9)}  ${f(s.previewSeconds, 9)}  ${f(s.upSeconds, 6)}  ${f(mock, 11)}  ${s.engineSummary.join(", ")}`);
  }
  console.log(`\nload average at the end: ${os.loadavg()[0]!.toFixed(1)}. Bakes (time:Sleep) and Deployment rollouts take no time here (scale 0), so "up" is the engine's and the stand-ins' own cost.`);
}

main().catch((err) => {
  console.error(`bench:engine: ${(err as Error).message}`);
  process.exit(1);
});
