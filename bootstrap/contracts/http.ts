import * as http from "node:http";
import type { z } from "zod";
import type { CredentialSource } from "./auth";
import { escapeUnsafe } from "./text";

/**
 * A small JSON-over-HTTP client for the bootstrap contracts: one request per
 * connection (no keep-alive, so nothing lingers after a run), a bounded
 * timeout on every call, cancellation through an AbortSignal, and answers
 * checked by the contract's zod schema.
 */

/** A failed call: the host could not be reached, answered an error, or broke the contract. */
export class ContractCallError extends Error {
  /** The HTTP status, when the host answered. */
  readonly status: number | undefined;
  /** True when the host could not be reached (refused, reset, timed out). */
  readonly unreachable: boolean;

  constructor(message: string, status: number | undefined, unreachable: boolean) {
    super(message);
    this.name = "ContractCallError";
    this.status = status;
    this.unreachable = unreachable;
  }
}

/** Options of one call. */
export interface CallOptions {
  /** The HTTP method (default GET). */
  readonly method?: "GET" | "PUT" | "POST" | "DELETE";
  /** A JSON body. */
  readonly body?: unknown;
  /** Give up after this many milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
  /** Where the bearer credential comes from (state-changing calls; docs/contracts.md, Authentication). */
  readonly credential?: CredentialSource;
  /** Extra request headers (e.g. the bootstrap lease, `x-spive-lease`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Calls `base` + `path` and parses the JSON answer with `schema`. Any status
 * outside 2xx rejects with the answer's `error` sentence; so do a timeout,
 * an unreachable host and an answer that breaks the schema.
 */
export function callJson<S extends z.ZodType>(base: string, path: string, schema: S, opts: CallOptions = {}): Promise<z.infer<S>> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  const what = `${opts.method ?? "GET"} ${url.href}`;
  if (opts.credential) {
    const { credential, ...rest } = opts;
    return credential().then(
      (token) => callJson(base, path, schema, { ...rest, headers: { ...rest.headers, authorization: `Bearer ${token}` } }),
      (err: unknown) => {
        throw new ContractCallError(`${what} was not sent: ${(err as Error).message}`, undefined, false);
      },
    );
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ContractCallError(`${what} was cancelled before it was sent.`, undefined, false));
      return;
    }
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const req = http.request(
      url,
      {
        method: opts.method ?? "GET",
        agent: false,
        headers: { accept: "application/json", ...opts.headers, ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => finish(() => reject(new ContractCallError(`${what} failed while reading the answer: ${err.message}.`, res.statusCode, true))));
        res.on("end", () =>
          finish(() => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = text === "" ? undefined : JSON.parse(text);
            } catch {
              reject(new ContractCallError(`${what} answered ${status} with a body that is not JSON: ${escapeUnsafe(text.slice(0, 120))}`, status, false));
              return;
            }
            if (status < 200 || status > 299) {
              const sentence = json && typeof json === "object" && typeof (json as { error?: unknown }).error === "string" ? (json as { error: string }).error : text.slice(0, 200);
              // The sentence comes from the remote: control and bidi characters are shown escaped.
              reject(new ContractCallError(`${what} answered ${status}: ${escapeUnsafe(sentence)}`, status, false));
              return;
            }
            const parsed = schema.safeParse(json);
            if (!parsed.success) {
              const issue = parsed.error.issues[0]!;
              reject(new ContractCallError(`${what} broke the contract at ${issue.path.join(".") || "(root)"}: ${issue.message}.`, status, false));
              return;
            }
            resolve(parsed.data);
          }),
        );
      },
    );
    const timer = setTimeout(() => {
      finish(() => reject(new ContractCallError(`${what} did not answer within ${timeoutMs} ms.`, undefined, true)));
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish(() => reject(new ContractCallError(`${what} was cancelled.`, undefined, false)));
      req.destroy();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err: NodeJS.ErrnoException) =>
      finish(() => reject(new ContractCallError(`${what} could not reach the host (${err.code ?? err.message}).`, undefined, true))),
    );
    req.end(payload);
  });
}
