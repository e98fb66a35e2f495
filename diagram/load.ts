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

/**
 * Loads and validates every stack config in `dir` (default: the committed
 * `stacks/`) and checks they form a tower (`buildTower`). Throws one error
 * naming the file and key path of every problem.
 */
export function loadTower(dir: string = STACKS_DIR): TowerLayer[] {
  const stacks = stackNamesIn(dir);
  if (stacks.length === 0) throw new Error(`The stacks folder ${displayPath(dir)} holds no Pulumi.<stack>.yaml file; expected at least Pulumi.prod0.yaml.`);
  const configs: Record<string, StackConfig> = {};
  for (const stack of stacks) configs[stack] = loadStackConfig(stack, dir);
  const shown = displayPath(dir);
  const source = shown === "" || shown === "." ? "" : `${shown}/`;
  return buildTower(configs, source);
}
