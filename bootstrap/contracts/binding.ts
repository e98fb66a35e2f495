import { z } from "zod";
import { BindingAuth } from "./auth";

/**
 * The infrastructure binding: what a bootstrap run is bound to. The driver
 * derives it from the prod0 stack's outputs (runner hosts, event store) or
 * from the local doubles (dev-0), and hands it to the SpiveProdBootstrap
 * instance as a JSON file. Pure: no Pulumi import.
 */

/** A runner host the bootstrap reaches. */
export const BoundRunnerHost = z
  .strictObject({
    name: z.string().min(1).describe("The host's stable name, e.g. spive-prod0-basic-runner-europe-west1-b-0."),
    zones: z.array(z.string().min(1)).min(1).describe("The zones whose instances this host runs."),
    url: z.url({ protocol: /^https?$/ }).describe("The runner API base URL, e.g. http://<hostname>:7070."),
  })
  .describe("A runner host of the binding.");

/** The event store the bootstrap creates streams in. */
export const BoundEventStore = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("local"), url: z.url({ protocol: /^https?$/ }).describe("The local event store API base URL.") }),
    z.strictObject({
      kind: z.literal("spanner"),
      project: z.string().min(1),
      instance: z.string().min(1).describe("The regional Spanner instance."),
      database: z.string().min(1).describe("The database holding every durable stream."),
    }),
  ])
  .describe("The event store: the local double, or prod-0's Spanner database.");

/** The whole binding. */
export const Binding = z
  .strictObject({
    target: z.string().min(1).describe("What is bootstrapped: prod0, dev-0, dev-0r, or dry-replay."),
    project: z.string().min(1).optional().describe("The GCP project of the runner hosts (prod0: what IAP tunnels name)."),
    runnerHosts: z.array(BoundRunnerHost).min(1),
    eventStore: BoundEventStore,
    gateways: z
      .record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])))
      .default({})
      .describe("Deployment-specific gateway settings by gateway name, merged over the log's static config."),
    auth: BindingAuth.optional().describe("How state-changing calls authenticate (docs/contracts.md, Authentication); without it they get 401."),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.runnerHosts.forEach((h, i) => {
      if (seen.has(h.name)) ctx.addIssue({ code: "custom", path: ["runnerHosts", i, "name"], message: `expected each runner host once, got "${h.name}" again` });
      seen.add(h.name);
    });
  })
  .describe("The infrastructure a bootstrap run is bound to.");

/** A bound runner host. */
export type BoundRunnerHost = z.infer<typeof BoundRunnerHost>;
/** A bound event store. */
export type BoundEventStore = z.infer<typeof BoundEventStore>;
/** A binding, after defaults. */
export type Binding = z.infer<typeof Binding>;

/**
 * Parses a binding, throwing one sentence naming `source`, every bad key path,
 * what was expected and what was given.
 */
export function parseBinding(raw: unknown, source: string): Binding {
  const res = Binding.safeParse(raw);
  if (res.success) return res.data;
  const problems = res.error.issues.map((i) => `${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(root)"}: ${i.message}`);
  throw new Error(`${source}: the bootstrap binding is invalid: ${problems.join("; ")}.`);
}

/** Every runner host serving `zone`, in binding order. */
export function hostsForZone(binding: Binding, zone: string): BoundRunnerHost[] {
  return binding.runnerHosts.filter((h) => h.zones.includes(zone));
}

/**
 * The runner host that runs instance `id` of `zone`: one of the zone's hosts,
 * picked by a stable hash of the id, so a rerun places every instance on the
 * same host (hostsPerZone > 1 spreads a zone's instances).
 */
export function hostForInstance(binding: Binding, zone: string, id: string): BoundRunnerHost | undefined {
  const hosts = hostsForZone(binding, zone);
  if (hosts.length === 0) return undefined;
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return hosts[h % hosts.length];
}

/** The zones a binding serves, in host order, each once. */
export function boundZones(binding: Binding): string[] {
  return [...new Set(binding.runnerHosts.flatMap((h) => h.zones))];
}
