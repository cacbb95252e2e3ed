// An open-addressing hash table from 64-bit keys (two uint32 words, hi and lo) to uint32 values on one
// typed array (slot s holds hi at 4s, lo at 4s+1, value at 4s+2; word 4s+3 pads a slot to 16 bytes),
// linear probing, growth by rehash into twice the capacity at 3/4 load. It holds the vocabularies of
// string categoricals hashed to 64 bits (src/rawformat/hash64.ts); 32-bit keys keep the faster
// U32HashTable (src/preprocess/hashTable.ts). 16 bytes per slot, 21-43 bytes per entry.
// The value 0xFFFFFFFF marks an empty slot and cannot be stored.

const EMPTY = 0xffffffff;
const MIN_CAPACITY_LOG2 = 10;
const MAX_CAPACITY_LOG2 = 28;
const MAX_LOAD = 0.75;

export class U64HashTable {
  private slots: Uint32Array;
  private log2: number;
  private count = 0;

  constructor() {
    this.log2 = MIN_CAPACITY_LOG2;
    this.slots = U64HashTable.emptySlots(this.log2);
  }

  private static emptySlots(log2: number): Uint32Array {
    const slots = new Uint32Array(4 * 2 ** log2);
    for (let i = 2; i < slots.length; i += 4) slots[i] = EMPTY;
    return slots;
  }

  /** Number of keys stored. */
  get size(): number {
    return this.count;
  }

  /** The word index of the key's slot: where it is, or the free slot where it would go. */
  private slotOf(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = (1 << this.log2) - 1;
    let s = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.log2);
    for (;;) {
      const at = s << 2;
      if (slots[at + 2] === EMPTY || (slots[at] === hi && slots[at + 1] === lo)) return at;
      s = (s + 1) & mask;
    }
  }

  /** Bytes held by the slots. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** The value of key (hi, lo), or -1 when absent. */
  get(hi: number, lo: number): number {
    const v = this.slots[this.slotOf(hi, lo) + 2];
    return v === EMPTY ? -1 : v;
  }

  /** The value of the key; when absent, stores `value` for it first and returns it. */
  getOrAdd(hi: number, lo: number, value: number): number {
    const at = this.slotOf(hi, lo);
    const v = this.slots[at + 2];
    if (v !== EMPTY) return v;
    this.insertAt(at, hi, lo, value);
    return value;
  }

  /** Stores `value` for the key (replacing any previous value). */
  set(hi: number, lo: number, value: number): void {
    const at = this.slotOf(hi, lo);
    if (this.slots[at + 2] !== EMPTY) this.slots[at + 2] = value;
    else this.insertAt(at, hi, lo, value);
  }

  /** Adds 1 to the key's value (absent keys start at 0), saturating at 2^31 - 1. */
  increment(hi: number, lo: number): void {
    const at = this.slotOf(hi, lo);
    const v = this.slots[at + 2];
    if (v === EMPTY) this.insertAt(at, hi, lo, 1);
    else if (v < 0x7fffffff) this.slots[at + 2] = v + 1;
  }

  /** Calls fn(hi, lo, value) for every entry, in slot order. */
  forEach(fn: (hi: number, lo: number, value: number) => void): void {
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += 4)
      if (slots[at + 2] !== EMPTY) fn(slots[at], slots[at + 1], slots[at + 2]);
  }

  private insertAt(at: number, hi: number, lo: number, value: number): void {
    if (value === EMPTY) throw new RangeError('U64HashTable: 0xFFFFFFFF cannot be stored as a value');
    this.slots[at] = hi;
    this.slots[at + 1] = lo;
    this.slots[at + 2] = value;
    this.count++;
    if (this.count > (1 << this.log2) * MAX_LOAD) this.grow();
  }

  private grow(): void {
    if (this.log2 + 1 > MAX_CAPACITY_LOG2)
      throw new RangeError(`U64HashTable: more than 2^${MAX_CAPACITY_LOG2} slots needed`);
    const old = this.slots;
    this.log2++;
    this.slots = U64HashTable.emptySlots(this.log2);
    for (let at = 0; at < old.length; at += 4) {
      if (old[at + 2] === EMPTY) continue;
      const to = this.slotOf(old[at], old[at + 1]);
      this.slots[to] = old[at];
      this.slots[to + 1] = old[at + 1];
      this.slots[to + 2] = old[at + 2];
    }
  }
}
