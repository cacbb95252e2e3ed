// Cache-line alignment of embedding table chunks for the native engine. A 64-float row of a table whose
// buffer starts 16 bytes past a cache line (what glibc's mmap-backed allocations give a large ArrayBuffer)
// straddles two cache lines, so every random row gather misses twice (the measured gain: docs/NATIVE.md,
// "What runs where"). The engine re-homes misaligned chunks once, at start, into 64-byte-aligned copies
// and puts them into the same DlrmParams / OptimizerState objects, so checkpoints see them.
import type { DlrmParams } from '../../model/params';
import type { OptimizerState } from '../../model/optimizerState';
import type { NativeAddon } from './nativeAddon';

export const CACHE_LINE_BYTES = 64;
const HUGE_PAGE_WORTHWHILE_BYTES = 4 << 20;

/** A zero-filled Float32Array of `length` whose first element starts a cache line. */
export function cacheAlignedFloat32Array(addon: NativeAddon, length: number): Float32Array {
  const buffer = new ArrayBuffer(length * 4 + CACHE_LINE_BYTES);
  const misalign = addon.addressModulo(new Uint8Array(buffer, 0, 1), CACHE_LINE_BYTES);
  const offset = (CACHE_LINE_BYTES - misalign) % CACHE_LINE_BYTES;
  return offset % 4 === 0 ? new Float32Array(buffer, offset, length) : new Float32Array(length);
}

/** `a` itself when aligned, else an aligned copy. */
export function cacheAligned(addon: NativeAddon, a: Float32Array): Float32Array {
  if (a.length === 0 || addon.addressModulo(a, CACHE_LINE_BYTES) === 0) return a;
  const copy = cacheAlignedFloat32Array(addon, a.length);
  // advised before the first touch, the copy faults straight into huge pages
  if (copy.byteLength >= HUGE_PAGE_WORTHWHILE_BYTES) addon.adviseHugePages(copy);
  copy.set(a);
  return copy;
}

/** Replaces misaligned table chunks (and their optimizer-state chunks) in place; returns how many moved. */
export function alignEmbeddingTables(addon: NativeAddon, params: DlrmParams, state: OptimizerState): number {
  let moved = 0;
  const align = (chunks: Float32Array[]) => {
    for (let c = 0; c < chunks.length; c++) {
      const aligned = cacheAligned(addon, chunks[c]);
      if (aligned !== chunks[c]) {
        chunks[c] = aligned;
        moved++;
      }
    }
  };
  params.tables.forEach((t) => align(t.chunks));
  state.tables.forEach(align);
  return moved;
}
