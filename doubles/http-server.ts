import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Authenticator } from "../bootstrap/contracts/auth";
import { MAX_REQUEST_BODY_BYTES } from "../bootstrap/contracts/limits";
import { escapeUnsafe } from "../bootstrap/contracts/text";

/**
 * The tiny HTTP/JSON server the local doubles share: loopback only, bounded
 * request bodies, JSON answers, one full-sentence `error` on failures.
 */

/** The most bytes a request body may have (the contracts' limit, `bootstrap/contracts/limits.ts`). */
export const MAX_BODY_BYTES = MAX_REQUEST_BODY_BYTES;

/**
 * How many bytes of an over-long body are read and dropped before the 413 is
 * sent, so the client (still writing) reads the answer instead of a reset;
 * past this the connection is cut.
 */
export const MAX_DRAIN_BYTES = 16 * MAX_REQUEST_BODY_BYTES;

/** Decodes one percent-encoded path segment; malformed encoding is the caller's error (400), never a 500. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `The path segment "${segment.slice(0, 80)}" is not valid percent-encoding (RFC 3986); expected UTF-8 bytes encoded as %XX.`);
  }
}

/** An error a handler throws to answer with a status and one sentence. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra answer headers, e.g. WWW-Authenticate on a 401. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A parsed request as handlers see it. */
export interface JsonRequest {
  /** The HTTP method. */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query parameters. */
  readonly query: URLSearchParams;
  /** The parsed JSON body (undefined when empty). */
  readonly body: unknown;
  /** Fires when the client goes away (long polls stop waiting). */
  readonly closed: AbortSignal;
  /** The request headers (lower-case names). */
  readonly headers: http.IncomingHttpHeaders;
}

/** A handler's answer: a status and a JSON body. */
export interface JsonAnswer {
  /** The HTTP status. */
  readonly status: number;
  /** The JSON body. */
  readonly body: unknown;
}

/** Handles one request; throw HttpError for a 4xx/5xx answer. */
export type JsonHandler = (req: JsonRequest) => Promise<JsonAnswer> | JsonAnswer;

/** A started server. */
export interface StartedServer {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** The node server. */
  readonly server: http.Server;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

function tooLarge(size: string): HttpError {
  return new HttpError(413, `The request body is ${size}; the limit is ${MAX_BODY_BYTES} bytes (docs/contracts.md).`);
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > MAX_DRAIN_BYTES) {
      // Too big to drain: answer at once (the connection closes after the answer).
      reject(tooLarge(`${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        return;
      }
      // Past the limit the rest is read and dropped, so the answer arrives before the connection closes.
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        reject(tooLarge(`${size} bytes`));
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      if (text === "") return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, `The request body is not JSON; expected a JSON object, got ${JSON.stringify(text.slice(0, 60))}.`));
      }
    });
  });
}

/** Options of a JSON server. */
export interface JsonServerOptions {
  /**
   * Decides on every state-changing call (any method but GET and HEAD)
   * before its body is read: 401 or 403 with one sentence otherwise
   * (docs/contracts.md, Authentication).
   */
  readonly authenticator?: Authenticator;
  /** The realm named in `WWW-Authenticate` on a 401. */
  readonly realm?: string;
}

/** Reads and drops a request body (bounded), so an early answer arrives before the connection closes. */
function drain(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on("end", () => resolve());
    req.on("error", () => resolve());
    req.on("close", () => resolve());
  });
}

/** Starts a JSON server on `host:port` (default 127.0.0.1, any free port). */
export function startJsonServer(handler: JsonHandler, port = 0, host = "127.0.0.1", opts: JsonServerOptions = {}): Promise<StartedServer> {
  const server = http.createServer((req, res) => {
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    const send = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
      if (res.headersSent || res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text), connection: "close" });
      res.end(text);
    };
    void (async () => {
      try {
        const url = new URL(req.url ?? "/", "http://localhost");
        const method = req.method ?? "GET";
        if (opts.authenticator && method !== "GET" && method !== "HEAD") {
          const decision = await opts.authenticator(req.headers.authorization);
          if (!decision.ok) {
            await drain(req);
            throw new HttpError(decision.status, decision.reason, decision.status === 401 ? { "www-authenticate": `Bearer realm="${opts.realm ?? "spive"}"` } : undefined);
          }
        }
        const body = await readBody(req);
        const answer = await handler({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body, closed: closed.signal, headers: req.headers });
        send(answer.status, answer.body);
      } catch (err) {
        // Messages may echo the request: control and bidi characters are sent escaped.
        if (err instanceof HttpError) send(err.status, err.status === 413 ? { error: escapeUnsafe(err.message), limitBytes: MAX_BODY_BYTES } : { error: escapeUnsafe(err.message) }, err.headers);
        else send(500, { error: escapeUnsafe(`Internal error: ${(err as Error).message}`) });
      }
    })();
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${addr.port}`,
        port: addr.port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Parses `host:port` (host must be a loopback address); throws a full sentence otherwise. */
export function parseListen(value: string, flag = "--listen"): { host: string; port: number } {
  const m = /^(127\.0\.0\.1|localhost):([0-9]{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`${flag}: expected a loopback address such as 127.0.0.1:0 (the doubles never listen beyond this machine), got "${value}".`);
  }
  return { host: "127.0.0.1", port };
}
