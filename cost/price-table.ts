import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { REPO_ROOT } from "../config/load";
import { RegionName } from "../config/schema";

/**
 * The committed price table (`pricing/gcp.yaml`): list prices of what the
 * stacks declare, each naming its public source and the date it was read,
 * and every resource type the stacks may declare, priced by a cost model,
 * free, or unknown. The schema here is the table's only definition; nothing
 * imports Pulumi, so the table is checked by plain tests and by the CLI.
 */

/** The committed price table's path. */
export const PRICE_TABLE_PATH = path.join(REPO_ROOT, "pricing", "gcp.yaml");

/** The cost models `cost/model.ts` implements; a resource type names one of them to be priced. */
export const COST_MODELS = [
  "gke-cluster",
  "gke-node-pool",
  "instance-group",
  "cloud-nat",
  "global-forwarding-rule",
  "global-address",
  "dns-zone",
  "bigtable-instance",
  "spanner-instance",
  "armor-policy",
  "armor-rule",
  "certificate-manager-certificate",
] as const;

/** One cost model's name. */
export type CostModelName = (typeof COST_MODELS)[number];

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date such as 2026-11-29")
  // A string that is not YYYY-MM-DD at all is reported by the regex alone.
  .refine((d) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return true;
    const t = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d);
  }, "a real calendar date");

/** A public page a price was read from. */
export const PriceSource = z
  .strictObject({
    title: z.string().min(1).describe("The page's title."),
    url: z.url({ protocol: /^https$/ }).describe("The page's public address."),
    read: IsoDate.describe("The date the price was read (YYYY-MM-DD)."),
    note: z.string().min(1).optional().describe("What exactly was read there, and what could not be."),
  })
  .describe("A public source of prices.");

const Price = z.number().min(0).describe("A price in the table's currency.");

/** One rate: a unit price, global or per region, or unknown. */
export const Rate = z
  .strictObject({
    description: z.string().min(1).describe("What is charged, e.g. `E2 vCPU`."),
    unit: z.string().min(1).describe("The unit the price is per, e.g. `vCPU-hour`, `GiB-month`, `GiB`."),
    source: z.string().min(1).describe("The key of the source (under `sources`) the price was read from."),
    price: z.union([Price, z.literal("unknown")]).optional().describe("One price everywhere, or `unknown` when no public source gave it."),
    regions: z.record(RegionName, Price).optional().describe("Per-region prices; other regions use the table's regionFallback."),
  })
  .superRefine((r, ctx) => {
    if ((r.price === undefined) === (r.regions === undefined)) {
      ctx.addIssue({ code: "custom", path: ["price"], message: `expected exactly one of price or regions, got ${r.price === undefined ? "neither" : "both"}` });
    }
    if (r.regions && Object.keys(r.regions).length === 0) ctx.addIssue({ code: "custom", path: ["regions"], message: "expected at least one region's price, got none" });
  })
  .describe("A unit price.");

/** How a resource type is treated: priced by a model, free, or unknown (shown as unpriced). */
export const ResourceTypeEntry = z.union([
  z.strictObject({ model: z.enum(COST_MODELS).describe("The cost model that prices resources of this type.") }),
  z.strictObject({
    free: z.string().min(1).describe("Why resources of this type cost nothing of their own."),
    source: z.string().min(1).optional().describe("The source that says so."),
  }),
  z.strictObject({ unknown: z.string().min(1).describe("Why this type cannot be priced yet.") }),
]);

/** One predefined machine type's shape. */
export const MachineShape = z.strictObject({
  family: z.string().regex(/^[a-z][a-z0-9]*$/, "a machine family such as e2"),
  vcpu: z.number().positive(),
  memoryGiB: z.number().positive(),
});

/** The whole price table. */
export const PriceTable = z
  .strictObject({
    currency: z.literal("USD"),
    hoursPerMonth: z.number().positive().describe("Hours billed for a resource that runs all month."),
    hoursPerMonthSource: z.string().min(1),
    regionFallback: z
      .strictObject({
        region: RegionName.describe("The region whose price a regional rate without a price for the region in question uses."),
        rule: z.string().min(1).describe("The fallback rule in words, for docs and reports."),
      })
      .describe("How regions without their own price are priced."),
    sources: z.record(z.string().regex(/^[a-z0-9-]+$/), PriceSource),
    rates: z.record(z.string().regex(/^[A-Za-z0-9.-]+$/), Rate),
    machineTypes: z.strictObject({
      source: z.string().min(1),
      types: z.record(z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/), MachineShape),
    }),
    resourceTypes: z.record(z.string().min(1), ResourceTypeEntry),
  })
  .superRefine((t, ctx) => {
    const known = new Set(Object.keys(t.sources));
    const check = (src: string | undefined, where: (string | number)[]): void => {
      if (src !== undefined && !known.has(src)) ctx.addIssue({ code: "custom", path: where, message: `expected a source listed under sources (${[...known].join(", ")}), got "${src}"` });
    };
    check(t.hoursPerMonthSource, ["hoursPerMonthSource"]);
    check(t.machineTypes.source, ["machineTypes", "source"]);
    for (const [id, r] of Object.entries(t.rates)) {
      check(r.source, ["rates", id, "source"]);
      if (r.regions && !(t.regionFallback.region in r.regions)) {
        ctx.addIssue({ code: "custom", path: ["rates", id, "regions"], message: `expected a price for the fallback region ${t.regionFallback.region}, got only ${Object.keys(r.regions).join(", ")}` });
      }
    }
    for (const [type, e] of Object.entries(t.resourceTypes)) if ("source" in e) check(e.source, ["resourceTypes", type, "source"]);
  })
  .describe("The committed price table.");

/** The parsed price table. */
export type PriceTable = z.infer<typeof PriceTable>;
/** One parsed rate. */
export type Rate = z.infer<typeof Rate>;

/**
 * Parses a price table's text; a table that breaks the schema fails with one
 * sentence per problem naming `file:line > key path`, what was expected and
 * what was given.
 */
export function parsePriceTable(text: string, file: string = path.relative(REPO_ROOT, PRICE_TABLE_PATH)): PriceTable {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new Error(`${file}:${e.linePos?.[0]?.line ?? "?"}: expected YAML, but it does not parse (${e.message.split("\n")[0]}).`);
  }
  const raw = parseYaml(text) as unknown;
  const parsed = PriceTable.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const keyPath = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".") || "(root)";
    let given: unknown = raw;
    for (const p of issue.path) given = given !== null && typeof given === "object" ? (given as Record<PropertyKey, unknown>)[p as string] : undefined;
    const got = /\bgot\b/.test(issue.message) ? "" : `, got ${given === undefined ? "nothing" : JSON.stringify(given).slice(0, 80)}`;
    return `${file}${line ? `:${line}` : ""} > ${keyPath}: expected ${issue.message.replace(/^expected /i, "")}${got}`;
  });
  throw new Error(problems.length === 1 ? `Invalid price table: ${problems[0]}.` : `Invalid price table (${problems.length} problems):\n  ${problems.join(".\n  ")}.`);
}

/** Reads and checks the committed price table (or the one at `file`). */
export function loadPriceTable(file: string = PRICE_TABLE_PATH): PriceTable {
  return parsePriceTable(fs.readFileSync(file, "utf8"), path.relative(REPO_ROOT, file) || file);
}

/** A rate resolved for one region: its price, or why there is none. */
export type ResolvedRate =
  | { readonly known: true; readonly price: number; readonly fallback: boolean; readonly rateId: string }
  | { readonly known: false; readonly reason: string; readonly rateId: string };

/**
 * The price of `rateId` in `region` (undefined: a global resource). A
 * regional rate without a price for the region uses the fallback region's
 * price and says so; an unknown or missing rate resolves to unknown.
 */
export function resolveRate(table: PriceTable, rateId: string, region: string | undefined): ResolvedRate {
  const rate = table.rates[rateId];
  if (!rate) return { known: false, reason: `the price table has no rate ${rateId}`, rateId };
  if (rate.price === "unknown") return { known: false, reason: `${rate.description}: price unknown (${table.sources[rate.source]?.url ?? rate.source})`, rateId };
  if (rate.price !== undefined) return { known: true, price: rate.price, fallback: false, rateId };
  const regions = rate.regions!;
  if (region !== undefined && region in regions) return { known: true, price: regions[region]!, fallback: false, rateId };
  return { known: true, price: regions[table.regionFallback.region]!, fallback: true, rateId };
}
