/**
 * Compact storage for the million-instance case. Ids are kept as bytes in an
 * arena, each after its length and hash — no JS string per id, nothing
 * for the garbage collector to trace. Appending is sequential; duplicates are
 * found afterwards in three sequential passes over the hashes (`settle`), and
 * the open-addressing lookup table is only built when someone looks an id up.
 * That is what keeps validating a million-instance log within about twice
 * the cost of merely parsing it, in a few tens of megabytes.
 */

/** One MurmurHash3 (x86, 32-bit) round: mixes `word` into `h`. */
function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

/** Whether words are stored little-endian here (they hold an id's bytes in memory order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The arena's chunk size: ids never straddle chunks, and a full chunk is never copied. */
const CHUNK_BYTES = 1 << 20;
/** Each arena record starts with two words: the id's length and its hash. */
const HEADER_BYTES = 8;

const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;

/** A growable column of 32-bit integers, in fixed pages so that growing never copies. */
export class IntColumn {
  private pages: Int32Array[] = [];
  private length = 0;

  /** How many values there are. */
  get size(): number {
    return this.length;
  }

  /** Appends a value. */
  push(v: number): void {
    const i = this.length++;
    const page = i >>> PAGE_BITS;
    if (page === this.pages.length) this.pages.push(new Int32Array(PAGE));
    this.pages[page]![i & (PAGE - 1)] = v;
  }

  /** The value at `i` (undefined past the end). */
  at(i: number): number | undefined {
    return i < this.length ? this.pages[i >>> PAGE_BITS]![i & (PAGE - 1)] : undefined;
  }

  /** The values, copied into one array. */
  toArray(): Int32Array {
    const out = new Int32Array(this.length);
    this.pages.forEach((page, p) => out.set(page.subarray(0, Math.min(PAGE, this.length - p * PAGE)), p * PAGE));
    return out;
  }

  /** An independent copy. */
  clone(): IntColumn {
    const c = new IntColumn();
    c.pages = this.pages.map((page) => page.slice());
    c.length = this.length;
    return c;
  }
}

/** A later row whose id equals an earlier row's. */
export interface DuplicateRow {
  /** The later row (it is dropped: the first creation wins). */
  readonly row: number;
  /** The first row with the same id. */
  readonly firstRow: number;
}

/**
 * The groups of rows sharing a hash (each group's rows ascending), found in
 * three sequential passes: count rows per bucket of the hash's top 11 bits,
 * scatter (hash, row) pairs into bucket order, then look for equal hashes
 * bucket by bucket in a small table that stays in cache.
 */
function equalHashGroups(hashes: Int32Array): Int32Array[] {
  const n = hashes.length;
  const BUCKETS = 2048;
  const starts = new Int32Array(BUCKETS + 1);
  for (let i = 0; i < n; i++) starts[(hashes[i]! >>> 21) + 1]!++;
  let largest = 0;
  for (let b = 0; b < BUCKETS; b++) {
    largest = Math.max(largest, starts[b + 1]!);
    starts[b + 1]! += starts[b]!;
  }
  const fill = starts.slice(0, BUCKETS);
  const byBucket = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    const at = fill[h >>> 21]!++ * 2;
    byBucket[at] = h;
    byBucket[at + 1] = i;
  }
  let size = 16;
  while (size < largest * 2) size *= 2;
  const table = new Int32Array(size);
  const groups = new Map<number, number[]>();
  for (let b = 0; b < BUCKETS; b++) {
    const from = starts[b]!;
    const to = starts[b + 1]!;
    if (to - from < 2) continue;
    let mask = 16 - 1;
    while (mask + 1 < (to - from) * 2) mask = mask * 2 + 1;
    table.fill(-1, 0, mask + 1);
    for (let k = from; k < to; k++) {
      const h = byBucket[2 * k]!;
      let slot = h & mask;
      for (;;) {
        const other = table[slot]!;
        if (other === -1) {
          table[slot] = k;
          break;
        }
        if (byBucket[2 * other] === h) {
          const group = groups.get(h);
          if (group) group.push(byBucket[2 * k + 1]!);
          else groups.set(h, [byBucket[2 * other + 1]!, byBucket[2 * k + 1]!]);
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }
  return [...groups.values()].map((g) => Int32Array.from(g));
}

/**
 * An insertion-ordered list of ids made of code units 0–255 (instance ids
 * are ASCII by schema), each with its row (0, 1, 2, … in insertion order).
 * Rows marked dead by `settle` (later duplicates) are skipped by lookups.
 */
export class IdIndex {
  private chunks: Buffer[] = [];
  private chunkWords: Int32Array[] = [];
  /** Where the next id goes: a global offset, chunk index × CHUNK_BYTES + offset in the chunk. */
  private used = 0;
  /** Each row's record in the arena: a global offset to [length word, hash word, id words…]. */
  private starts = new IntColumn();
  private dead: Uint8Array | null = null;
  private deadCount = 0;
  private settled = 0;
  private slots: Int32Array | null = null;
  private mask = 0;

  /** How many rows there are, dead or alive. */
  get rows(): number {
    return this.starts.size;
  }

  /** How many live rows there are (after `settle`, the number of distinct ids). */
  get size(): number {
    return this.starts.size - this.deadCount;
  }

  /** Whether `row` was dropped as a later duplicate. */
  isDead(row: number): boolean {
    return this.dead !== null && row < this.dead.length && this.dead[row] === 1;
  }

  /** The arena word `k` words after `row`'s record start (0: length, 1: hash). */
  private wordOf(row: number, k: number): number {
    const start = this.starts.at(row)!;
    const offset = start % CHUNK_BYTES;
    return this.chunkWords[(start - offset) / CHUNK_BYTES]![(offset >> 2) + k]!;
  }

  /** The stored hash of `row`'s id. */
  hashAt(row: number): number {
    return this.wordOf(row, 1);
  }

  /** The bytes of `row`'s id (a view into its chunk). */
  private bytesOf(row: number): Buffer {
    const start = this.starts.at(row)!;
    const offset = start % CHUNK_BYTES;
    return this.chunks[(start - offset) / CHUNK_BYTES]!.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + this.wordOf(row, 0));
  }

  private equalsAt(row: number, id: string): boolean {
    if (this.wordOf(row, 0) !== id.length) return false;
    const a = this.bytesOf(row);
    for (let i = 0; i < id.length; i++) if (a[i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private sameId(r1: number, r2: number): boolean {
    return this.bytesOf(r1).equals(this.bytesOf(r2));
  }

  /**
   * Appends `id` as the next row without looking for it; returns the row.
   * The id must consist of code units 0–255 (instance ids are ASCII by
   * schema; `InstanceTable` checks other callers): it is stored as latin1.
   */
  append(id: string): number {
    // A record is [length, hash, id zero-padded to whole words]: one sequential write, hashed a word at a time.
    const h = this.stage(id);
    const at = this.used;
    const words = this.chunkWords[this.chunkWords.length - 1]!;
    const w = (at % CHUNK_BYTES) >> 2;
    words[w] = id.length;
    words[w + 1] = h;
    this.used = at + HEADER_BYTES + ((id.length + 3) & ~3);
    const row = this.starts.size;
    this.starts.push(at);
    if (this.slots !== null) this.slotInsert(h, row);
    return row;
  }

  /**
   * Writes `id` (latin1, zero-padded to a word) at the arena's free end
   * without committing it, and returns its hash (MurmurHash3 over 32-bit
   * words, seeded with the length). Lookups stage too, so both hash alike.
   */
  private stage(id: string): number {
    const n = id.length;
    const padded = HEADER_BYTES + ((n + 3) & ~3);
    if (padded > CHUNK_BYTES) throw new Error(`IdIndex: expected an id of at most ${CHUNK_BYTES} characters, got ${n}.`);
    let offset = this.used % CHUNK_BYTES;
    if (this.chunks.length === 0 || offset + padded > CHUNK_BYTES) {
      // Start a new chunk; the old one is never copied.
      const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.chunks.push(chunk);
      this.chunkWords.push(new Int32Array(chunk.buffer, chunk.byteOffset, CHUNK_BYTES >> 2));
      this.used = (this.chunks.length - 1) * CHUNK_BYTES;
      offset = 0;
    }
    const words = this.chunkWords[this.chunkWords.length - 1]!;
    // Packs four latin1 characters (zero-padded) into each word, in memory byte order, hashing as it goes:
    // MurmurHash3 (x86, 32-bit), then its finaliser, so every bit of every character reaches every bit of the hash.
    let h = n;
    let w = (offset + HEADER_BYTES) >> 2;
    let high = 0;
    let i = 0;
    for (; i + 4 <= n; i += 4, w++) {
      const c0 = id.charCodeAt(i);
      const c1 = id.charCodeAt(i + 1);
      const c2 = id.charCodeAt(i + 2);
      const c3 = id.charCodeAt(i + 3);
      high |= c0 | c1 | c2 | c3;
      const word = LITTLE_ENDIAN ? c0 | (c1 << 8) | (c2 << 16) | (c3 << 24) : (c0 << 24) | (c1 << 16) | (c2 << 8) | c3;
      words[w] = word;
      h = mix(h, word);
    }
    if (i < n) {
      // The last, partial word, zero-padded.
      let word = 0;
      for (let shift = 0; i < n; i++, shift += 8) {
        const c = id.charCodeAt(i);
        high |= c;
        word |= LITTLE_ENDIAN ? c << shift : c << (24 - shift);
      }
      words[w] = word;
      h = mix(h, word);
    }
    if (high > 255) throw new Error(`IdIndex: expected an id of code units 0-255, got "${id}".`);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** Adds `id` unless a live row has it: returns the new row, or `-(existing row) - 1`. */
  insert(id: string): number {
    const existing = this.rowOf(id);
    return existing >= 0 ? -existing - 1 : this.append(id);
  }

  /** The earliest live row with `id`, or -1. Builds the lookup table on first use. */
  rowOf(id: string): number {
    if (this.slots === null) this.buildSlots();
    const slots = this.slots!;
    const h = this.stage(id);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const row1 = slots[2 * i + 1]!;
      if (row1 === 0) return -1;
      if (slots[2 * i] === h && this.equalsAt(row1 - 1, id)) return row1 - 1;
    }
  }

  /**
   * Finds every row appended since the last settle whose id equals an
   * earlier row's, marks it dead, and returns them (in row order). Linear,
   * with sequential memory access (see `equalHashGroups`).
   */
  settle(): DuplicateRow[] {
    const n = this.starts.size;
    if (this.settled === n) return [];
    const from = this.settled;
    this.settled = n;
    const out: DuplicateRow[] = [];
    const hashes = new Int32Array(n);
    for (let row = 0; row < n; row++) hashes[row] = this.hashAt(row);
    for (const group of equalHashGroups(hashes)) this.settleGroup(group, from, out);
    if (out.length > 0) {
      this.slots = null;
      out.sort((a, b) => a.row - b.row);
    }
    return out;
  }

  /** Within rows of one hash (ascending), marks later rows ≥ `from` equal to an earlier live row. */
  private settleGroup(group: Int32Array, from: number, out: DuplicateRow[]): void {
    for (let a = 0; a < group.length; a++) {
      const first = group[a]!;
      if (this.isDead(first)) continue;
      for (let b = a + 1; b < group.length; b++) {
        const later = group[b]!;
        if (later < from || this.isDead(later) || !this.sameId(first, later)) continue;
        if (this.dead === null || this.dead.length < this.starts.size) {
          const d = new Uint8Array(Math.max(this.starts.size, 1024));
          if (this.dead) d.set(this.dead);
          this.dead = d;
        }
        this.dead[later] = 1;
        this.deadCount++;
        out.push({ row: later, firstRow: first });
      }
    }
  }

  /** The id of `row`. */
  idAt(row: number): string {
    return this.bytesOf(row).toString("latin1");
  }

  /** An independent copy. */
  clone(): IdIndex {
    const c = new IdIndex();
    c.chunks = this.chunks.map((chunk) => Buffer.from(chunk));
    c.chunkWords = c.chunks.map((chunk) => new Int32Array(chunk.buffer, chunk.byteOffset, CHUNK_BYTES >> 2));
    c.used = this.used;
    c.starts = this.starts.clone();
    c.dead = this.dead ? this.dead.slice() : null;
    c.deadCount = this.deadCount;
    c.settled = this.settled;
    return c;
  }

  private buildSlots(): void {
    let capacity = 1024;
    while (capacity < this.starts.size * 2 + 2) capacity *= 2;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    const rows = this.starts.size;
    for (let row = 0; row < rows; row++) this.slotInsert(this.hashAt(row), row);
  }

  /** Puts a live row into the lookup table (rows go in ascending order, so the earliest of equal ids is found first). */
  private slotInsert(h: number, row: number): void {
    if (this.isDead(row)) return;
    if ((this.starts.size + 1) * 2 > this.mask + 1) {
      this.buildSlots();
      return;
    }
    const slots = this.slots!;
    let i = h & this.mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    slots[2 * i] = h;
    slots[2 * i + 1] = row + 1;
  }
}
