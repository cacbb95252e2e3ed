// Parser parity: wherever two parsers can read the same file, the processed output is byte-identical.
// (1) Block level: the Criteo parser and the delimited parser on the real Kaggle sample under the Kaggle
// preset schema (with --max-ind-range folding and sub-sampling) give the same labels, dense values and keys.
// (2) CLI level: the real sample preprocessed as the preset (`--data-set kaggle`, Criteo parser), as
// `--schema configs/kaggle.schema.json`, and rewritten as a CSV with a header line under a schema of the
// same columns (which only the delimited parser reads) gives the same merged rows, splits, vocabularies and
// OOV rows. (3) parserFor: a schema the Criteo layout can express but not of Criteo's shape (decimal
// dense values in the file) is still read, by the delimited parser behind the Criteo one.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/dataset/manifest';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { loadSchemaPreset } from '../../src/criteo/schemaPresets';
import { CriteoParser } from '../../src/rawformat/criteoParser';
import { DelimitedBlockParser } from '../../src/rawformat/delimitedParser';
import { compileLayout } from '../../src/rawformat/layout';
import { parserFor } from '../../src/rawformat/parserFor';
import type { ParsedBlock, ParseOptions } from '../../src/rawformat/rowParser';
import { repoRoot, sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm, writeJson } from '../schema/fixtures';

const sample = sharedCriteoFile('kaggle-sample.txt');
const skip = 'skip' in sample ? sample.skip : false;
const dir = tempDir('parser-parity');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The rows' labels, dense values and keys of a block, as plain arrays. */
function rowsOf(b: ParsedBlock): { labels: number[]; dense: number[]; keys: number[][] } {
  const D = b.dense.length / b.capacity;
  return {
    labels: [...b.labels.subarray(0, b.rows)],
    dense: [...b.dense.subarray(0, b.rows * D)],
    keys: b.keys.map((k) => {
      assert.equal(k.offsets, undefined, 'one key per row');
      assert.equal(k.hi, undefined, '32-bit keys');
      return [...k.lo.subarray(0, b.rows)];
    }),
  };
}

test('the Criteo and delimited parsers give the same rows on the real sample', { skip }, () => {
  if ('skip' in sample) return;
  const schema = loadSchemaPreset('kaggle');
  const bytes = fs.readFileSync(sample.path);
  const lines = bytes.toString('latin1').split('\n').length - 1;
  for (const opts of [
    { maxIndRange: 0, subsampleRate: 0 },
    { maxIndRange: 5000, subsampleRate: 0.4 },
  ]) {
    const o: ParseOptions = { ...opts, seed: 9, skipInvalid: false, partitionBounds: [0, 26] };
    const criteo = new CriteoParser(compileLayout(schema), o).parseBlock(bytes, bytes.length, 2, 100, lines);
    const delimited = new DelimitedBlockParser(schema, o).parseBlock(bytes, bytes.length, 2, 100, lines);
    assert.equal(criteo.firstError, undefined);
    assert.equal(delimited.firstError, undefined);
    assert.ok(criteo.rows > (opts.subsampleRate > 0 ? 10_000 : 21_000), `${criteo.rows} rows`);
    assert.equal(delimited.rows, criteo.rows);
    assert.deepEqual(rowsOf(delimited), rowsOf(criteo), JSON.stringify(opts));
  }
});

/** The merged rows, manifest facts and vocabulary files of a preprocess output. */
function outputOf(merged: string): { facts: unknown; rows: unknown; vocab: Buffer[] } {
  const r = ProcessedFileReader.open(merged);
  const m = r.metadata as Manifest;
  const rows = r.read(0, r.rows);
  r.close();
  return {
    facts: { splits: m.splits, days: m.days.map((d) => d.rows), tables: m.tables.map((t) => [t.count, t.oovIndex]) },
    rows,
    vocab: m.tables.map((t) => fs.readFileSync(path.join(`${merged}.parts`, t.vocabFile))),
  };
}

test(
  '--data-set kaggle, --schema kaggle.schema.json and the sample as a CSV with a header give the same processed data',
  { skip },
  () => {
    if ('skip' in sample) return;
    const preset = path.join(dir, 'preset.dlrm'),
      custom = path.join(dir, 'custom.dlrm'),
      csv = path.join(dir, 'csv.dlrm');
    const csvFile = path.join(dir, 'sample.csv');
    const schema = loadSchemaPreset('kaggle');
    fs.writeFileSync(
      csvFile,
      `${schema.columns.join(',')}\n${fs.readFileSync(sample.path, 'latin1').replace(/\t/g, ',')}`,
      'latin1',
    );
    const csvSchema = writeJson(path.join(dir, 'csv.schema.json'), { ...schema, delimiter: ',', header: true });
    const runs = [
      dlrm('preprocess', '--raw-data-file', sample.path, '--processed-data-file', preset, '--max-ind-range', '5000'),
      dlrm(
        'preprocess',
        '--raw-data-file',
        sample.path,
        '--processed-data-file',
        custom,
        '--max-ind-range',
        '5000',
        '--schema',
        path.join(repoRoot(), 'configs', 'kaggle.schema.json'),
      ),
      dlrm(
        'preprocess',
        '--raw-data-file',
        csvFile,
        '--processed-data-file',
        csv,
        '--max-ind-range',
        '5000',
        '--schema',
        csvSchema,
        '--workers',
        '2',
      ),
    ];
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const want = outputOf(preset);
    for (const [name, file] of [
      ['--schema kaggle.schema.json', custom],
      ['CSV with a header', csv],
    ] as const) {
      const got = outputOf(file);
      assert.deepEqual(got.facts, want.facts, name);
      assert.deepEqual(got.rows, want.rows, name);
      got.vocab.forEach((v, t) => assert.ok(v.equals(want.vocab[t]), `${name}: vocabulary ${t}`));
    }
  },
);

test('parserFor reads decimal dense values of a Criteo-layout schema through the delimited parser', () => {
  const schema = {
    delimiter: ',',
    header: false,
    columns: ['y', 'a', 'k'],
    label: { name: 'y' },
    dense: [{ name: 'a', transform: 'none' as const }],
    categorical: [{ name: 'k', encoding: 'decimal' as const }],
  };
  const o: ParseOptions = { maxIndRange: 0, subsampleRate: 0, seed: 0, skipInvalid: false, partitionBounds: [0, 1] };
  const bytes = new Uint8Array(Buffer.from('1,7,12\n0,2.5,3\n'));
  const strict = new CriteoParser(compileLayout(schema), o).parseBlock(bytes, bytes.length, 0, 0, 2);
  assert.match(strict.firstError?.message ?? '', /'2\.5' is not an integer/, 'the Criteo grammar alone refuses it');
  const b = parserFor(schema, o).parseBlock(bytes, bytes.length, 0, 0, 2);
  assert.equal(b.firstError, undefined);
  assert.deepEqual([...b.dense.subarray(0, 2)], [7, 2.5]);
  assert.deepEqual([...b.keys[0].lo.subarray(0, 2)], [12, 3]);
  const bad = parserFor(schema, o).parseBlock(new Uint8Array(Buffer.from('1,x,1\n')), 6, 0, 0, 1);
  assert.deepEqual(
    bad.firstError,
    { line: 0, field: 2, message: "'x' is not a number" },
    'errors in the delimited words, 1-based field',
  );
});
