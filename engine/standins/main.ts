import * as pulumi from "@pulumi/pulumi";
import { decide, STATE_DIR_ENV, StandInCloud, stripUndefined } from "./cloud";
import { BEHAVIOURS, splitUrn, STANDIN_PACKAGES, type StandInPackage } from "./packages";

/**
 * A stand-in resource provider for the real Pulumi engine, written with the
 * SDK's provider module: `node --require tsx/cjs engine/standins/main.ts <pkg> <version> <engine address>`.
 * The plugin executable `pulumi-resource-<pkg>` (written by standins/plugins.ts)
 * runs exactly that. It keeps state like a cloud would (standins/cloud.ts),
 * reports replacements from the committed REPLACE_ON table, fills computed
 * outputs with the offline plan's own `mockComputedState`, answers the invokes
 * the program uses, and journals every create, update and delete.
 *
 * Nothing may be written to stdout before the SDK prints the port, so this
 * file logs only to stderr (which the engine shows with `-v`/`--logtostderr`).
 */

/** Builds the provider of stand-in package `pkg` at `version`, on the cloud in `stateDir`. */
export function standInProvider(pkg: StandInPackage, version: string, stateDir: string, env: NodeJS.ProcessEnv = process.env): pulumi.provider.Provider {
  const cloud = new StandInCloud(pkg, stateDir);
  const behaviour = BEHAVIOURS[pkg];
  return {
    version,
    async check(_urn, _olds, news) {
      return { inputs: news };
    },
    async diff(id, urn, olds, news) {
      const { type } = splitUrn(urn);
      // Compare with the inputs the cloud recorded (the engine's `olds` are outputs, computed fields included).
      const recorded = cloud.get(id)?.inputs ?? olds;
      const d = decide(type, recorded, news);
      return {
        changes: d.changed.length > 0,
        replaces: [...d.replaces],
        deleteBeforeReplace: d.replaces.length > 0 && behaviour.deleteBeforeReplace(type, news),
      };
    },
    async create(urn, inputs) {
      const startMs = Date.now();
      const { type, name } = splitUrn(urn);
      const { id, named } = behaviour.id(type, name, inputs);
      const existing = cloud.get(id);
      if (named && existing) {
        throw new Error(`Error 409: the ${pkg} stand-in already holds ${id} (created for ${existing.urn}); a replacement of an object with a fixed name must delete the old one first, as in the real API.`);
      }
      await behaviour.delay("create", type, inputs, env);
      const done = (await behaviour.run?.("create", type, inputs, env, stateDir)) ?? {};
      const outs = stripUndefined({ ...behaviour.outputs(type, name, inputs), ...done });
      cloud.record("create", id, { type, urn, inputs, outputs: outs }, startMs);
      return { id, outs };
    },
    async read(id, _urn, props) {
      const obj = cloud.get(id);
      // Gone from the cloud: an empty id tells the engine so.
      if (!obj) return { id: "", props: {} };
      return { id, props: obj.outputs ?? props, inputs: obj.inputs };
    },
    async update(id, urn, _olds, news) {
      const startMs = Date.now();
      const { type, name } = splitUrn(urn);
      if (!cloud.get(id)) throw new Error(`Error 404: the ${pkg} stand-in holds no ${id} (${urn}) to update; run pulumi refresh.`);
      await behaviour.delay("update", type, news, env);
      const done = (await behaviour.run?.("update", type, news, env, stateDir)) ?? {};
      const outs = stripUndefined({ ...behaviour.outputs(type, name, news), ...done });
      cloud.record("update", id, { type, urn, inputs: news, outputs: outs }, startMs);
      return { outs };
    },
    async delete(id, urn, props) {
      const startMs = Date.now();
      const { type } = splitUrn(urn);
      const obj = cloud.get(id);
      // Deleting what is already gone succeeds, as the real providers do.
      if (!obj) return;
      await behaviour.run?.("delete", type, obj.inputs ?? props, env, stateDir);
      await behaviour.delay("delete", type, obj.inputs ?? props, env);
      cloud.record("delete", id, obj, startMs);
    },
    async invoke(token, args) {
      return { outputs: stripUndefined(behaviour.invoke(token, args)) };
    },
  };
}

/**
 * Daemon mode (SPIVE_STANDIN_DAEMON=1, started by standins/shim.js): one
 * server per package and workspace serves every provider instance the engine
 * starts. It exits once no call has been in flight for SPIVE_STANDIN_IDLE_MS
 * (default 120 s); the rehearsal also stops it when it ends.
 */
function daemonize(p: pulumi.provider.Provider, env: NodeJS.ProcessEnv): pulumi.provider.Provider {
  const idleMs = Number(env.SPIVE_STANDIN_IDLE_MS ?? 120_000);
  let inflight = 0;
  let last = Date.now();
  setInterval(() => {
    if (inflight === 0 && Date.now() - last > idleMs) process.exit(0);
  }, Math.min(idleMs, 5_000)).unref();
  // Keep the process alive while idle-checking (the gRPC server holds the loop too).
  const wrapped: Record<string, unknown> = { ...p };
  for (const [k, v] of Object.entries(p)) {
    if (typeof v !== "function") continue;
    wrapped[k] = async (...args: unknown[]) => {
      inflight++;
      try {
        return await (v as (...a: unknown[]) => Promise<unknown>).apply(p, args);
      } finally {
        inflight--;
        last = Date.now();
      }
    };
  }
  return wrapped as pulumi.provider.Provider;
}

/** The plugin's entry: `main.ts <pkg> <version> [engine args…]`. */
export async function standInMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [pkg, version, ...rest] = argv;
  if (!pkg || !(pkg in STANDIN_PACKAGES)) throw new Error(`Expected a stand-in package among ${Object.keys(STANDIN_PACKAGES).join(", ")}, got ${JSON.stringify(pkg)}.`);
  if (!version) throw new Error(`Expected the ${pkg} stand-in's plugin version as the second argument, got nothing.`);
  const stateDir = env[STATE_DIR_ENV];
  if (!stateDir) throw new Error(`${STATE_DIR_ENV}: expected the stand-in cloud's state folder (set by spive rehearse), got nothing.`);
  const p = standInProvider(pkg as StandInPackage, version, stateDir, env);
  await pulumi.provider.main(env.SPIVE_STANDIN_DAEMON === "1" ? daemonize(p, env) : p, [...rest]);
}

if (require.main === module) {
  standInMain(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`spive stand-in provider: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
