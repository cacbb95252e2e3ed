// The reference's `--data-generation random`: dense features uniform in [0, 1), labels 0/1 with
// probability 1/2, and per table a bag of uniform indices in [0, tableSizes[t]) whose size is drawn
// from 1..numIndicesPerLookup (capped at the table size), or is exactly numIndicesPerLookup when
// numIndicesPerLookupFixed. Unlike the reference, a bag keeps duplicate indices (the sizes are exact).
// Deterministic per seed and per row (see generatedSource.ts). Blocks are drawn by the addon's randomBlock
// (src/dataset/csrc/randomBlock.cc) when it is built, else by randomBlockJs here, the reference: the same
// draws in the same order, so the same bytes (test/dataset/randomSource.test.ts compares them).
import { hash2 } from '../criteo/generator';
import { loadNativeAddon, type NativeAddon } from '../engine/native/nativeAddon';
import { Rng } from '../util/random';
import { BlockedBatchSource, checkCount, type GeneratedBlock } from './generatedSource';

const RANDOM_BLOCK_ROWS = 1024;

export interface RandomSourceOptions {
  numDense: number;
  tableSizes: readonly number[];
  /** Rows per epoch. */
  rows: number;
  seed: number;
  /** Largest bag size (the reference's --num-indices-per-lookup, default 10). */
  numIndicesPerLookup: number;
  /** Every bag has exactly numIndicesPerLookup indices (--num-indices-per-lookup-fixed). */
  numIndicesPerLookupFixed: boolean;
  /** Global index of row 0 (a disjoint range with the same seed gives different rows). */
  firstRow?: number;
}

export class RandomSource extends BlockedBatchSource {
  constructor(private readonly opts: RandomSourceOptions) {
    super(opts.numDense, opts.tableSizes, opts.rows, RANDOM_BLOCK_ROWS, opts.firstRow ?? 0);
    checkCount('numDense', opts.numDense, true);
    checkCount('numIndicesPerLookup', opts.numIndicesPerLookup);
  }

  /** The native generator, or null for the JS reference (tests set it to compare the two). */
  nativeBlock: NativeAddon['randomBlock'] | null = loadNativeAddon().addon?.randomBlock ?? null;
  private readonly sizes = Float64Array.from(this.tableSizes);

  protected makeBlock(blockIndex: number): GeneratedBlock {
    const rng = new Rng(hash2(this.opts.seed >>> 0, blockIndex >>> 0) ^ Math.floor(blockIndex / 4294967296));
    const { numIndicesPerLookup: n, numIndicesPerLookupFixed: fixed } = this.opts;
    if (!this.nativeBlock) return randomBlockJs(rng, RANDOM_BLOCK_ROWS, this.numDense, this.tableSizes, n, fixed);
    return {
      rows: RANDOM_BLOCK_ROWS,
      ...this.nativeBlock(rng.getState(), RANDOM_BLOCK_ROWS, this.numDense, this.sizes, n, fixed),
    };
  }
}

/** One block of R rows drawn from `rng` (the reference of the addon's randomBlock): dense, bags table by table (sizes, then indices), labels. */
export function randomBlockJs(
  rng: Rng,
  R: number,
  numDense: number,
  tableSizes: readonly number[],
  n: number,
  fixed: boolean,
): GeneratedBlock {
  const dense = new Float32Array(R * numDense);
  for (let i = 0; i < dense.length; i++) dense[i] = rng.next();
  const bags = tableSizes.map((size) => {
    const offsets = new Uint32Array(R + 1);
    for (let r = 0; r < R; r++) offsets[r + 1] = offsets[r] + (fixed ? n : 1 + rng.nextInt(Math.min(n, size)));
    const indices = new Uint32Array(offsets[R]);
    for (let i = 0; i < indices.length; i++) indices[i] = rng.nextInt(size);
    return { offsets, indices };
  });
  const labels = new Float32Array(R);
  for (let r = 0; r < R; r++) labels[r] = rng.next() < 0.5 ? 1 : 0;
  return { rows: R, dense, labels, bags };
}

export function randomSource(opts: RandomSourceOptions): RandomSource {
  return new RandomSource(opts);
}
