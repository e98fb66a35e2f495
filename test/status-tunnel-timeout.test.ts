import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Binding } from "../bootstrap/contracts/binding";
import { tunnelledStatus } from "../bootstrap/driver/status";
import { iapTunnels } from "../bootstrap/driver/tunnels";

// `spive status --target prod0` (and `bootstrap run --status`) pass an
// interruption signal to tunnelledStatus. With it, the open timeout used to be
// AbortSignal.any([signal, AbortSignal.timeout(ms)]), whose timeout signal
// Node 20 can garbage-collect (nodejs/node#57736): a tunnel that never opened
// then hung the command for good (seen: a status process still waiting after
// 55 minutes). The garbage made below forces the scavenges that collect it.

const FAKE_GCLOUD = [process.execPath, path.join(__dirname, "bootstrap-fake-gcloud.js")];
const names = ["spive-prod0-basic-runner-europe-west1-b-0", "spive-prod0-basic-runner-europe-west1-c-0"];
let dir: string;
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "spive-status-timeout-"));
  for (const k of ["FAKE_IAP_LOG", "FAKE_IAP_TARGETS", "FAKE_IAP_HANG"]) saved[k] = process.env[k];
  process.env.FAKE_IAP_LOG = path.join(dir, "tunnels.jsonl");
  // Nothing listens on port 9 (discard); the first host's tunnel never opens.
  process.env.FAKE_IAP_TARGETS = JSON.stringify(Object.fromEntries(names.map((n) => [n, "127.0.0.1:9"])));
  process.env.FAKE_IAP_HANG = names[0];
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a tunnel that never opens", () => {
  it("fails the status within its open timeout, naming the host, also with an interruption signal and garbage collection going on", async () => {
    const binding: Binding = {
      target: "prod0",
      project: "spive-prod0",
      runnerHosts: names.map((n, i) => ({ name: n, zones: [i === 0 ? "europe-west1-b" : "europe-west1-c"], url: `http://${n}.internal:7070` })),
      eventStore: { kind: "local", url: "http://127.0.0.1:9" },
      gateways: {},
    };
    const interrupt = new AbortController();
    let made = 0;
    const churn = setInterval(() => {
      made += Array.from({ length: 20_000 }, (_, i) => ({ i, s: `garbage-${i}` })).length;
    }, 5);
    const started = Date.now();
    try {
      const outcome = await Promise.race([
        tunnelledStatus(binding, iapTunnels(FAKE_GCLOUD), { signal: interrupt.signal, openTimeoutMs: 3_000 }).then(
          () => "resolved",
          (err: Error) => err,
        ),
        new Promise<string>((r) => setTimeout(() => r("still waiting after 60 s"), 60_000)),
      ]);
      expect(outcome).toBeInstanceOf(Error);
      expect(String((outcome as Error).message)).toMatch(/did not open in time/);
      expect((outcome as { host?: string }).host).toBe(names[0]);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      clearInterval(churn);
    }
    // Garbage was made while waiting (the scavenges that used to lose the timeout).
    expect(made).toBeGreaterThan(0);
  }, 90_000);
});
