/**
 * `npm run bench:log`: writes a valid bootstrap log of 1,000,000 events
 * (mostly CreateInstance) to a temporary folder, validates it with the
 * streaming validator, and compares with a bare loop that reads the same file
 * with the same line reader and only runs `JSON.parse` on each line (and,
 * for context, the idiomatic readline loop). Prints
 * events/s, MB/s, peak RSS and the ratio (targets: ratio ≤ 2.0, peak RSS ≤ 300 MB).
 * Each side runs `ROUNDS` times, alternating; the best time of each is
 * compared, in wall time and in CPU time (steadier on a shared machine).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { LineSplitter } from "../bootstrap/log/lines";
import { validateLogFile } from "../bootstrap/log/validate";

const EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 7);
const ZONES = ["europe-west1-b", "europe-west1-c"];

const HEAD = [
  { kind: "Header", format: "spive-bootstrap-log", version: 1, layer: "prod0" },
  { kind: "CreateType", name: "SpiveScaler", extension: { package: "@spive/scaler", version: "2026.11.0" } },
  { kind: "CreateType", name: "SpiveInventory", extension: { package: "@spive/inventory", version: "2026.11.0" } },
  { kind: "CreateGateway", name: "BigtableEventStoreGateway", role: "event-store", extension: { package: "@spive/gateway-bigtable", version: "2026.11.0" }, config: { tablePrefix: "prod0" } },
  { kind: "CreateGateway", name: "BasicRunnerGateway", role: "runner", extension: { package: "@spive/gateway-basic-runner", version: "2026.11.0" }, config: { apiPort: 7070 } },
  { kind: "CreateStream", gid: "gid:prod0/spive", store: "BigtableEventStoreGateway", durable: true },
  { kind: "CreateStream", gid: "gid:prod0/inventory", store: "BigtableEventStoreGateway", durable: true },
  { kind: "CreateProcess", name: "SpiveProd0", types: ["Spive", "SpiveScaler", "SpiveInventory"], runner: "BasicRunnerGateway", gateways: ["BigtableEventStoreGateway"], streams: ["gid:prod0/spive", "gid:prod0/inventory"] },
];

/** Writes the log in batches (never the whole file in memory); returns its size in bytes. */
async function generate(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  const write = (s: string) => new Promise<void>((resolve, reject) => out.write(s, (err) => (err ? reject(err) : resolve())));
  await write(HEAD.map((e) => `${JSON.stringify(e)}\n`).join(""));
  const instances = EVENTS - HEAD.length - 1;
  let batch: string[] = [];
  for (let i = 0; i < instances; i++) {
    const zone = ZONES[i % 2]!;
    batch.push(`${JSON.stringify({ kind: "CreateInstance", id: `spive-prod0-${zone}-${i}`, process: "SpiveProd0", zone, args: [`--shard=${i % 16}`] })}\n`);
    if (batch.length === 10_000) {
      await write(batch.join(""));
      batch = [];
    }
  }
  batch.push(`${JSON.stringify({ kind: "End" })}\n`);
  await write(batch.join(""));
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return fs.statSync(file).size;
}

/** The bare loop: same line reader, only JSON.parse per line. */
async function bare(file: string): Promise<number> {
  let n = 0;
  let sink = 0;
  const splitter = new LineSplitter((bytes) => {
    if (bytes === null) return;
    const v = JSON.parse(bytes.toString("utf8")) as { kind?: unknown };
    if (v.kind !== undefined) sink++;
    n++;
  });
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) splitter.push(chunk as Buffer);
  splitter.end();
  if (sink !== n) throw new Error(`bench: expected every line to have a kind, got ${sink} of ${n}`);
  return n;
}

/** CPU time used by this process so far (all threads: user + system), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The idiomatic bare loop, for context: readline over a read stream, JSON.parse per line. */
async function bareReadline(file: string): Promise<number> {
  let n = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if ((JSON.parse(line) as { kind?: unknown }).kind !== undefined) n++;
  }
  return n;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-bench-log-"));
  const file = path.join(dir, "SpiveProdBootstrap.jsonl");
  try {
    let t = performance.now();
    const size = await generate(file);
    console.log(`generated ${EVENTS.toLocaleString("en")} events, ${mb(size)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    let bestBare = Infinity;
    let bestValidate = Infinity;
    let bestBareCpu = Infinity;
    let bestValidateCpu = Infinity;
    for (let round = 1; round <= ROUNDS; round++) {
      t = performance.now();
      let c = cpuMs();
      const n = await bare(file);
      const tb = performance.now() - t;
      bestBareCpu = Math.min(bestBareCpu, cpuMs() - c);
      t = performance.now();
      c = cpuMs();
      const summary = await validateLogFile(file, { zones: ZONES, displayName: "bench.jsonl" });
      const tv = performance.now() - t;
      bestValidateCpu = Math.min(bestValidateCpu, cpuMs() - c);
      if (!summary.ok || summary.events !== EVENTS || n !== EVENTS) {
        throw new Error(`bench: expected a valid log of ${EVENTS} events, got ok=${summary.ok}, events=${summary.events}, lines=${n}: ${summary.errors.slice(0, 3).map((e) => e.message).join("; ")}`);
      }
      console.log(`round ${round}: bare JSON.parse loop ${(tb / 1000).toFixed(2)} s, validate ${(tv / 1000).toFixed(2)} s (${summary.state.instances.size.toLocaleString("en")} instances)`);
      bestBare = Math.min(bestBare, tb);
      bestValidate = Math.min(bestValidate, tv);
    }
    t = performance.now();
    await bareReadline(file);
    const tr = performance.now() - t;
    const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
    const ratio = bestValidate / bestBare;
    const cpuRatio = bestValidateCpu / bestBareCpu;
    console.log(`validate: ${Math.round(EVENTS / (bestValidate / 1000)).toLocaleString("en")} events/s, ${(size / 1e6 / (bestValidate / 1000)).toFixed(1)} MB/s`);
    console.log(`bare JSON.parse loop: ${Math.round(EVENTS / (bestBare / 1000)).toLocaleString("en")} events/s, ${(size / 1e6 / (bestBare / 1000)).toFixed(1)} MB/s`);
    console.log(`ratio validate / bare, wall time: ${ratio.toFixed(2)} (target ≤ 2.0) ${ratio <= 2 ? "OK" : "MISSED"}`);
    console.log(`ratio validate / bare, CPU time: ${cpuRatio.toFixed(2)} (${(bestValidateCpu / 1000).toFixed(2)} s / ${(bestBareCpu / 1000).toFixed(2)} s; steadier than wall time on a shared machine)`);
    console.log(`for context, the idiomatic readline + JSON.parse loop: ${(tr / 1000).toFixed(2)} s (one run); validate / it: ${(bestValidate / tr).toFixed(2)}`);
    console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB (target ≤ 300 MB) ${peakRssMb <= 300 ? "OK" : "MISSED"}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
