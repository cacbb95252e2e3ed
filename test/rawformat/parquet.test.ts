// Parquet input end to end (test/rawformat/fixtures.ts: nulls, a dictionary-encoded string column,
// int64/int32/float/double/bool/timestamp columns, a list column, several row groups) against its CSV twin:
// the reader's batch shapes; preprocess --schema on the Parquet file, on a folder of part files (with
// Spark's _SUCCESS and .crc sidecars) and on a glob gives the same processed rows, vocabularies and
// manifest as on the CSV (and leaves no rendered-rows temporary file behind); schema --infer takes the
// types from the Parquet schema; predict on the Parquet file scores exactly as predict on the CSV
// (labelled and unlabelled).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/dataset/manifest';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { readParquetBatches } from '../../src/rawformat/parquetReader';
import { tempDir } from '../helpers/sharedData';
import { dlrm, writeJson } from '../schema/fixtures';
import { CLICK_SCHEMA, clickCsv, clickRows, writeClickParquet } from './fixtures';

const dir = tempDir('parquet');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const rows = clickRows(2400, 11);
const csv = path.join(dir, 'logs.csv');
const parquet = path.join(dir, 'logs.parquet');
const schemaFile = writeJson(path.join(dir, 'schema.json'), CLICK_SCHEMA);
fs.writeFileSync(csv, clickCsv(rows));
const ready = writeClickParquet(parquet, rows, 500);

/** Every row of a processed file, as the bytes of its arrays. */
function processedRows(file: string): Buffer[] {
  const reader = ProcessedFileReader.open(file);
  try {
    const b = reader.read(0, reader.rows);
    const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    return [bytes(b.labels), bytes(b.dense), ...b.sparse.flatMap((s) => [bytes(s.indices), bytes(s.offsets)])];
  } finally {
    reader.close();
  }
}

/** Asserts two preprocess outputs hold the same rows, vocabularies and manifest (less what names the input). */
function assertSameOutput(expected: string, actual: string): void {
  const manifestOf = (merged: string): Manifest =>
    JSON.parse(fs.readFileSync(`${merged}.parts/manifest.json`, 'utf8')) as Manifest;
  const strip = (m: Manifest): object => ({ ...m, createdAt: undefined, sources: undefined, mergedFile: undefined });
  const a = manifestOf(expected),
    b = manifestOf(actual);
  assert.deepEqual(strip(b), strip(a));
  assert.deepEqual(processedRows(actual), processedRows(expected), 'merged file rows');
  for (const day of a.days)
    assert.deepEqual(
      processedRows(path.join(`${actual}.parts`, day.shard)),
      processedRows(path.join(`${expected}.parts`, day.shard)),
      `shard ${day.shard}`,
    );
  for (const t of a.tables)
    assert.ok(
      fs
        .readFileSync(path.join(`${actual}.parts`, t.vocabFile))
        .equals(fs.readFileSync(path.join(`${expected}.parts`, t.vocabFile))),
      `vocabulary ${t.vocabFile}`,
    );
}

const fromCsv = path.join(dir, 'csv.dlrm');
test('the fixture file has what the reader must handle: row groups, nulls, a dictionary-encoded string column', async () => {
  await ready;
  const { parquetMetadata } = await import('hyparquet');
  const meta = parquetMetadata(new Uint8Array(fs.readFileSync(parquet)).buffer);
  assert.equal(meta.row_groups.length, 5);
  const chunk = (name: string) =>
    meta.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
  assert.ok(
    chunk('country')?.encodings.some((e) => e.includes('DICTIONARY')),
    `country encodings ${JSON.stringify(chunk('country')?.encodings)}`,
  );
  for (const name of ['price', 'country', 'tags'])
    assert.ok(Number(chunk(name)?.statistics?.null_count ?? 0) > 0, `${name} has nulls`);
});

test('readParquetBatches: one batch per row group, typed columns, nulls marked', async () => {
  await ready;
  const wanted = [
    { name: 'ts', kinds: ['date'] as const, role: 'date' },
    { name: 'click', kinds: ['bool'] as const, role: 'label' },
    { name: 'price', kinds: ['number'] as const, role: 'dense' },
    { name: 'user_id', kinds: ['int64'] as const, role: 'id' },
    { name: 'country', kinds: ['string'] as const, role: 'cat' },
    { name: 'tags', kinds: ['list'] as const, role: 'multi-hot' },
  ];
  let at = 0;
  for await (const b of readParquetBatches([parquet], wanted)) {
    assert.equal(b.rows, Math.min(500, rows.length - at));
    assert.equal(b.firstRow, at);
    const price = b.columns.get('price') as Float64Array,
      ids = b.columns.get('user_id') as BigInt64Array;
    assert.ok(
      price instanceof Float64Array && ids instanceof BigInt64Array && b.columns.get('click') instanceof Uint8Array,
    );
    for (let r = 0; r < b.rows; r++) {
      const x = rows[at + r];
      assert.equal((b.columns.get('ts') as string[])[r], x.ts.toISOString().slice(0, 10));
      assert.equal((b.columns.get('click') as Uint8Array)[r], x.click ? 1 : 0);
      assert.equal(b.nulls.get('price')?.[r] === 1, x.price === null);
      if (x.price !== null) assert.equal(price[r], x.price);
      assert.equal(b.nulls.get('user_id')?.[r] === 1, x.userId === null);
      if (x.userId !== null) assert.equal(ids[r], x.userId);
      assert.equal((b.columns.get('country') as string[])[r], x.country ?? '');
      assert.deepEqual((b.columns.get('tags') as (string[] | null)[])[r], x.tags);
    }
    at += b.rows;
  }
  assert.equal(at, rows.length);
});

test("preprocess --schema on the Parquet file gives the CSV twin's processed rows, vocabularies and manifest", async () => {
  await ready;
  const c = dlrm('preprocess', '--schema', schemaFile, '--raw-data-file', csv, '--processed-data-file', fromCsv);
  assert.equal(c.status, 0, c.stderr);
  const p = dlrm('preprocess', '--schema', schemaFile, '--raw-data-file', parquet);
  assert.equal(p.status, 0, p.stderr);
  const merged = path.join(dir, 'logs.dlrm'); // the default: '.parquet' replaced
  assertSameOutput(fromCsv, merged);
  const m = JSON.parse(fs.readFileSync(`${merged}.parts/manifest.json`, 'utf8')) as Manifest;
  assert.deepEqual(
    m.sources.map((s) => [s.path, s.bytes]),
    [[parquet, fs.statSync(parquet).size]],
  );
  assert.deepEqual(
    m.days.map((d) => d.name),
    ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', 'holdout'],
  );
  // the rows rendered as text for the parse pool lived in the work folder and are gone with it
  assert.deepEqual(
    fs.readdirSync(`${merged}.parts`, { recursive: true }).filter((f) => String(f).includes('parquet-rows')),
    [],
  );
  assert.equal(fs.existsSync(path.join(dir, '.logs.dlrm.parts.partial')), false);
});

test('a folder of part files (with _SUCCESS and .crc sidecars) and a glob give the same output', async () => {
  const parts = path.join(dir, 'events');
  fs.mkdirSync(parts);
  const cuts = [0, 700, 1500, rows.length];
  for (let i = 0; i < 3; i++)
    await writeClickParquet(
      path.join(parts, `part-0000${i}-abc.snappy.parquet`),
      rows.slice(cuts[i], cuts[i + 1]),
      300,
    );
  fs.writeFileSync(path.join(parts, '_SUCCESS'), '');
  fs.writeFileSync(path.join(parts, '.part-00000-abc.snappy.parquet.crc'), 'x');
  const folder = dlrm('preprocess', '--schema', schemaFile, '--raw-data-file', parts);
  assert.equal(folder.status, 0, folder.stderr);
  assertSameOutput(fromCsv, path.join(dir, 'events.dlrm'));
  const glob = dlrm(
    'preprocess',
    '--schema',
    schemaFile,
    '--raw-data-file',
    path.join(parts, 'part-*.parquet'),
    '--processed-data-file',
    path.join(dir, 'glob.dlrm'),
  );
  assert.equal(glob.status, 0, glob.stderr);
  assertSameOutput(fromCsv, path.join(dir, 'glob.dlrm'));
});

test('schema --infer on Parquet takes the types from the Parquet schema', async () => {
  await ready;
  const r = dlrm('schema', '--infer', parquet, '--rows', '2000');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as typeof CLICK_SCHEMA;
  assert.equal(s.label.name, 'click');
  assert.deepEqual(
    s.dense.map((d) => [d.name, d.transform]),
    [
      ['price', 'standardize'],
      ['qty', 'log1p'],
      ['score', 'standardize'],
    ],
  );
  assert.deepEqual(
    s.categorical.map((c) => [c.name, c.encoding, c.multiHotSeparator]),
    [
      ['country', 'string', undefined],
      ['user_id', 'decimal', undefined],
      ['tags', 'string', '|'],
    ],
  );
  assert.deepEqual(s.split, { by: 'date', column: 'ts', test: '2024-01-05' });
  // the inferred schema preprocesses the file as it is
  const out = path.join(dir, 'inferred.dlrm');
  const p = dlrm(
    'preprocess',
    '--schema',
    writeJson(path.join(dir, 'inferred.json'), s),
    '--raw-data-file',
    parquet,
    '--processed-data-file',
    out,
  );
  assert.equal(p.status, 0, p.stderr);
});

test('predict on Parquet scores exactly as predict on its CSV twin, labelled and unlabelled', async () => {
  const ckpt = path.join(dir, 'model.ckpt');
  const t = dlrm(
    'train',
    '--processed-data-file',
    fromCsv,
    '--arch-mlp-bot',
    '3-8-4',
    '--arch-sparse-feature-size',
    '4',
    '--arch-mlp-top',
    '8-1',
    '--mini-batch-size',
    '32',
    '--num-batches',
    '10',
    '--save-model',
    ckpt,
  );
  assert.equal(t.status, 0, t.stderr);
  const unlabelledCsv = path.join(dir, 'new.csv'),
    unlabelledParquet = path.join(dir, 'new.parquet');
  const fresh = clickRows(300, 99);
  fs.writeFileSync(unlabelledCsv, clickCsv(fresh, false));
  await writeClickParquet(unlabelledParquet, fresh, 128, false);
  const scores = (out: string): string[] =>
    fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(1).join(','));
  for (const [a, b, n] of [
    [csv, parquet, rows.length],
    [unlabelledCsv, unlabelledParquet, fresh.length],
  ] as const) {
    const outA = `${b}.a.csv`,
      outB = `${b}.b.csv`;
    const ra = dlrm('predict', '--load-model', ckpt, '--input', a, '--output', outA);
    const rb = dlrm('predict', '--load-model', ckpt, '--input', b, '--output', outB);
    assert.equal(ra.status, 0, ra.stderr);
    assert.equal(rb.status, 0, rb.stderr);
    const sa = scores(outA),
      sb = scores(outB);
    assert.equal(sb.length, n);
    assert.deepEqual(sb, sa);
    assert.equal(
      fs.readFileSync(outB, 'utf8').split('\n')[0],
      b === parquet ? 'line,probability,label' : 'line,probability',
    );
  }
});
