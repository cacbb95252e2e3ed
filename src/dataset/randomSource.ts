// The reference's `--data-generation random`: dense features uniform in [0, 1), labels 0/1 with
// probability 1/2, and per table a bag of uniform indices in [0, tableSizes[t]) whose size is drawn
// from 1..numIndicesPerLookup (capped at the table size), or is exactly numIndicesPerLookup when
// numIndicesPerLookupFixed. Unlike the reference, a bag keeps duplicate indices (the sizes are exact).
// Deterministic per seed and per row (see generatedSource.ts).
import { hash2 } from '../criteo/generator';
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

  protected makeBlock(blockIndex: number): GeneratedBlock {
    const rng = new Rng(hash2(this.opts.seed >>> 0, blockIndex >>> 0) ^ Math.floor(blockIndex / 4294967296));
    const R = RANDOM_BLOCK_ROWS;
    const n = this.opts.numIndicesPerLookup;
    const dense = new Float32Array(R * this.numDense);
    for (let i = 0; i < dense.length; i++) dense[i] = rng.next();
    const bags = this.tableSizes.map((size) => {
      const offsets = new Uint32Array(R + 1);
      for (let r = 0; r < R; r++) offsets[r + 1] = offsets[r] + (this.opts.numIndicesPerLookupFixed ? n : 1 + rng.nextInt(Math.min(n, size)));
      const indices = new Uint32Array(offsets[R]);
      for (let i = 0; i < indices.length; i++) indices[i] = rng.nextInt(size);
      return { offsets, indices };
    });
    const labels = new Float32Array(R);
    for (let r = 0; r < R; r++) labels[r] = rng.next() < 0.5 ? 1 : 0;
    return { rows: R, dense, labels, bags };
  }
}

export function randomSource(opts: RandomSourceOptions): RandomSource {
  return new RandomSource(opts);
}
