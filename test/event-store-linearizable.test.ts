import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { credentialFor, tokenAuthenticator, writeInstallationToken } from "../bootstrap/contracts/auth";
import { httpEventStoreClient, type EventStoreClient } from "../bootstrap/contracts/clients";
import { ContractCallError } from "../bootstrap/contracts/http";
import { EventStoreDouble } from "../doubles/event-store";

/**
 * Issue 13, must-have 8: the event store contract's create-if-absent and
 * position-ordered appends hold when writers in both zones race. prod-0's
 * store is regional Spanner (one read-write transaction per append,
 * externally consistent); the double linearizes every call in its event loop
 * and keeps the same contract, which these tests hold it to.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spive-linearizable-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const token = writeInstallationToken(tmp);
const auth = tokenAuthenticator(token.token);
const cred = credentialFor({ kind: "token-file", file: token.file });

async function withStore<T>(dir: string, fn: (zoneB: EventStoreClient, zoneC: EventStoreClient, url: string) => Promise<T>): Promise<T> {
  const store = new EventStoreDouble(dir, auth);
  const url = await store.start();
  try {
    // One client per zone: separate connections, as SpiveProd0 instances in the two zones have.
    return await fn(httpEventStoreClient(url, cred), httpEventStoreClient(url, cred), url);
  } finally {
    await store.close();
  }
}

/** Appends `count` events as `writer`, re-reading the position after every conflict (bounded). */
async function writer(c: EventStoreClient, gid: string, name: string, count: number): Promise<{ positions: number[]; conflicts: number }> {
  const positions: number[] = [];
  let conflicts = 0;
  for (let seq = 0; seq < count; seq++) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 50 * count) throw new Error(`test: ${name} made no progress after ${attempt} attempts`);
      const at = (await c.events(gid, Number.MAX_SAFE_INTEGER, { timeoutMs: 30_000 })).lastPosition;
      try {
        positions.push((await c.append(gid, { expectedPosition: at, event: { writer: name, seq } }, { timeoutMs: 30_000 })).position);
        break;
      } catch (err) {
        if (!(err instanceof ContractCallError) || err.status !== 409) throw err;
        conflicts++;
      }
    }
  }
  return { positions, conflicts };
}

describe("appends from both zones", () => {
  it("each position is taken exactly once, without gaps, in each writer's order", async () => {
    await withStore(path.join(tmp, "race"), async (zoneB, zoneC) => {
      const gid = "gid:prod0/race";
      await zoneB.createStream(gid, { store: "SpannerEventStoreGateway", durable: true });
      const [b, c] = await Promise.all([writer(zoneB, gid, "b", 40), writer(zoneC, gid, "c", 40)]);
      const all = await zoneB.events(gid, 0);
      expect(all.lastPosition).toBe(80);
      expect(all.events.map((e) => e.position)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      for (const [name, w] of [["b", b], ["c", c]] as const) {
        const mine = all.events.filter((e) => e.event.writer === name);
        // Every event of the writer exactly once, in its own order, at the positions it was told.
        expect(mine.map((e) => e.event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        expect(mine.map((e) => e.position)).toEqual(w.positions);
      }
      // The race was real: the writers interleaved (a run where one finished first would prove nothing).
      expect(b.conflicts + c.conflicts).toBeGreaterThan(0);
    });
  }, 120_000);

  it("a stale expected position is refused with 409 and writes nothing; a missing stream is 404", async () => {
    await withStore(path.join(tmp, "stale"), async (zoneB, zoneC) => {
      const gid = "gid:prod0/stale";
      await zoneB.createStream(gid, { store: "SpannerEventStoreGateway", durable: true });
      expect((await zoneB.append(gid, { expectedPosition: 0, event: { n: 1 } })).position).toBe(1);
      const err = await zoneC.append(gid, { expectedPosition: 0, event: { n: 2 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContractCallError);
      expect((err as ContractCallError).status).toBe(409);
      expect((err as Error).message).toContain("Stream gid:prod0/stale is at position 1; the append expected 0.");
      expect((await zoneC.events(gid)).events.map((e) => e.event)).toEqual([{ n: 1 }]);
      const missing = await zoneC.append("gid:prod0/absent", { expectedPosition: 0, event: {} }).catch((e: unknown) => e);
      expect((missing as ContractCallError).status).toBe(404);
    });
  }, 60_000);

  it("events survive a restart and appends continue at the next position", async () => {
    const dir = path.join(tmp, "durable");
    const gid = "gid:prod0/durable";
    await withStore(dir, async (c) => {
      await c.createStream(gid, { store: "SpannerEventStoreGateway", durable: true });
      await c.append(gid, { expectedPosition: 0, event: { n: 1 } });
      await c.append(gid, { expectedPosition: 1, event: { n: 2 } });
    });
    await withStore(dir, async (c) => {
      expect((await c.events(gid)).events.map((e) => [e.position, e.event.n])).toEqual([[1, 1], [2, 2]]);
      expect((await c.append(gid, { expectedPosition: 2, event: { n: 3 } })).position).toBe(3);
    });
  }, 60_000);

  it("an unauthenticated append is refused with 401", async () => {
    await withStore(path.join(tmp, "auth"), async (c, _c2, url) => {
      const gid = "gid:prod0/auth";
      await c.createStream(gid, { store: "SpannerEventStoreGateway", durable: true });
      const status = await new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ expectedPosition: 0, event: {} });
        const req = http.request(new URL(`/v1/streams/${encodeURIComponent(gid)}/events`, url), { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(body);
      });
      expect(status).toBe(401);
      expect((await c.events(gid)).lastPosition).toBe(0);
    });
  }, 60_000);
});

describe("create-if-absent from both zones", () => {
  it("exactly one of many racing creates creates the stream; the same settings answer 200, others 409", async () => {
    await withStore(path.join(tmp, "create"), async (zoneB, zoneC) => {
      const gid = "gid:prod0/contended";
      const settings = [{ store: "SpannerEventStoreGateway", durable: true }, { store: "OtherGateway", durable: false }];
      const answers = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? zoneC : zoneB).createStream(gid, settings[i % 4 < 2 ? 0 : 1]!)));
      const created = answers.filter((a) => a.status === "fulfilled" && a.value.created);
      expect(created).toHaveLength(1);
      const winner = (created[0] as PromiseFulfilledResult<{ stream: { store: string; durable: boolean } }>).value.stream;
      answers.forEach((a, i) => {
        const mine = settings[i % 4 < 2 ? 0 : 1]!;
        const same = mine.store === winner.store && mine.durable === winner.durable;
        if (same) expect(a.status).toBe("fulfilled");
        else expect(a.status === "rejected" && (a.reason as ContractCallError).status).toBe(409);
      });
      expect((await zoneC.list()).streams.filter((s) => s.gid === gid)).toHaveLength(1);
    });
  }, 60_000);
});
