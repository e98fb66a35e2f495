import * as fs from "node:fs";
import { displayPath, loadStackConfig, STACKS_DIR } from "../config/load";
import type { StackConfig } from "../config/schema";
import { buildTower, type TowerLayer } from "../layers/registry";

/** The stack names of every `Pulumi.<stack>.yaml` file in `dir`, sorted. */
export function stackNamesIn(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new Error(`Cannot read the stacks folder ${displayPath(dir)}: expected a folder of Pulumi.<stack>.yaml files, got none.`);
  }
  return entries
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The stack being evaluated and its config as Pulumi hands it over, which stands in for its committed file. */
export interface RunningStack {
  /** The stack name. */
  readonly stack: string;
  /** Its validated config. */
  readonly config: StackConfig;
}

/**
 * Loads and validates every stack config in `dir` (default: the committed
 * `stacks/`) and checks they form a tower (`buildTower`). When `running` is
 * given (a stack evaluation), its config replaces its file's, so the tower
 * checked is the one this deployment would leave. Throws one error naming
 * the file and key path of every problem.
 */
export function loadTower(dir: string = STACKS_DIR, running?: RunningStack): TowerLayer[] {
  const stacks = stackNamesIn(dir);
  if (running && !stacks.includes(running.stack)) stacks.push(running.stack);
  if (stacks.length === 0) throw new Error(`The stacks folder ${displayPath(dir)} holds no Pulumi.<stack>.yaml file; expected at least Pulumi.prod0.yaml.`);
  const configs: Record<string, StackConfig> = {};
  for (const stack of stacks) configs[stack] = stack === running?.stack ? running.config : loadStackConfig(stack, dir);
  const shown = displayPath(dir);
  const source = shown === "" || shown === "." ? "" : `${shown}/`;
  return buildTower(configs, source);
}
