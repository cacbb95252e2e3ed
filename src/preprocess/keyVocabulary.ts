// The vocabulary of one categorical column of a custom schema: 64-bit key (hi, lo) -> embedding index in
// order of first appearance, on a U64HashTable. With min-frequency K a counting pass first stores each
// key's count; assignment then gives keys seen >= K times indices 0..F-1 (first appearance) and maps rarer
// keys to the shared index F (the table has F + 1 rows), like src/preprocess/vocabulary.ts for Criteo.
// Saved as vocab/<name>.u32 (32-bit keys: uint32 LE per index) or vocab/<name>.u64 (string keys: uint64 LE
// per index), which predict loads back (src/predict/vocabularyLookup.ts).
import { writeFileAtomic } from '../util/atomic';
import { U64HashTable } from './u64HashTable';

const ASSIGNED = 0x80000000;
const INDEX_MASK = 0x7fffffff;

export class KeyVocabulary {
  private readonly table = new U64HashTable();
  /** Assigned keys in index order: hi at 2i, lo at 2i+1. */
  private keys = new Uint32Array(2048);
  private assigned = 0;
  private frequent = -1;

  constructor(readonly minFrequency: number) {}

  /** Keys that got their own index so far. */
  get size(): number {
    return this.assigned;
  }

  /** Counting pass (min-frequency only). */
  count(hi: number, lo: number): void {
    this.table.increment(hi, lo);
  }

  /** Ends the counting pass: F = keys counted >= minFrequency. */
  finishCounting(): number {
    let f = 0;
    this.table.forEach((_hi, _lo, c) => {
      if (c >= this.minFrequency) f++;
    });
    this.frequent = f;
    return f;
  }

  /** The shared rare index (min-frequency, after finishCounting), else -1. */
  get rareIndex(): number {
    return this.minFrequency > 1 ? this.frequent : -1;
  }

  /** The index of a key, assigning the next one on first appearance. */
  assign(hi: number, lo: number): number {
    if (this.minFrequency <= 1) {
      const next = this.assigned;
      const idx = this.table.getOrAdd(hi, lo, next);
      if (idx === next) this.push(hi, lo);
      return idx;
    }
    const v = this.table.get(hi, lo);
    if (v >= ASSIGNED) return v & INDEX_MASK;
    if (v >= this.minFrequency) {
      const idx = this.assigned;
      this.table.set(hi, lo, ASSIGNED | idx);
      this.push(hi, lo);
      return idx;
    }
    if (v >= 0) return this.frequent;
    throw new Error('KeyVocabulary: a key was not seen by the counting pass');
  }

  /** The index of the key when it was assigned, else -1. */
  indexOf(hi: number, lo: number): number {
    const idx = this.assigned === 0 ? -1 : this.table.get(hi, lo);
    return this.minFrequency <= 1 ? idx : idx >= ASSIGNED ? idx & INDEX_MASK : -1;
  }

  /** Writes the keys in index order: 64-bit keys as uint64 LE (lo, hi words), else the lo words as uint32 LE. */
  save(file: string, keyBits: 32 | 64): void {
    const n = this.assigned;
    const out = new Uint32Array(keyBits === 64 ? 2 * n : n);
    for (let i = 0; i < n; i++) {
      if (keyBits === 64) {
        out[2 * i] = this.keys[2 * i + 1];
        out[2 * i + 1] = this.keys[2 * i];
      } else {
        out[i] = this.keys[2 * i + 1];
      }
    }
    writeFileAtomic(file, out);
  }

  private push(hi: number, lo: number): void {
    if (2 * this.assigned + 2 > this.keys.length) {
      const grown = new Uint32Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys[2 * this.assigned] = hi;
    this.keys[2 * this.assigned + 1] = lo;
    this.assigned++;
  }
}
