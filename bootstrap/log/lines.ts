/**
 * Splits a byte stream into lines on `\n` without ever holding more than one
 * line (plus one chunk) in memory. A line longer than the cap is not kept: its
 * bytes are counted and dropped, and it is reported with its length only.
 */

/** The default longest line the validator reads: 1 MiB (a real event is a few hundred bytes). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** Receives each line: its bytes (null when longer than the cap), its 1-based number and its length in bytes. */
export type LineSink = (bytes: Buffer | null, line: number, length: number) => void;

/** An incremental line splitter: `push` chunks, then `end`. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private overflow = false;
  private lineNo = 0;

  /**
   * @param sink receives every line, in order.
   * @param maxLineBytes lines longer than this many bytes are reported with `bytes: null`.
   */
  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** How many lines have been emitted so far. */
  get lines(): number {
    return this.lineNo;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        if (start < chunk.length) this.keep(chunk.subarray(start));
        return;
      }
      if (this.partsLength === 0 && !this.overflow) {
        const length = nl - start;
        this.emit(length > this.maxLineBytes ? null : chunk.subarray(start, nl), length);
      } else {
        this.keep(chunk.subarray(start, nl));
        this.flush();
      }
      start = nl + 1;
    }
  }

  /** Ends the stream: a last line without a trailing newline is emitted; a trailing newline ends the last line. */
  end(): void {
    if (this.partsLength > 0 || this.overflow) this.flush();
  }

  private keep(part: Buffer): void {
    this.partsLength += part.length;
    if (this.overflow) return;
    if (this.partsLength > this.maxLineBytes) {
      this.overflow = true;
      this.parts = [];
    } else {
      // Copy: the caller may reuse the chunk's memory after push returns.
      this.parts.push(Buffer.from(part));
    }
  }

  private flush(): void {
    const length = this.partsLength;
    const bytes = this.overflow ? null : this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, length);
    this.parts = [];
    this.partsLength = 0;
    this.overflow = false;
    this.emit(bytes, length);
  }

  private emit(bytes: Buffer | null, length: number): void {
    this.sink(bytes, ++this.lineNo, length);
  }
}
