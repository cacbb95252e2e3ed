// Derives the Criteo Kaggle generator profile (configs/kaggle-generator.json) from a real Criteo sample:
// integer-column distributions, groups of columns that are empty on exactly the same rows, and per-table
// Zipf exponents fitted so that a sample of the same size shows as many distinct values as the real one
// (or, when every value of a small table was seen, the same share of its most common value). The
// cardinalities are the reference's full-Kaggle counts. Usage:
//   node dist/scripts/generator-calibrate.js [sample.txt] [out.json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ZipfSampler } from '../src/criteo/generator';
import type {
  CategoricalColumnProfile,
  DenseColumnProfile,
  GeneratorProfile,
  MissingGroup,
} from '../src/criteo/generatorProfile';
import { validateProfile } from '../src/criteo/generatorProfile';
import { writeFileAtomic } from '../src/util/atomic';
import { Rng } from '../src/util/random';
import { repoRoot } from '../test/helpers/sharedData';
import { KAGGLE_COUNTS } from './kaggleCounts';

/** The planted click signal: a few small and mid-size tables and three dense columns. */
const SIGNAL: GeneratorProfile['signal'] = {
  clickRate: 0.25,
  categorical: [
    { column: 'C1', scale: 0.5 },
    { column: 'C6', scale: 0.6 },
    { column: 'C9', scale: 0.5 },
    { column: 'C14', scale: 0.6 },
    { column: 'C17', scale: 0.5 },
    { column: 'C23', scale: 0.6 },
  ],
  dense: [
    { column: 'I1', scale: 0.3 },
    { column: 'I5', scale: 0.3 },
    { column: 'I7', scale: 0.3 },
  ],
};

const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

function distinctAfter(sampler: ZipfSampler, draws: number, rng: Rng): number {
  const seen = new Set<number>();
  for (let i = 0; i < draws; i++) seen.add(sampler.rank(rng.next()));
  return seen.size;
}

/** The exponent in [0.05, 8] at which `measure(s)` (decreasing in s) crosses `target`. */
function bisectExponent(measure: (s: number) => number, target: number): number {
  let lo = 0.05;
  let hi = 8;
  for (let it = 0; it < 30; it++) {
    const mid = (lo + hi) / 2;
    if (measure(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function fitZipf(valueCount: number, values: string[]): number {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const rng = new Rng(12345);
  if (counts.size < valueCount) {
    return bisectExponent((s) => {
      const sampler = new ZipfSampler(valueCount, s);
      return (distinctAfter(sampler, values.length, rng) + distinctAfter(sampler, values.length, rng)) / 2;
    }, counts.size);
  }
  const topShare = Math.max(...counts.values()) / values.length;
  // share of rank 0 under the continuous power law, increasing in s
  return bisectExponent((s) => {
    const sampler = new ZipfSampler(valueCount, s);
    let top = 0;
    for (let i = 0; i < 20000; i++) if (sampler.rank(rng.next()) === 0) top++;
    return -top / 20000;
  }, -topShare);
}

function main(): void {
  const root = repoRoot();
  const samplePath = process.argv[2] ?? path.resolve(root, '..', 'shared', 'data', 'criteo', 'kaggle-sample.txt');
  const outPath = process.argv[3] ?? path.join(root, 'configs', 'kaggle-generator.json');
  const rows = fs
    .readFileSync(samplePath, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
  const n = rows.length;
  const names = [
    ...Array.from({ length: 13 }, (_, j) => `I${j + 1}`),
    ...Array.from({ length: 26 }, (_, t) => `C${t + 1}`),
  ];
  const column = (c: number): string[] => rows.map((r) => r[1 + c]);

  // columns empty on exactly the same rows form one missing group
  const groups = new Map<string, MissingGroup>();
  names.forEach((name, c) => {
    const missingRows = column(c).flatMap((v, i) => (v === '' ? [i] : []));
    if (missingRows.length === 0) return;
    const key = missingRows.join(',');
    const g = groups.get(key) ?? { rate: round(missingRows.length / n, 5), columns: [] };
    g.columns.push(name);
    groups.set(key, g);
  });

  const dense: DenseColumnProfile[] = names.slice(0, 13).map((name, j) => {
    const present = column(j)
      .filter((v) => v !== '')
      .map(Number);
    const negatives = present.filter((x) => x < 0);
    const nonNegative = present.length - negatives.length;
    const logs = present.filter((x) => x > 0).map((x) => Math.log1p(x));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const std = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    return {
      name,
      negativeRate: round(negatives.length / present.length, 5),
      negativeTwoRate: negatives.length ? round(negatives.filter((x) => x === -2).length / negatives.length, 5) : 0,
      zeroRate: round(present.filter((x) => x === 0).length / nonNegative, 5),
      logMean: round(mean),
      logStd: round(std),
      max: Math.max(...present),
    };
  });

  const categorical: CategoricalColumnProfile[] = names.slice(13).map((name, t) => {
    const values = column(13 + t).filter((v) => v !== '');
    const canBeMissing = values.length < n;
    const cardinality = KAGGLE_COUNTS[t];
    return { name, cardinality, zipfExponent: round(fitZipf(cardinality - (canBeMissing ? 1 : 0), values)) };
  });

  const profile: GeneratorProfile = validateProfile(
    {
      dataSet: 'kaggle',
      description: `Criteo Kaggle-shaped rows: full-Kaggle table cardinalities; distributions, missing groups and Zipf exponents fitted to ${path.basename(samplePath)} (${n} real rows) by scripts/generator-calibrate.ts`,
      dense,
      categorical,
      missingGroups: [...groups.values()],
      signal: SIGNAL,
    },
    outPath,
  );
  writeFileAtomic(outPath, JSON.stringify(profile, null, 2) + '\n');
  process.stdout.write(`wrote ${outPath}\n`);
}

main();
