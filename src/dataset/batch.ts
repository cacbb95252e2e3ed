// The one batch type that travels from every data source (processed files, random, synthetic) to every
// engine. Shapes: B rows, D dense features, T categorical tables (embedding bags).

/** The indices of one embedding bag per row for one table, in the EmbeddingBag (indices + offsets) form. */
export interface BagInput {
  /** Row b's bag is indices[offsets[b] .. offsets[b+1]); length B+1, offsets[0] = 0. */
  offsets: Uint32Array;
  /** Row indices into the table, length offsets[B]. */
  indices: Uint32Array;
}

export interface Batch {
  /** Number of rows B. */
  size: number;
  /** Dense features, row-major [B, D] float32. */
  dense: Float32Array;
  /** Number of dense features D. */
  numDense: number;
  /** One bag input per table, length T. */
  sparse: BagInput[];
  /** Click labels [B] (0/1 for Criteo; any float for mse). */
  labels: Float32Array;
}

/** Checks the internal consistency of a batch; throws an Error naming the first bad part. */
export function validateBatch(batch: Batch, tableSizes?: readonly number[]): void {
  const B = batch.size;
  if (batch.dense.length !== B * batch.numDense)
    throw new Error(`batch.dense has ${batch.dense.length} values, expected ${B}x${batch.numDense}`);
  if (batch.labels.length !== B) throw new Error(`batch.labels has ${batch.labels.length} values, expected ${B}`);
  batch.sparse.forEach((bag, t) => {
    if (bag.offsets.length !== B + 1)
      throw new Error(`table ${t}: offsets has length ${bag.offsets.length}, expected ${B + 1}`);
    if (bag.offsets[0] !== 0 || bag.offsets[B] !== bag.indices.length)
      throw new Error(`table ${t}: offsets must start at 0 and end at ${bag.indices.length}`);
    if (tableSizes) {
      const n = tableSizes[t];
      for (const i of bag.indices)
        if (i >= n) throw new Error(`table ${t}: index ${i} is out of range (table has ${n} rows)`);
    }
  });
}
