// preprocess --schema beyond the CSV example: a headerless .gz TSV with decimal and hex categoricals,
// log1p/none dense columns, the blocks split (cut like Criteo's Kaggle days) and the seeded random split,
// --max-ind-range folding hashed strings into 32-bit vocabularies, --min-frequency, sub-sampling and
// --skip-invalid-lines; each checked against an independent computation.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Manifest } from '../../src/dataset/manifest';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { kaggleDaySizes } from '../../src/criteo/rawSources';
import { log1pFloat32 } from '../../src/rawformat/criteoParser';
import { fnv1a64String } from '../../src/rawformat/hash64';
import { subsampleDraw } from '../../src/rawformat/subsample';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { dlrm, writeJson } from '../schema/fixtures';

const dir = tempDir('custom-splits');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Row {
  label: number;
  count: number;
  score: number;
  shop: number;
  ad: string;
  city: string;
}

const rng = new Rng(4);
const rows: Row[] = Array.from({ length: 503 }, () => ({
  label: rng.next() < 0.3 ? 1 : 0,
  count: rng.nextInt(1000),
  score: rng.nextInt(200) - 100,
  shop: rng.nextInt(30),
  ad: (0xa0 + rng.nextInt(40)).toString(16),
  city: `city${rng.nextInt(300)}`,
}));
const tsv = rows.map((r) => [r.label, r.count, r.score, r.shop, r.ad, r.city].join('\t')).join('\n') + '\n';
const raw = path.join(dir, 'clicks.tsv.gz');
fs.writeFileSync(raw, zlib.gzipSync(tsv));
const base = {
  columns: ['y', 'count', 'score', 'shop', 'ad', 'city'],
  label: { name: 'y' },
  dense: [
    { name: 'count', transform: 'log1p' },
    { name: 'score', transform: 'none' },
  ],
  categorical: [
    { name: 'shop', encoding: 'decimal' },
    { name: 'ad', encoding: 'hex' },
    { name: 'city', encoding: 'string' },
  ],
};

function run(name: string, schema: object, ...flags: string[]): { manifest: Manifest; merged: string } {
  const merged = path.join(dir, `${name}.dlrm`);
  const r = dlrm(
    'preprocess',
    '--schema',
    writeJson(path.join(dir, `${name}.json`), schema),
    '--raw-data-file',
    raw,
    '--processed-data-file',
    merged,
    '--data-randomize',
    'none',
    ...flags,
  );
  assert.equal(r.status, 0, r.stderr);
  return { manifest: JSON.parse(fs.readFileSync(`${merged}.parts/manifest.json`, 'utf8')) as Manifest, merged };
}

test('blocks split of a .gz TSV: Criteo day cut, decimal/hex/string keys, log1p and none', () => {
  const { manifest, merged } = run('blocks', { ...base, split: { by: 'blocks', blocks: 5 } });
  const sizes = kaggleDaySizes(rows.length, 5);
  assert.deepEqual(
    manifest.days.map((d) => d.rows),
    [...sizes.slice(0, 4), sizes[4]],
  );
  const last = sizes[4];
  assert.deepEqual(manifest.splits.test, { start: rows.length - last, end: rows.length - last + Math.ceil(last / 2) });
  const first = <T>(values: T[]): Map<T, number> => {
    const m = new Map<T, number>();
    for (const v of values) if (!m.has(v)) m.set(v, m.size);
    return m;
  };
  const shop = first(rows.map((r) => r.shop)),
    ad = first(rows.map((r) => r.ad)),
    city = first(rows.map((r) => r.city));
  assert.deepEqual(
    manifest.tables.map((t) => t.count),
    [shop.size, ad.size, city.size],
  );
  // --data-randomize none: the merged file is the file order
  const reader = ProcessedFileReader.open(merged);
  const b = reader.read(0, reader.rows);
  reader.close();
  rows.forEach((r, i) => {
    assert.equal(b.labels[i], r.label);
    assert.deepEqual([b.dense[2 * i], b.dense[2 * i + 1]], [log1pFloat32(r.count), r.score]);
    assert.deepEqual(
      [b.sparse[0].indices[i], b.sparse[1].indices[i], b.sparse[2].indices[i]],
      [shop.get(r.shop), ad.get(r.ad), city.get(r.city)],
    );
  });
  // the string column's vocabulary: the 64-bit FNV-1a keys in index order
  const keys = fs.readFileSync(path.join(`${merged}.parts`, manifest.tables[2].vocabFile));
  assert.deepEqual(
    [...city.keys()].map((c, i) => keys.readBigUInt64LE(8 * i) === fnv1a64String(c)),
    [...city.keys()].map(() => true),
  );
});

test('random split, --max-ind-range on strings, --min-frequency and sub-sampling', () => {
  const M = 50,
    K = 3,
    rate = 0.4,
    seed = 9;
  const { manifest } = run(
    'random',
    { ...base, split: { by: 'random', test: 0.1, val: 0.2 } },
    '--max-ind-range',
    String(M),
    '--min-frequency',
    String(K),
    '--data-sub-sample-rate',
    String(rate),
    '--seed',
    String(seed),
  );
  const kept = rows.map((r, i) => ({ r, i })).filter(({ r, i }) => r.label === 1 || subsampleDraw(seed, 0, i) >= rate);
  const route = kept.map(({ i }) => {
    const u = subsampleDraw(seed, 0x5eed, i);
    return u < 0.1 ? 'test' : u < 0.3 ? 'val' : 'train';
  });
  const n = (s: string): number => route.filter((x) => x === s).length;
  assert.deepEqual(manifest.splits, {
    train: { start: 0, end: n('train') },
    test: { start: n('train'), end: n('train') + n('test') },
    val: { start: n('train') + n('test'), end: kept.length },
  });
  // cities folded: hash mod M, 32-bit vocabulary; values seen < K times share the last row
  const folded = kept.map(({ r }) => Number(fnv1a64String(r.city) % BigInt(M)));
  const seen = new Map<number, number>();
  for (const v of folded) seen.set(v, (seen.get(v) ?? 0) + 1);
  const frequent = [...seen.values()].filter((c) => c >= K).length;
  const city = manifest.tables[2];
  assert.equal(city.keyBits, undefined);
  assert.equal(city.count, frequent + 1);
  assert.equal(city.oovIndex, frequent);
});

test('--skip-invalid-lines counts bad lines; without it the first bad line stops the run', () => {
  const bad = path.join(dir, 'bad.tsv');
  fs.writeFileSync(bad, tsv.replace(/\n/, '\n1\tx\t0\t1\ta0\tc\n'));
  const schema = writeJson(path.join(dir, 'bad.json'), base);
  const stop = dlrm('preprocess', '--schema', schema, '--raw-data-file', bad);
  assert.equal(stop.status, 2);
  assert.match(stop.stderr, /bad\.tsv:2: field 2 \(count\): 'x' is not a number/);
  const skip = dlrm('preprocess', '--schema', schema, '--raw-data-file', bad, '--skip-invalid-lines');
  assert.equal(skip.status, 0, skip.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'bad.dlrm.parts', 'manifest.json'), 'utf8')) as Manifest;
  assert.equal(manifest.totalRows, rows.length);
  assert.equal(
    manifest.days.reduce((s, d) => s + d.invalidLines, 0),
    1,
  );
});

test('standardize statistics stay exact for large values with a small spread (timestamps)', () => {
  const ts = Array.from({ length: 400 }, (_, i) => 1_700_000_000 + ((i * 37) % 11) + 0.25);
  const file = path.join(dir, 'ts.tsv');
  fs.writeFileSync(file, ts.map((t, i) => `${i % 3 === 0 ? 1 : 0}\t${t}\tk${i % 5}`).join('\n') + '\n');
  const schema = writeJson(path.join(dir, 'ts.json'), {
    columns: ['y', 'ts', 'k'],
    label: { name: 'y' },
    dense: [{ name: 'ts', transform: 'standardize' }],
    categorical: [{ name: 'k' }],
  });
  const r = dlrm('preprocess', '--schema', schema, '--raw-data-file', file);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'ts.dlrm.parts', 'manifest.json'), 'utf8')) as Manifest;
  // two-pass reference on the offsets (exact in doubles)
  const off = ts.map((t) => t - 1_700_000_000);
  const mean = off.reduce((a, b) => a + b, 0) / off.length;
  const std = Math.sqrt(off.reduce((a, b) => a + (b - mean) ** 2, 0) / (off.length - 1));
  assert.ok(Math.abs((m.schema.dense[0].mean as number) - 1_700_000_000 - mean) < 1e-6);
  assert.ok(Math.abs((m.schema.dense[0].std as number) - std) < 1e-6 * std, `${m.schema.dense[0].std} vs ${std}`);
});
