import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { decodePulumiConfig, parseStackConfig, REPO_ROOT, stackFilePath, stacksDirOfProject } from "../config/load";
import { loadTower } from "../diagram/load";
import type { StackConfig } from "../config/schema";
import { gkeLayerProgram } from "./gke-layer";
import { prod0Program } from "./prod0";
import { layerEntry } from "./registry";

/** A layer program: declares the layer's resources from its validated config and returns its stack outputs. */
export type LayerProgram = (cfg: StackConfig) => Promise<Record<string, unknown>>;

/** The program of each substrate. */
export const PROGRAMS: Readonly<Record<"basic-runner" | "gke", LayerProgram>> = {
  "basic-runner": prod0Program,
  gke: gkeLayerProgram,
};

/** How a stack is evaluated. */
export interface RunOptions {
  /** The folder of the committed tower's `Pulumi.<stack>.yaml` files (default: the running project's stackConfigDir, `stacks/` for the repository's own project). */
  readonly stacksDir?: string;
}

/**
 * Reads and validates the running stack's whole config (before any resource
 * is declared), then loads the whole committed tower with it in place of its
 * file and refuses an inconsistent one (levels, `spive:below`, the single
 * control plane, disjoint address blocks). Throws one error naming
 * `stacks/Pulumi.<stack>.yaml` and the key of every problem.
 */
export function readConfig(stack: string, opts: RunOptions = {}): StackConfig {
  // Under the Pulumi CLI: the project's stackConfigDir (stacks/, or a small setup's own folder).
  const dir = opts.stacksDir ?? stacksDirOfProject(pulumi.runtime.getRootDirectory());
  const rel = path.relative(REPO_ROOT, stackFilePath(stack, dir));
  // Files outside the repository are named by their absolute path, as loadTower names them.
  const file = rel.startsWith("..") ? stackFilePath(stack, dir) : rel;
  const cfg = parseStackConfig(decodePulumiConfig(pulumi.runtime.allConfig()), file);
  const entry = layerEntry(stack);
  if (cfg["spive:layer"].level !== entry.level) {
    throw new Error(`${file} > spive:layer.level: expected ${entry.level} for stack ${stack}, got ${cfg["spive:layer"].level}.`);
  }
  loadTower(dir, { stack, config: cfg });
  return cfg;
}

/** Runs the layer program of `stack` (the dispatcher behind index.ts). An unknown stack fails with the list of known ones. */
export async function runStack(stack: string, opts: RunOptions = {}): Promise<Record<string, unknown>> {
  const entry = layerEntry(stack);
  const cfg = readConfig(stack, opts);
  return PROGRAMS[entry.substrate](cfg);
}
