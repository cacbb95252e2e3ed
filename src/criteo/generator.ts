// The Criteo-shaped row generator: rows with a click label, 13 integer columns and 26 categorical
// columns drawn from a GeneratorProfile (real Kaggle cardinalities, Zipf-like category frequencies,
// realistic missing values) and a planted, learnable click signal (a seeded logistic model over a few
// categorical and dense columns). Rows come in blocks of BLOCK_ROWS; block b is drawn from its own
// Rng seeded by (seed, b), so row r is the same whoever asks for it and in whatever batch size: the
// text writer (`dlrm generate`) and the training source (syntheticSource) see the very same rows.
import { Rng } from '../util/random';
import { fmix32 } from '../util/hash';
import type { GeneratorProfile } from './generatorProfile';

/** Rows per independently seeded block. */
export const BLOCK_ROWS = 4096;

/** Rows used to standardize the dense signal columns and solve the bias for the target click rate. */
const CALIBRATION_ROWS = 16384;

/** One block of generated rows in column-friendly typed arrays; row i's column j is at [i * width + j]. */
export interface CriteoRowBlock {
  /** Rows filled (BLOCK_ROWS except for a final partial block). */
  rows: number;
  /** Global index of the block's first row. */
  firstRow: number;
  /** Click labels 0/1 [BLOCK_ROWS]. */
  labels: Uint8Array;
  /** Integer column values [BLOCK_ROWS x numDense]; meaningless where denseMissing is 1. */
  dense: Int32Array;
  denseMissing: Uint8Array;
  /** Categorical value ranks [BLOCK_ROWS x numTables]: 0 = most frequent value, -1 = missing. */
  ranks: Int32Array;
  /** The planted logit of each row (the oracle score, before the label draw) [BLOCK_ROWS]. */
  logits: Float32Array;
}

/** A uint32 hash of two uint32 values. */
export function hash2(a: number, b: number): number {
  return fmix32((a ^ fmix32((b + 0x9e3779b9) >>> 0)) >>> 0);
}

/** Buckets of the Zipf sampler's lookup table over u in [0, 1). */
const ZIPF_BUCKETS = 1 << 12;

/**
 * Draws Zipf-like ranks in [0, n): the continuous power law x^-s on [1, n+1) sampled by its inverse CDF
 * and floored, so rank k has probability ~ (k+1)^-s. O(1) per draw for any n: a table of the ranks at
 * the bucket edges answers directly when a bucket holds one rank (the frequent head), else one pow.
 */
export class ZipfSampler {
  private readonly a: number;
  private readonly inv: number;
  private readonly logN1: number;
  private readonly nearOne: boolean;
  private readonly edges: Int32Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    this.nearOne = Math.abs(1 - exponent) < 1e-9;
    this.logN1 = Math.log(n + 1);
    this.a = Math.pow(n + 1, 1 - exponent) - 1;
    this.inv = 1 / (1 - exponent);
    this.edges = Int32Array.from({ length: ZIPF_BUCKETS + 1 }, (_, k) => this.exactRank(k / ZIPF_BUCKETS));
  }

  private exactRank(u: number): number {
    const x = this.nearOne ? Math.exp(u * this.logN1) : Math.pow(1 + u * this.a, this.inv);
    const k = Math.floor(x) - 1;
    return k < 0 ? 0 : k >= this.n ? this.n - 1 : k;
  }

  /** The rank for a uniform draw u in [0, 1). */
  rank(u: number): number {
    const b = (u * ZIPF_BUCKETS) | 0;
    const lo = this.edges[b];
    return lo === this.edges[b + 1] ? lo : this.exactRank(u);
  }
}

const samplerCache = new Map<string, ZipfSampler>();

/** A shared ZipfSampler for (n, exponent): generators of the same profile reuse the lookup tables. */
export function zipfSampler(n: number, exponent: number): ZipfSampler {
  const key = `${n}/${exponent}`;
  let s = samplerCache.get(key);
  if (!s) samplerCache.set(key, (s = new ZipfSampler(n, exponent)));
  return s;
}

export class CriteoGenerator {
  readonly numDense: number;
  readonly numTables: number;
  /** Per table: distinct values in the full data set, the missing value included when it can be missing. */
  readonly cardinalities: readonly number[];
  /** Per table: whether the column can be empty. */
  readonly canBeMissing: readonly boolean[];

  private readonly samplers: ZipfSampler[];
  private readonly denseGroup: Int32Array;
  private readonly tableGroup: Int32Array;
  private readonly groupRates: Float64Array;
  private readonly hexKeys: Uint32Array;
  private readonly signalTables: Int32Array;
  private readonly signalTableScale: Float64Array;
  private readonly signalTableKey: Uint32Array;
  private readonly signalDense: Int32Array;
  private readonly signalDenseWeight: Float64Array;
  private readonly signalDenseMean: Float64Array;
  private readonly signalDenseStd: Float64Array;
  /** The bias of the planted logit, solved (in the constructor) so the mean click rate is the profile's target. */
  private solvedBias = 0;

  constructor(
    readonly profile: GeneratorProfile,
    readonly seed: number,
  ) {
    this.numDense = profile.dense.length;
    this.numTables = profile.categorical.length;
    const groupOf = new Map<string, number>();
    profile.missingGroups.forEach((g, i) => g.columns.forEach((c) => groupOf.set(c, i)));
    this.groupRates = Float64Array.from(profile.missingGroups, (g) => g.rate);
    this.denseGroup = Int32Array.from(profile.dense, (d) => groupOf.get(d.name) ?? -1);
    this.tableGroup = Int32Array.from(profile.categorical, (c) => groupOf.get(c.name) ?? -1);
    this.canBeMissing = Array.from(this.tableGroup, (g) => g >= 0 && this.groupRates[g] > 0);
    this.cardinalities = profile.categorical.map((c) => c.cardinality);
    this.samplers = profile.categorical.map((c, t) =>
      zipfSampler(c.cardinality - (this.canBeMissing[t] ? 1 : 0), c.zipfExponent),
    );

    const keyRng = new Rng(hash2(seed >>> 0, 0x5eed));
    this.hexKeys = Uint32Array.from({ length: 2 * this.numTables }, () => keyRng.nextUint32() | 1);
    const tableIndex = (name: string): number => profile.categorical.findIndex((c) => c.name === name);
    const denseIndex = (name: string): number => profile.dense.findIndex((d) => d.name === name);
    this.signalTables = Int32Array.from(profile.signal.categorical, (s) => tableIndex(s.column));
    this.signalTableScale = Float64Array.from(profile.signal.categorical, (s) => s.scale);
    this.signalTableKey = Uint32Array.from(profile.signal.categorical, () => keyRng.nextUint32());
    this.signalDense = Int32Array.from(profile.signal.dense, (s) => denseIndex(s.column));
    this.signalDenseWeight = Float64Array.from(profile.signal.dense, (s) => (keyRng.next() < 0.5 ? -s.scale : s.scale));
    this.signalDenseMean = new Float64Array(this.signalDense.length);
    this.signalDenseStd = new Float64Array(this.signalDense.length).fill(1);
    this.calibrate(profile.signal.clickRate);
  }

  /** An empty block with room for BLOCK_ROWS rows. */
  newBlock(): CriteoRowBlock {
    return {
      rows: 0,
      firstRow: 0,
      labels: new Uint8Array(BLOCK_ROWS),
      dense: new Int32Array(BLOCK_ROWS * this.numDense),
      denseMissing: new Uint8Array(BLOCK_ROWS * this.numDense),
      ranks: new Int32Array(BLOCK_ROWS * this.numTables),
      logits: new Float32Array(BLOCK_ROWS),
    };
  }

  /** Fills `block` with the first `rows` rows of block `blockIndex` (global rows blockIndex*BLOCK_ROWS...). */
  fillBlock(blockIndex: number, block: CriteoRowBlock, rows = BLOCK_ROWS): void {
    const rng = new Rng(hash2(this.seed >>> 0, blockIndex >>> 0) ^ Math.floor(blockIndex / 4294967296));
    this.drawRows(rng, block, rows, true);
    block.firstRow = blockIndex * BLOCK_ROWS;
  }

  /** The uint32 value written (as 8 hex digits) for rank `rank` of table `t`: a keyed bijection, never 0. */
  categoryValue(t: number, rank: number): number {
    let x = (rank + 1) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, this.hexKeys[2 * t]);
    x ^= x >>> 13;
    x = Math.imul(x, this.hexKeys[2 * t + 1]);
    x ^= x >>> 16;
    return x >>> 0;
  }

  /** The planted logit contribution of rank `rank` (-1 = missing) of the i-th signal table. */
  private categoryWeight(i: number, rank: number): number {
    const u = hash2(this.signalTableKey[i], (rank + 1) >>> 0) / 4294967296;
    return this.signalTableScale[i] * Math.sqrt(3) * (2 * u - 1);
  }

  /** log1p of an integer column value as preprocessing makes it (negatives clipped to 0, missing = 0). */
  private static log1pValue(v: number, missing: number): number {
    return missing || v <= 0 ? 0 : Math.log1p(v);
  }

  private drawRows(rng: Rng, block: CriteoRowBlock, rows: number, drawLabels: boolean): void {
    const { dense: denseProfile } = this.profile;
    const D = this.numDense;
    const T = this.numTables;
    const groupMissing = new Uint8Array(this.groupRates.length);
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < groupMissing.length; g++) groupMissing[g] = rng.next() < this.groupRates[g] ? 1 : 0;
      for (let j = 0; j < D; j++) {
        const at = r * D + j;
        const g = this.denseGroup[j];
        if (g >= 0 && groupMissing[g]) {
          block.denseMissing[at] = 1;
          block.dense[at] = 0;
          continue;
        }
        block.denseMissing[at] = 0;
        const p = denseProfile[j];
        const u = rng.next();
        if (u < p.negativeRate) block.dense[at] = rng.next() < p.negativeTwoRate ? -2 : -1;
        else if (u < p.negativeRate + (1 - p.negativeRate) * p.zeroRate) block.dense[at] = 0;
        else {
          const x = Math.round(Math.expm1(p.logMean + p.logStd * rng.normal()));
          block.dense[at] = x < 1 ? 1 : x > p.max ? p.max : x;
        }
      }
      for (let t = 0; t < T; t++) {
        const g = this.tableGroup[t];
        block.ranks[r * T + t] = g >= 0 && groupMissing[g] ? -1 : this.samplers[t].rank(rng.next());
      }
      block.logits[r] = this.rowLogit(block, r);
      const logit = block.logits[r];
      if (drawLabels) block.labels[r] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    }
    block.rows = rows;
  }

  /** The planted logit of row r of a filled block, from its categorical ranks and dense values. */
  private rowLogit(block: CriteoRowBlock, r: number): number {
    let logit = this.solvedBias;
    for (let i = 0; i < this.signalTables.length; i++)
      logit += this.categoryWeight(i, block.ranks[r * this.numTables + this.signalTables[i]]);
    for (let i = 0; i < this.signalDense.length; i++) {
      const at = r * this.numDense + this.signalDense[i];
      const x = CriteoGenerator.log1pValue(block.dense[at], block.denseMissing[at]);
      logit += (this.signalDenseWeight[i] * (x - this.signalDenseMean[i])) / this.signalDenseStd[i];
    }
    return logit;
  }

  /**
   * Standardizes the dense signal columns and solves the bias so that the mean click probability is
   * `clickRate`, both on calibration rows drawn from a seeded Rng of their own.
   */
  private calibrate(clickRate: number): void {
    const rng = new Rng(hash2(this.seed >>> 0, 0xca11b8a7));
    const blocks = Array.from({ length: Math.ceil(CALIBRATION_ROWS / BLOCK_ROWS) }, () => {
      const block = this.newBlock();
      this.drawRows(rng, block, BLOCK_ROWS, false);
      return block;
    });
    const rows = blocks.length * BLOCK_ROWS;
    this.signalDense.forEach((j, i) => {
      let sum = 0;
      let sq = 0;
      for (const block of blocks) {
        for (let r = 0; r < BLOCK_ROWS; r++) {
          const v = CriteoGenerator.log1pValue(
            block.dense[r * this.numDense + j],
            block.denseMissing[r * this.numDense + j],
          );
          sum += v;
          sq += v * v;
        }
      }
      this.signalDenseMean[i] = sum / rows;
      this.signalDenseStd[i] = Math.sqrt(Math.max(sq / rows - (sum / rows) ** 2, 1e-12));
    });
    const logits = new Float64Array(rows);
    blocks.forEach((block, b) => {
      for (let r = 0; r < BLOCK_ROWS; r++) logits[b * BLOCK_ROWS + r] = this.rowLogit(block, r);
    });
    const meanRate = (bias: number): number => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += 1 / (1 + Math.exp(-(bias + logits[i])));
      return s / rows;
    };
    let lo = -30;
    let hi = 30;
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (meanRate(mid) < clickRate) lo = mid;
      else hi = mid;
    }
    this.solvedBias = (lo + hi) / 2;
  }

  /** The bias of the planted logit. */
  get bias(): number {
    return this.solvedBias;
  }
}
