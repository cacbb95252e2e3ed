// The one vocabulary of a categorical column (one embedding table), for every schema: key -> index in order of
// first appearance, on a key table of the table's width: U32HashTable for 32-bit keys (Criteo's hex values,
// decimal ids, folded hashes; its first-appearance assignment has a native kernel) or U64HashTable for 64-bit
// keys (hashed strings; a key is its hi and lo words). Keys arrive as columns (a parser's TableKeys: lo and,
// for 64-bit tables, hi). Without --min-frequency every key gets the next index the first time it is seen.
// With --min-frequency K a counting pass first stores each key's count (saturating at 2^31-1); assignment
// then gives the keys seen >= K times indices 0..F-1 in order of first appearance and maps every rarer key to
// the shared index F (the table's rare/OOV row), so the table has F + 1 rows. Keys assigned since the last
// takeNew() are kept in the vocabulary file's layout (uint32 per key, or uint64 LE: lo then hi word), so a
// run appends them to the file (Criteo days, checkpoints) or writes them once (custom schemas).
import { U32HashTable } from './hashTable';
import { U64HashTable } from './u64HashTable';

const ASSIGNED = 0x80000000;
const INDEX_MASK = 0x7fffffff;

export class Vocabulary {
  private readonly narrow: U32HashTable | undefined;
  private readonly wide: U64HashTable | undefined;
  /** Keys that got an index, in index order. */
  private assigned = 0;
  /** Keys assigned since the last takeNew(), in the file layout (words per key: 1 or 2). */
  private fresh = new Uint32Array(1024);
  private freshCount = 0;
  /** With min-frequency: the number of frequent keys F (= the rare index), known after finishCounting. */
  private frequent = -1;

  constructor(
    readonly minFrequency: number,
    readonly keyBits: 32 | 64 = 32,
  ) {
    if (keyBits === 64) this.wide = new U64HashTable();
    else this.narrow = new U32HashTable();
  }

  /** Indices assigned so far. */
  get size(): number {
    return this.assigned;
  }

  /** The shared rare index F (min-frequency only, after finishCounting), else -1. */
  get rareIndex(): number {
    return this.minFrequency > 1 ? this.frequent : -1;
  }

  /** Bytes held by the key table. */
  get bytes(): number {
    return this.narrow ? this.narrow.bytes : (this.wide as U64HashTable).bytes;
  }

  /** Counting pass (min-frequency only): counts keys [from, to) (hi: the high words of 64-bit keys). */
  count(lo: Uint32Array, hi: Uint32Array | undefined, from: number, to: number): void {
    if (this.narrow) {
      for (let i = from; i < to; i++) this.narrow.add(lo[i], 1);
    } else {
      const w = this.wide as U64HashTable;
      for (let i = from; i < to; i++) w.increment(hi ? hi[i] : 0, lo[i]);
    }
  }

  /** Ends the counting pass: F = number of keys counted >= minFrequency. */
  finishCounting(): number {
    let f = 0;
    const k = this.minFrequency;
    if (this.narrow) this.narrow.forEach((_key, c) => void (c >= k && f++));
    else (this.wide as U64HashTable).forEach((_hi, _lo, c) => void (c >= k && f++));
    this.frequent = f;
    return f;
  }

  /** out[i] = the index of key i for i in [from, to), assigning new ones in order (out may be lo itself). */
  assign(lo: Uint32Array, hi: Uint32Array | undefined, from: number, to: number, out: Uint32Array): void {
    const rare = this.frequent,
      k = this.minFrequency;
    if (this.narrow) {
      const t = this.narrow;
      if (k <= 1) {
        if (out !== lo) out.set(lo.subarray(from, to), from);
        this.reserveFresh(to - from);
        const added = t.assignSequential(out, from, to, this.assigned, this.fresh, this.freshCount);
        this.freshCount += added;
        this.assigned += added;
        return;
      }
      for (let i = from; i < to; i++) {
        const key = lo[i];
        const v = t.get(key);
        if (v >= ASSIGNED) out[i] = v & INDEX_MASK;
        else if (v >= k) {
          t.set(key, ASSIGNED | this.assigned);
          out[i] = this.addFresh(0, key);
        } else if (v >= 0) out[i] = rare;
        else throw new Error(`vocabulary: key ${key} was not seen by the counting pass`);
      }
      return;
    }
    const t = this.wide as U64HashTable;
    for (let i = from; i < to; i++) {
      const h = hi ? hi[i] : 0,
        l = lo[i];
      if (k <= 1) {
        const next = this.assigned;
        const idx = t.getOrAdd(h, l, next);
        out[i] = idx === next ? this.addFresh(h, l) : idx;
        continue;
      }
      const v = t.get(h, l);
      if (v >= ASSIGNED) out[i] = v & INDEX_MASK;
      else if (v >= k) {
        t.set(h, l, ASSIGNED | this.assigned);
        out[i] = this.addFresh(h, l);
      } else if (v >= 0) out[i] = rare;
      else throw new Error('vocabulary: a key was not seen by the counting pass');
    }
  }

  /** The index of a key when it was assigned, else -1. */
  indexOf(hi: number, lo: number): number {
    if (this.assigned === 0) return -1;
    const v = this.narrow ? (hi === 0 ? this.narrow.get(lo) : -1) : (this.wide as U64HashTable).get(hi, lo);
    return this.minFrequency <= 1 ? v : v >= ASSIGNED ? v & INDEX_MASK : -1;
  }

  /** Restores assigned keys (takeNew's layout, index order, starting at size) from a checkpoint, as if assign() had met them. */
  restore(keys: Uint32Array): void {
    const flag = this.minFrequency <= 1 ? 0 : ASSIGNED;
    if (this.narrow) {
      for (let i = 0; i < keys.length; i++) this.narrow.set(keys[i], (flag | this.assigned++) >>> 0);
    } else {
      for (let i = 0; i + 1 < keys.length; i += 2)
        (this.wide as U64HashTable).set(keys[i + 1], keys[i], (flag | this.assigned++) >>> 0);
    }
  }

  /** The keys assigned since the last call, in index order, in the vocabulary file's layout. */
  takeNew(): Uint32Array {
    const out = this.fresh.slice(0, this.freshCount);
    this.freshCount = 0;
    if (this.fresh.length > 1 << 16) this.fresh = new Uint32Array(1024);
    return out;
  }

  /** Records a new key (file layout) and returns its index. */
  private addFresh(hi: number, lo: number): number {
    this.reserveFresh(1);
    this.fresh[this.freshCount++] = lo;
    if (this.wide) this.fresh[this.freshCount++] = hi;
    return this.assigned++;
  }

  /** Makes room in `fresh` for n more keys. */
  private reserveFresh(n: number): void {
    const words = this.wide ? 2 * n : n;
    if (this.freshCount + words <= this.fresh.length) return;
    let length = this.fresh.length * 2;
    while (length < this.freshCount + words) length *= 2;
    const grown = new Uint32Array(length);
    grown.set(this.fresh.subarray(0, this.freshCount));
    this.fresh = grown;
  }
}
