// An open-addressing hash table from uint32 keys to uint32 values on one typed array (slot s holds its key
// at 2s and its value at 2s+1, so a lookup touches one cache line; linear probing, Fibonacci hashing,
// growth by rehash into twice the capacity at 3/4 load). It holds the vocabularies: no JS Map/Object (V8
// Maps stop at 2^24 entries and cost ~50+ bytes per entry); this costs 8 bytes per slot, i.e. at most
// 8 / 0.375 ≈ 21 bytes per entry right after a growth and 8 / 0.75 at best.
// The value 0xFFFFFFFF marks an empty slot and cannot be stored. assignSequential, the vocabularies' hot
// loop, runs in the native addon when it is built (src/preprocess/csrc/vocabularyAssign.cc: the same probing
// on this same array, with prefetching), else in JS here.
import { nativePreprocessKernels, type PreprocessKernels } from '../rawformat/nativeKernels';

export const EMPTY_VALUE = 0xffffffff;
const MIN_CAPACITY_LOG2 = 10;
const MAX_CAPACITY_LOG2 = 29;
const MAX_LOAD = 0.75;

export class U32HashTable {
  /** [key, value] pairs; value EMPTY_VALUE = free slot. */
  private slots: Uint32Array;
  private shift: number;
  private mask: number;
  private limit: number;
  private count = 0;
  /** [count, limit, nextValue, freshCount] exchanged with the native kernel. */
  private readonly kernelState = new Uint32Array(4);

  /** `kernels`: the native kernels for assignSequential (default: the addon's, when built); null: JS only. */
  constructor(
    expectedEntries = 0,
    private readonly kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
  ) {
    let log2 = MIN_CAPACITY_LOG2;
    while ((1 << log2) * MAX_LOAD < expectedEntries && log2 < MAX_CAPACITY_LOG2) log2++;
    this.slots = U32HashTable.emptySlots(log2);
    this.shift = 32 - log2;
    this.mask = (1 << log2) - 1;
    this.limit = Math.floor((1 << log2) * MAX_LOAD);
  }

  private static emptySlots(log2: number): Uint32Array {
    const slots = new Uint32Array(2 * 2 ** log2);
    for (let i = 1; i < slots.length; i += 2) slots[i] = EMPTY_VALUE;
    return slots;
  }

  /** Number of keys stored. */
  get size(): number {
    return this.count;
  }

  /** Number of slots (a power of two). */
  get capacity(): number {
    return this.slots.length >>> 1;
  }

  /** Bytes held by the slot array. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** The index in `slots` of key's pair: where it is, or the free slot where it would go. */
  private pairOf(key: number): number {
    const slots = this.slots,
      mask = this.mask;
    let s = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const at = s << 1;
      if (slots[at + 1] === EMPTY_VALUE || slots[at] === key) return at;
      s = (s + 1) & mask;
    }
  }

  /** The value of `key`, or -1 when absent. */
  get(key: number): number {
    const v = this.slots[this.pairOf(key) + 1];
    return v === EMPTY_VALUE ? -1 : v;
  }

  /** The value of `key`; when absent, stores `value` for it first and returns it. */
  getOrAdd(key: number, value: number): number {
    const at = this.pairOf(key);
    const v = this.slots[at + 1];
    if (v !== EMPTY_VALUE) return v;
    this.insertAt(at, key, value);
    return value;
  }

  /** Stores `value` for `key` (replacing any previous value). */
  set(key: number, value: number): void {
    const at = this.pairOf(key);
    if (this.slots[at + 1] !== EMPTY_VALUE) this.slots[at + 1] = value;
    else this.insertAt(at, key, value);
  }

  /** Adds `delta` to the value of `key` (absent keys start at 0), saturating at `max`; returns the new value. */
  add(key: number, delta: number, max = 0x7fffffff): number {
    const at = this.pairOf(key);
    const v = this.slots[at + 1];
    if (v === EMPTY_VALUE) {
      const first = Math.min(delta, max);
      this.insertAt(at, key, first);
      return first;
    }
    const next = Math.min(v + delta, max);
    this.slots[at + 1] = next;
    return next;
  }

  /**
   * First-appearance assignment, in place: values[i] = getOrAdd(values[i], next) for i in [from, to), where
   * `next` starts at `firstValue` and counts the keys added; each added key is also written to
   * fresh[freshAt + k] (fresh must have room for to - from more). Returns the number of keys added.
   */
  assignSequential(
    values: Uint32Array,
    from: number,
    to: number,
    firstValue: number,
    fresh: Uint32Array,
    freshAt: number,
  ): number {
    if (freshAt + (to - from) > fresh.length)
      throw new RangeError('U32HashTable.assignSequential: fresh has no room for to - from keys');
    let added = 0;
    if (this.kernels) {
      const st = this.kernelState;
      for (let i = from; i < to;) {
        st[0] = this.count;
        st[1] = this.limit;
        st[2] = firstValue + added;
        st[3] = freshAt + added;
        i = this.kernels.assignFirstAppearance(this.slots, this.shift, values, i, to, st, fresh);
        added += st[0] - this.count;
        this.count = st[0];
        if (this.count > this.limit) this.grow();
      }
      return added;
    }
    for (let i = from; i < to; i++) {
      const key = values[i];
      const next = firstValue + added;
      const value = this.getOrAdd(key, next);
      if (value === next) fresh[freshAt + added++] = key;
      values[i] = value;
    }
    return added;
  }

  /** Calls fn(key, value) for every entry, in slot order. */
  forEach(fn: (key: number, value: number) => void): void {
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += 2) if (slots[at + 1] !== EMPTY_VALUE) fn(slots[at], slots[at + 1]);
  }

  private insertAt(at: number, key: number, value: number): void {
    if (value === EMPTY_VALUE) throw new RangeError('U32HashTable: 0xFFFFFFFF cannot be stored as a value');
    this.slots[at] = key;
    this.slots[at + 1] = value;
    this.count++;
    if (this.count > this.limit) this.grow();
  }

  private grow(): void {
    const old = this.slots;
    const log2 = 32 - this.shift + 1;
    if (log2 > MAX_CAPACITY_LOG2) throw new RangeError(`U32HashTable: more than 2^${MAX_CAPACITY_LOG2} slots needed`);
    const slots = U32HashTable.emptySlots(log2);
    const mask = (1 << log2) - 1,
      shift = 32 - log2;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i + 1];
      if (v === EMPTY_VALUE) continue;
      const k = old[i];
      let s = Math.imul(k, 0x9e3779b1) >>> shift;
      while (slots[(s << 1) + 1] !== EMPTY_VALUE) s = (s + 1) & mask;
      slots[s << 1] = k;
      slots[(s << 1) + 1] = v;
    }
    this.slots = slots;
    this.shift = shift;
    this.mask = mask;
    this.limit = Math.floor((1 << log2) * MAX_LOAD);
  }
}
