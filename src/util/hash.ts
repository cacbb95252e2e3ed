// Integer hashing shared by the counter-based draws (sub-sampling) and the generator: murmur3's 32-bit
// finalizer, a bijection of uint32 that mixes all bits.

/** murmur3's 32-bit finalizer: a bijective avalanche mix of a uint32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
