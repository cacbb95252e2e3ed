// Sum-pooled EmbeddingBag forward on host typed arrays: for each row b of the batch, the sum of the table
// rows listed in its bag (indices[offsets[b] .. offsets[b+1])), an empty bag giving zeros.
// Output layout is strided so the same loop fills [T][B*d] (stride d, offset 0 per table array) or the
// engines' [B, T, d] (stride T*d, offset t*d): out[b*stride + offset + k], k < d.
import type { BagInput } from '../dataset/batch';
import type { EmbeddingTableParams } from '../model/params';

/** Throws a clear error for an index past the table (a data/arch mismatch, not a user typo). */
export function indexOutOfRange(tableIndex: number, row: number, rows: number): Error {
  return new Error(`embedding table ${tableIndex}: index ${row} is out of range (table has ${rows} rows)`);
}

export function embeddingBagForward(
  table: EmbeddingTableParams,
  bag: BagInput,
  out: Float32Array,
  stride: number,
  offset: number,
  tableIndex = 0,
): void {
  const { dim: d, rows, chunkRows, chunks } = table;
  const { offsets, indices } = bag;
  const B = offsets.length - 1;
  const single = chunks.length === 1 ? chunks[0] : undefined;
  for (let b = 0; b < B; b++) {
    const o = b * stride + offset;
    const start = offsets[b],
      end = offsets[b + 1];
    if (single && end === start + 1) {
      // one index per bag (every Criteo row): a plain copy, no zeroing or accumulation
      const row = indices[start];
      if (row >= rows) throw indexOutOfRange(tableIndex, row, rows);
      const base = row * d;
      for (let k = 0; k < d; k++) out[o + k] = single[base + k];
      continue;
    }
    for (let k = 0; k < d; k++) out[o + k] = 0;
    for (let p = start; p < end; p++) {
      const row = indices[p];
      if (row >= rows) throw indexOutOfRange(tableIndex, row, rows);
      let src: Float32Array;
      let base: number;
      if (single) {
        src = single;
        base = row * d;
      } else {
        const c = Math.floor(row / chunkRows);
        src = chunks[c];
        base = (row - c * chunkRows) * d;
      }
      for (let k = 0; k < d; k++) out[o + k] += src[base + k];
    }
  }
}
