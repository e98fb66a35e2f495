import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { mockComputedState, mockDsRecord } from "../../plan/recorder";
import { envNumber, parseGoDuration, ROLLOUT_MS_ENV, TIME_SCALE_ENV } from "./cloud";

/**
 * What differs between the three stand-in packages: how a resource is
 * identified in the "cloud" (a second object with the same identity is a 409,
 * as in the real APIs), which outputs it computes (the very function the
 * offline plan uses, `mockComputedState`), how long it takes, and which
 * invokes it answers.
 */

/** The stand-in packages and the plugin versions the program's SDKs request (package.json `pulumi` of each SDK). */
export const STANDIN_PACKAGES = {
  gcp: { sdk: "@pulumi/gcp" },
  kubernetes: { sdk: "@pulumi/kubernetes" },
  time: { sdk: "@pulumiverse/time" },
  command: { sdk: "@pulumi/command" },
} as const;

/** A stand-in package name. */
export type StandInPackage = keyof typeof STANDIN_PACKAGES;

/** Per-package behaviour. */
export interface PackageBehaviour {
  /** The id of a new resource; a fixed id means a named object (a duplicate is refused). */
  id(type: string, name: string, inputs: Record<string, any>): { id: string; named: boolean };
  /** The outputs of a resource with these inputs. */
  outputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown>;
  /** Waits as long as the operation takes (a rollout, a sleep). */
  delay(op: "create" | "update" | "delete", type: string, inputs: Record<string, any>, env: NodeJS.ProcessEnv): Promise<void>;
  /** Whether a replacement must delete the old object first (the real provider's choice). */
  deleteBeforeReplace(type: string, inputs: Record<string, any>): boolean;
  /** Does the operation's real work, if any (the command stand-in runs the command); its result joins the outputs. */
  run?(op: "create" | "update" | "delete", type: string, inputs: Record<string, any>, env: NodeJS.ProcessEnv, logDir: string): Promise<Record<string, unknown>>;
  /** Answers an invoke, or throws one sentence naming the token. */
  invoke(token: string, args: Record<string, any>): Record<string, unknown>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fresh = (prefix: string) => `${prefix}-${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
const unanswered = (pkg: string, token: string): never => {
  throw new Error(`The ${pkg} stand-in does not answer invoke ${token}; add it to engine/standins/packages.ts if the program now calls it.`);
};

const gcp: PackageBehaviour = {
  id(type, name, inputs) {
    const collection = type.split(":")[1]!.split("/")[1] ?? type;
    const where = inputs.location ?? inputs.region ?? inputs.zone;
    const ident = typeof inputs.name === "string" ? inputs.name : typeof inputs.accountId === "string" ? inputs.accountId : undefined;
    if (ident === undefined) return { id: fresh(`${collection}/${name}`), named: false };
    const project = typeof inputs.project === "string" ? inputs.project : "default-project";
    // A name is unique within its parent (a record set within its zone and type, a table within its instance, …).
    const parents = ["managedZone", "instance", "instanceName", "cluster", "router", "instanceGroupManager"]
      .filter((k) => typeof inputs[k] === "string")
      .map((k) => `${k}/${inputs[k]}/`)
      .join("");
    const kind = type === "gcp:dns/recordSet:RecordSet" && typeof inputs.type === "string" ? `/${inputs.type}` : "";
    return { id: `projects/${project}/${typeof where === "string" ? `locations/${where}/` : ""}${parents}${collection}s/${ident}${kind}`, named: true };
  },
  outputs: (type, name, inputs) => ({ ...inputs, ...mockComputedState(type, name, inputs) }),
  delay: async () => undefined,
  deleteBeforeReplace: () => false,
  async run(op, type, inputs) {
    // As the Google provider: a cluster with deletion protection cannot be destroyed.
    if (op === "delete" && type === "gcp:container/cluster:Cluster" && inputs.deletionProtection === true) {
      throw new Error(`Cannot destroy cluster ${inputs.name} because deletion_protection is set to true. Set it to false to proceed with cluster deletion.`);
    }
    return {};
  },
  invoke(token, args) {
    if (token === "gcp:dns/getKeys:getKeys") {
      const zone = String(args.managedZone);
      const ds = mockDsRecord(zone);
      return { id: `projects/${args.project}/managedZones/${zone}`, managedZone: zone, project: args.project, keySigningKeys: [{ dsRecord: ds, algorithm: "rsasha256", keyTag: Number(ds.split(" ")[0]), isActive: true }], zoneSigningKeys: [] };
    }
    return unanswered("gcp", token);
  },
};

const kubernetes: PackageBehaviour = {
  // The real provider's id is `<namespace>/<name>`, unique within one cluster.
  // A provider written with the SDK's provider module never sees its
  // instance's configuration (which cluster), so the logical name stands for
  // the cluster: a second object of the same kind and name under the same
  // logical name (a create-before-delete replacement) is refused.
  id(type, name, inputs) {
    const md = (inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (typeof md.name !== "string") return { id: fresh(type.split(":")[2]!.toLowerCase()), named: false };
    return { id: `${typeof md.namespace === "string" ? `${md.namespace}/` : ""}${md.name}#${type.split(":")[2]}@${name}`, named: true };
  },
  outputs: (type, name, inputs) => ({ ...inputs, ...mockComputedState(type, name, inputs), status: {} }),
  async delay(op, type, _inputs, env) {
    if (type === "kubernetes:apps/v1:Deployment" && op !== "delete") await sleep(envNumber(env, ROLLOUT_MS_ENV, 0));
  },
  // The Kubernetes provider deletes first when the object has a fixed name (two objects cannot share it).
  deleteBeforeReplace: (_type, inputs) => typeof inputs.metadata?.name === "string",
  invoke: (token) => unanswered("kubernetes", token),
};

const time: PackageBehaviour = {
  // The time provider's id of a Sleep is the moment it was created (RFC 3339).
  id: () => ({ id: new Date().toISOString(), named: false }),
  outputs: (_type, _name, inputs) => ({ ...inputs }),
  async delay(op, type, inputs, env) {
    if (type !== "time:index/sleep:Sleep" || op === "update") return;
    const key = op === "create" ? "createDuration" : "destroyDuration";
    const given = inputs[key];
    if (typeof given !== "string") return;
    await sleep(parseGoDuration(given, `time:Sleep ${key}`) * envNumber(env, TIME_SCALE_ENV, 1));
  },
  deleteBeforeReplace: () => false,
  invoke: (token) => unanswered("time", token),
};

/**
 * Runs `script` with `/bin/sh -c` as the command provider's local.Command
 * does: in `dir` (default: the engine's working directory, the project), with
 * the provider's environment plus `environment`. Resolves with the trimmed
 * stdout and stderr; rejects with the exit status and the output's tail. The
 * whole output is also appended to `logFile`.
 */
export function runLocalCommand(script: string, inputs: Record<string, any>, env: NodeJS.ProcessEnv, logFile: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", script], {
      cwd: typeof inputs.dir === "string" ? inputs.dir : process.cwd(),
      env: { ...env, ...(inputs.environment ?? {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const log = fs.openSync(logFile, "a");
    fs.writeSync(log, `$ ${script}\n`);
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      fs.writeSync(log, c);
    });
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      fs.writeSync(log, c);
    });
    child.once("error", (err) => {
      fs.closeSync(log);
      reject(new Error(`could not run ${JSON.stringify(script)}: ${err.message}`));
    });
    child.once("close", (code, signal) => {
      fs.writeSync(log, `[exit ${signal ?? code}]\n`);
      fs.closeSync(log);
      if (code === 0) resolve({ stdout: stdout.trim(), stderr: stderr.trim() });
      else {
        const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-15).join("\n");
        reject(new Error(`${signal ? `signal ${signal}` : `exit status ${code}`}: running ${JSON.stringify(script)}:\n${tail}`));
      }
    });
  });
}

const command: PackageBehaviour = {
  id: (type) => ({ id: fresh(type.split(":")[2]!.toLowerCase()), named: false }),
  outputs: (_type, _name, inputs) => ({ ...inputs }),
  delay: async () => undefined,
  deleteBeforeReplace: () => false,
  async run(op, type, inputs, env, logDir) {
    if (type !== "command:local:Command") throw new Error(`The command stand-in only runs command:local:Command, got ${type}.`);
    // As the real provider: create runs `create`; update runs `update`, or `create` again when none is given; delete runs `delete` if any.
    const script = op === "create" ? inputs.create : op === "update" ? (inputs.update ?? inputs.create) : inputs.delete;
    if (typeof script !== "string" || script === "") return {};
    return runLocalCommand(script, inputs, env, path.join(logDir, "command.log"));
  },
  invoke: (token) => unanswered("command", token),
};

/** The behaviour of each stand-in package. */
export const BEHAVIOURS: Readonly<Record<StandInPackage, PackageBehaviour>> = { gcp, kubernetes, time, command };

/** The logical name and type of a URN (`urn:pulumi:<stack>::<project>::<parent$type>::<name>`). */
export function splitUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) throw new Error(`Expected a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>), got ${JSON.stringify(urn)}.`);
  return { type: parts[2]!.split("$").pop()!, name: parts.slice(3).join("::") };
}
