import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * The contract between layers: the outputs every layer exports, and the one
 * helper a layer uses to read the layer below. No raw `getOutput("…")` strings
 * anywhere else.
 */

/** A discoverable layer's public zone: what its parent zone needs to delegate it. */
export const PublicZone = z.object({
  dnsName: z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+$/, "a DNS name ending with a dot").describe("The zone's DNS name."),
  nameServers: z.array(z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+$/, "a name server's DNS name ending with a dot")).min(1).describe("The zone's authoritative name servers."),
  dsRecords: z.array(z.string().min(1)).describe("DS records of the zone's key-signing keys (DNSSEC)."),
});

/** Outputs every layer exports. */
export const LayerOutputs = z.object({
  level: z.number().int().min(0).describe("The layer's level N."),
  project: z.string().min(1).describe("The layer's GCP project."),
  managerServiceAccountEmail: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,29}@[a-z0-9-]+\.iam\.gserviceaccount\.com$/, "a service account email")
    .describe("SpiveProdN's identity, which the layer above grants the rights to manage it."),
  regions: z.array(z.string()).min(1).describe("The regions the layer runs in."),
  controlPlane: z.boolean().describe("Whether this layer is the top of the tower."),
  publicZone: PublicZone.optional().describe("Discoverable layers only: the public zone, which the layer above delegates when it owns the parent domain."),
});

/** A runner host of prod-0, as the bootstrap needs it. */
export const RunnerHost = z.object({
  name: z.string().min(1).describe("The stable instance name, e.g. spive-prod0-basic-runner-europe-west1-b-0."),
  zone: z.string().min(1),
  hostname: z.string().min(1).describe("The internal DNS name the bootstrap reaches the host by."),
  port: z.number().int().min(1).max(65535).describe("The runner API port."),
});

/** Outputs of prod-0 on top of the common ones: what the bootstrap binds to. */
export const Prod0Outputs = LayerOutputs.extend({
  runnerHosts: z.array(RunnerHost).min(2).describe("Every spive-prod0-basic-runner host, both zones."),
  runnerApi: z
    .object({
      audience: z.string().min(1).describe("The ID token audience the runner hosts verify."),
      allowedIdentities: z.array(z.string().min(1)).min(1).describe("Service accounts allowed to change state; the first is the CI deployer."),
    })
    .describe("Authentication of the runner API (docs/contracts.md, Authentication)."),
  eventStore: z
    .object({
      project: z.string(),
      instance: z.string().describe("The regional Spanner instance."),
      database: z.string().describe("The database holding every durable stream."),
    })
    .describe("prod-0's event store (Cloud Spanner, regional)."),
});

/** Outputs every layer exports. */
export type LayerOutputs = z.infer<typeof LayerOutputs>;
/** A discoverable layer's public zone. */
export type PublicZone = z.infer<typeof PublicZone>;
/** A prod-0 runner host. */
export type RunnerHost = z.infer<typeof RunnerHost>;
/** prod-0's outputs. */
export type Prod0Outputs = z.infer<typeof Prod0Outputs>;

/**
 * Checks a layer's raw outputs against the contract. Throws one error naming
 * the stack and every missing or malformed output.
 */
export function parseLayerOutputs<S extends z.ZodObject>(stack: string, raw: Record<string, unknown>, schema: S): z.infer<S> {
  const res = schema.safeParse(raw);
  if (res.success) return res.data;
  const problems = res.error.issues.map((i) => {
    const key = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    const given = i.path.reduce<unknown>((v, p) => (v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p as string] : undefined), raw);
    return given === undefined
      ? `output "${key}" is missing (${i.message})`
      : `output "${key}": ${i.message}, got ${JSON.stringify(given)}`;
  });
  throw new Error(`Stack ${stack} does not honour the layer contract: ${problems.join("; ")}.`);
}

/**
 * Reads the layer below through a StackReference and checks its outputs
 * against `schema` before anything is declared from them.
 */
export async function readLayerBelow<S extends z.ZodObject>(stack: string, schema: S, opts?: pulumi.CustomResourceOptions): Promise<z.infer<S>> {
  const ref = new pulumi.StackReference(stack, undefined, opts);
  const keys = Object.keys(schema.shape);
  const details = await Promise.all(keys.map((k) => ref.getOutputDetails(k)));
  const raw: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    const d = details[i]!;
    const v = d.value !== undefined ? d.value : d.secretValue;
    if (v !== undefined) raw[k] = v;
  });
  return parseLayerOutputs(stack, raw, schema);
}
