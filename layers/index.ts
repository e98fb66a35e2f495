import * as pulumi from "@pulumi/pulumi";
import { decodePulumiConfig, parseStackConfig } from "../config/load";
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

/**
 * Reads and validates the running stack's whole config (before any resource
 * is declared). Throws one ConfigError naming `stacks/Pulumi.<stack>.yaml`.
 */
export function readConfig(stack: string): StackConfig {
  const cfg = parseStackConfig(decodePulumiConfig(pulumi.runtime.allConfig()), `stacks/Pulumi.${stack}.yaml`);
  const entry = layerEntry(stack);
  if (cfg["spive:layer"].level !== entry.level) {
    throw new Error(`stacks/Pulumi.${stack}.yaml > spive:layer.level: expected ${entry.level} for stack ${stack}, got ${cfg["spive:layer"].level}.`);
  }
  return cfg;
}

/** Runs the layer program of `stack` (the dispatcher behind index.ts). An unknown stack fails with the list of known ones. */
export async function runStack(stack: string): Promise<Record<string, unknown>> {
  const entry = layerEntry(stack);
  const cfg = readConfig(stack);
  return PROGRAMS[entry.substrate](cfg);
}
