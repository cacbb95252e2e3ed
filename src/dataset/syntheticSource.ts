// Criteo-shaped training data without text: the rows of `dlrm generate` (src/criteo/generator.ts, same
// seed, same planted click signal) turned directly into Batches the way preprocessing would: dense
// values clipped at 0 and log(x + 1) in float32 (missing = 0; x < 2^24 so x + 1 is exact, as in the raw parser), one index per table in [0, tableSizes[t]):
// the missing value is index 0 (of tables that can be missing), value rank k is index k (+1 when the
// table can be missing), folded modulo the table size when the model's table is smaller than the
// data set's cardinality. Deterministic per seed and per row (see generatedSource.ts).
// Multi-hot (`multiHotSizes`, MLPerf DLRMv2's shape, e.g. 3,2,1,2,6,...): table t's bag holds k_t indices,
// the one-hot index i above first, then k_t - 1 indices drawn by a hash of (seed, t, i, j) modulo the table
// size, so a category always expands to the same bag and the planted signal carried by i stays in the bag
// (as MLPerf's synthetic multi-hot Criteo: extra indices derived from the one-hot one).
import { BLOCK_ROWS, CriteoGenerator } from '../criteo/generator';
import { type GeneratorDataSet, type GeneratorProfile, loadProfile } from '../criteo/generatorProfile';
import { UserError } from '../util/errors';
import { BlockedBatchSource, type GeneratedBlock } from './generatedSource';

export interface SyntheticSourceOptions {
  /** Embedding table sizes of the model (e.g. --arch-embedding-size); one per categorical column. */
  tableSizes: readonly number[];
  /** Rows per epoch. */
  rows: number;
  seed: number;
  /** The data-set profile (default: kaggle). */
  dataSet?: GeneratorDataSet;
  /** An already loaded profile (overrides dataSet). */
  profile?: GeneratorProfile;
  /**
   * Global index of row 0: with the same seed, a disjoint range is a held-out set drawn from the same
   * planted model (e.g. train rows [0, N), test rows firstRow = N).
   */
  firstRow?: number;
  /** Indices per bag of each table (>= 1; absent: one-hot). */
  multiHotSizes?: readonly number[];
}

/** A 32-bit mix of four integers (murmur3's finalizer over a running combination). */
function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  for (const v of [b, c, d]) h = Math.imul(h ^ (h >>> 15) ^ v, 0xc2b2ae35) + 0x27d4eb2f;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class SyntheticSource extends BlockedBatchSource {
  readonly generator: CriteoGenerator;
  private readonly indexShift: Uint32Array;
  private readonly multiHotSizes: readonly number[] | undefined;
  private readonly seed: number;

  constructor(opts: SyntheticSourceOptions) {
    const profile = opts.profile ?? loadProfile(opts.dataSet ?? 'kaggle');
    if (opts.tableSizes.length !== profile.categorical.length) {
      throw new UserError(
        `synthetic data: the model has ${opts.tableSizes.length} embedding tables but the ${profile.dataSet} data has ${profile.categorical.length} categorical columns`,
      );
    }
    super(profile.dense.length, opts.tableSizes, opts.rows, BLOCK_ROWS, opts.firstRow ?? 0);
    this.generator = new CriteoGenerator(profile, opts.seed);
    this.indexShift = Uint32Array.from(this.generator.canBeMissing, (m) => (m ? 1 : 0));
    const multiHot = opts.multiHotSizes;
    if (multiHot && multiHot.length > 0) {
      if (multiHot.length !== opts.tableSizes.length)
        throw new UserError(
          `--multi-hot-sizes: ${multiHot.length} sizes for ${opts.tableSizes.length} embedding tables`,
        );
      multiHot.forEach((k) => {
        if (!Number.isSafeInteger(k) || k < 1)
          throw new UserError(`--multi-hot-sizes: '${k}' is not a positive integer`);
      });
      this.multiHotSizes = [...multiHot];
    }
    this.seed = opts.seed;
  }

  protected makeBlock(blockIndex: number): GeneratedBlock {
    const gen = this.generator;
    const block = gen.newBlock();
    gen.fillBlock(blockIndex, block);
    const R = block.rows;
    const D = gen.numDense;
    const T = gen.numTables;
    const dense = new Float32Array(R * D);
    for (let i = 0; i < R * D; i++)
      dense[i] = block.denseMissing[i] || block.dense[i] <= 0 ? 0 : Math.log(block.dense[i] + 1);
    const oneHot = Uint32Array.from({ length: R + 1 }, (_, r) => r);
    const bags = this.tableSizes.map((size, t) => {
      const k = this.multiHotSizes?.[t] ?? 1;
      const indices = new Uint32Array(R * k);
      for (let r = 0; r < R; r++) {
        const rank = block.ranks[r * T + t];
        const first = rank < 0 ? 0 : (rank + this.indexShift[t]) % size;
        indices[r * k] = first;
        for (let j = 1; j < k; j++) indices[r * k + j] = hash4(this.seed, t, first, j) % size;
      }
      return { offsets: k === 1 ? oneHot : Uint32Array.from({ length: R + 1 }, (_, r) => r * k), indices };
    });
    return { rows: R, dense, labels: Float32Array.from(block.labels), bags };
  }
}

export function syntheticSource(opts: SyntheticSourceOptions): SyntheticSource {
  return new SyntheticSource(opts);
}
