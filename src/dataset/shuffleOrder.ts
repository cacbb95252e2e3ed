// The draws of the merged file's seeded shuffle (docs/FORMAT.md, "Merged file"), shared by its two
// implementations so that a seed gives one order whichever runs: the external bucket shuffle
// (mergedFile.ts, any size) and the in-memory one (memoryShuffle.ts, rows that fit the memory budget).
// Order of draws: one bucket number in [0, K) per row, in input order; then for buckets 0..K-1 in turn a
// Fisher-Yates permutation of the bucket's rows (kept in input order). Output: bucket 0's rows in its
// permutation's order, then bucket 1's, ...
import type { Rng } from '../util/random';
import { nativePreprocessKernels, type PreprocessKernels } from '../rawformat/nativeKernels';

/** The bucket numbers of the next `rows` input rows. */
export function drawBucketIds(rng: Rng, rows: number, buckets: number): Uint16Array {
  if (buckets > 65536) throw new RangeError(`drawBucketIds: ${buckets} buckets, at most 65536`);
  const ids = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = rng.nextInt(buckets);
  return ids;
}

/** A bucket's permutation: output position i takes the bucket's row perm[i] (rows numbered in input order). */
export function drawBucketPermutation(rng: Rng, rows: number): Uint32Array {
  const perm = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  return rng.shuffle(perm);
}

/**
 * The whole shuffle of `rows` input rows in K buckets: order[j] = the input row at output position j. The
 * draws run in the native addon when built (src/preprocess/csrc/shuffleOrder.cc: the same generator and
 * steps, ~0.7 s less for 4.3M rows), which takes the generator's state and gives it back advanced.
 */
export function shuffledOrder(
  rng: Rng,
  rows: number,
  buckets: number,
  kernels: PreprocessKernels | null | undefined = nativePreprocessKernels(),
): Uint32Array {
  if (kernels) {
    const state = rng.getState();
    const order = new Uint32Array(rows);
    kernels.shuffledOrder(state, rows, buckets, order);
    rng.setState(state);
    return order;
  }
  const ids = drawBucketIds(rng, rows, buckets);
  const starts = new Float64Array(buckets + 1);
  for (let i = 0; i < rows; i++) starts[ids[i] + 1]++;
  for (let k = 0; k < buckets; k++) starts[k + 1] += starts[k];
  // the rows of each bucket, in input order (a stable counting sort)
  const byBucket = new Uint32Array(rows);
  const fill = starts.slice(0, buckets);
  for (let i = 0; i < rows; i++) byBucket[fill[ids[i]]++] = i;
  const order = new Uint32Array(rows);
  for (let k = 0; k < buckets; k++) {
    const s = starts[k];
    const perm = drawBucketPermutation(rng, starts[k + 1] - s);
    for (let i = 0; i < perm.length; i++) order[s + i] = byBucket[s + perm[i]];
  }
  return order;
}
