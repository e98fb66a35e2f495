import * as fs from "node:fs";
import * as path from "node:path";
import type { Authenticator } from "../bootstrap/contracts/auth";
import { CreateStreamRequest, StreamGid, type StoredStream } from "../bootstrap/contracts/event-store-api";
import { EventLog } from "./event-log";
import { parseStreamsFile, probeWritable } from "./store-file";
import { decodeSegment, HttpError, startJsonServer, type JsonRequest, type StartedServer } from "./http-server";

/**
 * The durable local event store double: serves the local event store API
 * (docs/contracts.md) on loopback and keeps every stream in
 * `<dir>/streams.jsonl`, appended and fsynced before the answer, so streams
 * survive a restart and a wipe of the runner hosts, as durable streams of
 * prod-0's Bigtable event store do.
 */

/** The file a store keeps its streams in. */
export const STREAMS_FILE = "streams.jsonl";

/** A running event store double. */
export class EventStoreDouble {
  private readonly streams = new Map<string, StoredStream>();
  private server: StartedServer | undefined;
  private readonly file: string;

  /**
   * @param dir the folder that holds the store's data (created if missing).
   * @param auth decides on every state-changing call (docs/contracts.md, Authentication).
   * @param port the loopback port (0: any).
   */
  constructor(
    private readonly dir: string,
    private readonly auth: Authenticator,
    private readonly port = 0,
  ) {
    this.file = path.join(dir, STREAMS_FILE);
  }

  /** The base URL once started. */
  get url(): string {
    if (!this.server) throw new Error("The event store double is not started; call start() first.");
    return this.server.url;
  }

  /** Loads the durable data and starts serving; resolves with the base URL. */
  async start(): Promise<string> {
    fs.mkdirSync(this.dir, { recursive: true });
    if (fs.existsSync(this.file)) {
      for (const [gid, s] of parseStreamsFile(this.file, fs.readFileSync(this.file, "utf8"))) this.streams.set(gid, s);
    }
    this.events = new EventLog(this.dir);
    this.server = await startJsonServer((req) => this.handle(req), this.port, "127.0.0.1", { authenticator: this.auth, realm: "spive-event-store" });
    return this.server.url;
  }

  /** Stops serving. The data stays on disk. */
  async close(): Promise<void> {
    await this.server?.close();
  }

  /** The streams' events (created when the store starts). */
  private events: EventLog | undefined;

  private handle(req: JsonRequest) {
    const ev = /^\/v1\/streams\/([^/]+)\/events$/.exec(req.path);
    if (ev) return this.handleEvents(req, decodeSegment(ev[1]!));
    if (req.path === "/v1/health" && req.method === "GET") return { status: 200, body: { ok: true, streams: this.streams.size } };
    if (req.path === "/v1/probe" && req.method === "POST") {
      try {
        probeWritable(this.dir);
      } catch (err) {
        throw new HttpError(503, (err as Error).message);
      }
      return { status: 200, body: { writable: true } };
    }
    if (req.path === "/v1/streams" && req.method === "GET") return { status: 200, body: { streams: [...this.streams.values()] } };
    const m = /^\/v1\/streams\/([^/]+)$/.exec(req.path);
    if (m && req.method === "PUT") {
      const gid = decodeSegment(m[1]!);
      if (!StreamGid.safeParse(gid).success) throw new HttpError(400, `PUT /v1/streams/{gid}: ${JSON.stringify(gid.slice(0, 200))} is not a stream gid; expected gid:<layer>/<segment>… as in the bootstrap log, such as gid:prod0/inventory.`);
      const parsed = CreateStreamRequest.safeParse(req.body);
      if (!parsed.success) throw new HttpError(400, `PUT /v1/streams/${gid}: ${parsed.error.issues[0]!.message}.`);
      const have = this.streams.get(gid);
      if (have) {
        if (have.store !== parsed.data.store || have.durable !== parsed.data.durable) {
          throw new HttpError(409, `Stream ${gid} already exists in store ${have.store} (durable: ${have.durable}); expected the same settings, got store ${parsed.data.store} (durable: ${parsed.data.durable}).`);
        }
        return { status: 200, body: { created: false, stream: have } };
      }
      const stream: StoredStream = { gid, ...parsed.data, createdAt: new Date().toISOString() };
      const fd = fs.openSync(this.file, "a");
      try {
        fs.writeSync(fd, `${JSON.stringify(stream)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      this.streams.set(gid, stream);
      return { status: 201, body: { created: true, stream } };
    }
    throw new HttpError(404, `${req.method} ${req.path} is not part of the local event store API (docs/contracts.md).`);
  }

  /** `POST` (conditional append) and `GET` (read) of one stream's events; the stream must exist. */
  private handleEvents(req: JsonRequest, gid: string) {
    if (!this.streams.has(gid)) throw new HttpError(404, `Stream ${JSON.stringify(gid.slice(0, 200))} does not exist; create it first (PUT /v1/streams/{gid}).`);
    if (req.method === "POST") return this.events!.append(gid, req.body);
    if (req.method === "GET") {
      const after = Number(req.query.get("after") ?? "0");
      if (!Number.isInteger(after) || after < 0) throw new HttpError(400, `GET /v1/streams/${gid}/events: expected after=<position ≥ 0>, got "${req.query.get("after")}".`);
      return { status: 200, body: this.events!.list(gid, after) };
    }
    throw new HttpError(405, `${req.method} ${req.path} is not part of the local event store API; expected POST or GET.`);
  }
}
