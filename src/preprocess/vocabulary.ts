// The vocabulary of one categorical column (one embedding table): raw value -> index in order of first
// appearance, on a U32HashTable. Without --min-frequency every value gets the next index the first time it
// is seen. With --min-frequency K a counting pass first stores each value's count (saturating at 2^31-1);
// the assignment pass then gives the values seen >= K times indices 0..F-1 in order of first appearance and
// maps every rarer value to the shared index F (the table's rare/OOV row), so the table has F + 1 rows.
// New values are kept only until taken (takeNew), so memory is the hash table alone.
import { U32HashTable } from './hashTable';

const ASSIGNED = 0x80000000;
const INDEX_MASK = 0x7fffffff;

export class TableVocabulary {
  private readonly table = new U32HashTable();
  /** Values that got an index, in index order. */
  private assigned = 0;
  /** Values assigned since the last takeNew(). */
  private fresh = new Uint32Array(1024);
  private freshCount = 0;
  /** With min-frequency: the number of frequent values F (= the rare index), known after finishCounting. */
  private frequent = -1;

  constructor(readonly minFrequency: number) {}

  /** Indices assigned so far. */
  get size(): number {
    return this.assigned;
  }

  /** The shared rare index F (min-frequency only, after finishCounting), else -1. */
  get rareIndex(): number {
    return this.minFrequency > 1 ? this.frequent : -1;
  }

  /** Bytes held by the hash table. */
  get bytes(): number {
    return this.table.bytes;
  }

  /** Counting pass (min-frequency only): counts values[from, to). */
  count(values: Uint32Array, from: number, to: number): void {
    const t = this.table;
    for (let i = from; i < to; i++) t.add(values[i], 1);
  }

  /** Ends the counting pass: F = number of values counted >= minFrequency. */
  finishCounting(): number {
    let f = 0;
    const k = this.minFrequency;
    this.table.forEach((_key, c) => {
      if (c >= k) f++;
    });
    this.frequent = f;
    return f;
  }

  /** Replaces the raw values values[from, to) by their indices, assigning new ones in order. */
  assign(values: Uint32Array, from: number, to: number): void {
    const t = this.table;
    if (this.minFrequency <= 1) {
      this.reserveFresh(to - from);
      const added = t.assignSequential(values, from, to, this.assigned, this.fresh, this.freshCount);
      this.freshCount += added;
      this.assigned += added;
      return;
    }
    const k = this.minFrequency, rare = this.frequent;
    for (let i = from; i < to; i++) {
      const key = values[i];
      const v = t.get(key);
      if (v >= ASSIGNED) {
        values[i] = v & INDEX_MASK;
      } else if (v >= k) {
        const idx = this.assigned;
        t.set(key, ASSIGNED | idx);
        this.addFresh(key);
        values[i] = idx;
      } else if (v >= 0) {
        values[i] = rare;
      } else {
        throw new Error(`vocabulary: value ${key} was not seen by the counting pass`);
      }
    }
  }

  /** Restores assigned values (index order, starting at size) from a checkpoint, as if assign() had met them. */
  restore(values: Uint32Array): void {
    const t = this.table;
    for (let i = 0; i < values.length; i++) {
      const idx = this.assigned++;
      if (this.minFrequency <= 1) t.set(values[i], idx);
      else t.set(values[i], ASSIGNED | idx);
    }
  }

  /** The values assigned since the last call, in index order. */
  takeNew(): Uint32Array {
    const out = this.fresh.slice(0, this.freshCount);
    this.freshCount = 0;
    if (this.fresh.length > 1 << 16) this.fresh = new Uint32Array(1024);
    return out;
  }

  private addFresh(key: number): void {
    this.reserveFresh(1);
    this.fresh[this.freshCount++] = key;
    this.assigned++;
  }

  /** Makes room in `fresh` for n more values. */
  private reserveFresh(n: number): void {
    if (this.freshCount + n <= this.fresh.length) return;
    let length = this.fresh.length * 2;
    while (length < this.freshCount + n) length *= 2;
    const grown = new Uint32Array(length);
    grown.set(this.fresh.subarray(0, this.freshCount));
    this.fresh = grown;
  }
}
