import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LogSummary } from "../log/core";
import { displayNameOf, validateLogChunks } from "../log/validate";

/**
 * Pinning the log: the driver reads the log file exactly once; every chunk
 * is validated, hashed (SHA-256) and copied into a private, read-only file as
 * it is read. The dry replay and the bootstrap instance get that copy (and
 * its digest), never the original path, so changing, truncating or replacing
 * the file during a run changes nothing about what is deployed.
 */

/** A pinned log. */
export interface PinnedLog {
  /** The private copy (mode 0400 in a 0700 folder of the run). */
  readonly file: string;
  /** The hex SHA-256 of the bytes validated (and of the copy). */
  readonly sha256: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The validation of those bytes. */
  readonly summary: LogSummary;
}

/** The environment variable that hands the pinned log's digest to the instance. */
export const LOG_SHA256_ENV = "SPIVE_BOOTSTRAP_LOG_SHA256";

/** Options of `pinLog`. */
export interface PinOptions {
  /** Allowed zones. */
  readonly zones: readonly string[];
  /** Where the zones come from, for messages. */
  readonly zonesSource?: string;
}

/**
 * Reads `source` once into `<dir>/pinned-log.jsonl`, validating and hashing
 * the same bytes. Rejects with a sentence when the file cannot be read.
 */
export async function pinLog(source: string, dir: string, opts: PinOptions): Promise<PinnedLog> {
  const name = displayNameOf(source);
  const file = path.join(dir, "pinned-log.jsonl");
  const hash = createHash("sha256");
  let bytes = 0;
  const out = fs.openSync(file, "wx", 0o600);
  let summary: LogSummary;
  try {
    const read = fs.createReadStream(source, { highWaterMark: 256 * 1024 });
    async function* tee(): AsyncGenerator<Buffer> {
      for await (const chunk of read) {
        const b = chunk as Buffer;
        hash.update(b);
        bytes += b.length;
        fs.writeSync(out, b);
        yield b;
      }
    }
    try {
      summary = await validateLogChunks(tee(), { zones: opts.zones, zonesSource: opts.zonesSource, displayName: name });
    } catch (err) {
      throw new Error(`Cannot read the bootstrap log ${name}: ${(err as Error).message}; expected a readable file.`);
    }
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  fs.chmodSync(file, 0o400);
  return { file, sha256: hash.digest("hex"), bytes, summary };
}

/** The hex SHA-256 of a file, read in chunks. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Throws when the pinned copy no longer has the digest it was validated with (nothing else may write it). */
export async function assertPinned(pinned: PinnedLog): Promise<void> {
  const now = await sha256OfFile(pinned.file);
  if (now !== pinned.sha256) {
    throw new Error(`the pinned copy of the log (${pinned.file}) changed after validation: sha256 ${now}, validated ${pinned.sha256}; nothing was deployed from it.`);
  }
}

/** The first 12 hex digits of a digest, for progress lines. */
export function shortDigest(sha256: string): string {
  return sha256.slice(0, 12);
}
