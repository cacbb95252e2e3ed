// The statistical profile the Criteo-shaped generator draws from (configs/<data-set>-generator.json):
// per-table cardinalities (the real Kaggle counts, the missing value included; terabyte: an estimate), Zipf exponents of the
// category frequencies, integer-column distributions, groups of columns that are missing together, and
// the planted click signal. scripts/generator-calibrate.ts derives it from a real Criteo sample.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { readJsonFile } from '../util/jsonFile';

export const DATA_SETS = ['kaggle', 'terabyte'] as const;
export type GeneratorDataSet = (typeof DATA_SETS)[number];

/** An integer column I1..I13: missing (by its group), else negative, zero or log-normal on the log1p scale. */
export interface DenseColumnProfile {
  name: string;
  /** Among present values: probability of a negative value (-1, or -2 with probability negativeTwoRate). */
  negativeRate: number;
  negativeTwoRate: number;
  /** Among present, non-negative values: probability of 0. */
  zeroRate: number;
  /** log1p(x) of the positive values ~ Normal(logMean, logStd), rounded, clamped to [1, max]. */
  logMean: number;
  logStd: number;
  max: number;
}

/** A categorical column C1..C26. */
export interface CategoricalColumnProfile {
  name: string;
  /** Distinct values in the full data set, the missing value included when the column can be missing. */
  cardinality: number;
  /** Frequency of the k-th most common value ~ (k+1)^-zipfExponent. */
  zipfExponent: number;
}

/** Columns that are empty together on the same rows, with the probability a row has them empty. */
export interface MissingGroup {
  rate: number;
  columns: string[];
}

/** The planted click model: logit = bias + sum of per-category weights + sum of dense weights x standardized log1p. */
export interface SignalProfile {
  /** Target mean click rate; the bias is solved for it. */
  clickRate: number;
  /** Categorical columns carrying signal; each value gets a seeded weight ~ Uniform with std `scale`. */
  categorical: { column: string; scale: number }[];
  /** Dense columns carrying signal; the weight's sign is seeded, its size is `scale`. */
  dense: { column: string; scale: number }[];
}

export interface GeneratorProfile {
  dataSet: GeneratorDataSet;
  description: string;
  dense: DenseColumnProfile[];
  categorical: CategoricalColumnProfile[];
  missingGroups: MissingGroup[];
  signal: SignalProfile;
}

/** The folder of the shipped configs (repository root /configs), found from this compiled file. */
function configsDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`configs folder not found above ${__dirname}`);
    dir = up;
  }
  return path.join(dir, 'configs');
}

export function profilePath(dataSet: GeneratorDataSet): string {
  return path.join(configsDir(), `${dataSet}-generator.json`);
}

function check(cond: boolean, file: string, what: string): void {
  if (!cond) throw new UserError(`${file}: ${what}`);
}

/** Checks a parsed profile; throws a UserError naming the file and the bad entry. */
export function validateProfile(p: GeneratorProfile, file: string): GeneratorProfile {
  const rate = (x: number): boolean => typeof x === 'number' && x >= 0 && x <= 1;
  check(Array.isArray(p.dense) && p.dense.length > 0, file, 'dense must be a non-empty list');
  check(Array.isArray(p.categorical) && p.categorical.length > 0, file, 'categorical must be a non-empty list');
  const names = new Set<string>();
  for (const d of p.dense) {
    check(
      rate(d.negativeRate) && rate(d.negativeTwoRate) && rate(d.zeroRate),
      file,
      `dense ${d.name}: rates must be in [0, 1]`,
    );
    check(
      Number.isFinite(d.logMean) && d.logStd >= 0 && Number.isInteger(d.max) && d.max >= 1,
      file,
      `dense ${d.name}: bad logMean/logStd/max`,
    );
    names.add(d.name);
  }
  for (const c of p.categorical) {
    check(
      Number.isInteger(c.cardinality) && c.cardinality >= 2,
      file,
      `categorical ${c.name}: cardinality must be an integer >= 2`,
    );
    check(c.zipfExponent > 0 && c.zipfExponent < 10, file, `categorical ${c.name}: zipfExponent must be in (0, 10)`);
    names.add(c.name);
  }
  for (const g of p.missingGroups) {
    check(rate(g.rate), file, `missing group ${g.columns.join(',')}: rate must be in [0, 1]`);
    for (const c of g.columns) check(names.has(c), file, `missing group: unknown column '${c}'`);
  }
  check(
    rate(p.signal.clickRate) && p.signal.clickRate > 0 && p.signal.clickRate < 1,
    file,
    'signal.clickRate must be in (0, 1)',
  );
  for (const s of [...p.signal.categorical, ...p.signal.dense])
    check(names.has(s.column), file, `signal: unknown column '${s.column}'`);
  return p;
}

/** Reads and validates configs/<dataSet>-generator.json. */
export function loadProfile(dataSet: GeneratorDataSet): GeneratorProfile {
  const file = profilePath(dataSet);
  return validateProfile(readJsonFile(file, 'generator profile') as GeneratorProfile, file);
}
