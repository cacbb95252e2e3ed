// `dlrm schema --infer` on the hand-written CSV log (header, quotes, date, float, strings, multi-hot) and
// on a headerless Criteo-shaped TSV (hex categoricals, integer counts, an id column): the guessed kinds and
// encodings, and the round trip: the inferred schema, written by the CLI, is accepted by preprocess.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inferSchema } from '../../src/rawformat/infer';
import { tempDir } from '../helpers/sharedData';
import { criteoLines } from '../preprocess/fixtures';
import { dlrm, logCsv, logRows } from './fixtures';

const dir = tempDir('schema-infer');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('infers the CSV log: header, quoting, label, date split, standardize, string and multi-hot columns', async () => {
  const file = path.join(dir, 'logs.csv');
  fs.writeFileSync(file, logCsv(logRows(400, 11)));
  const { schema, columns } = await inferSchema(file, 300);
  assert.equal(schema.delimiter, ',');
  assert.equal(schema.header, true);
  assert.equal(schema.quoted, true);
  assert.deepEqual(schema.label, { name: 'click' });
  assert.deepEqual(
    schema.split,
    { by: 'date', column: 'day', test: '2024-01-05' },
    'the last date within the 300 sampled rows',
  );
  assert.deepEqual(
    schema.dense.map((d) => [d.name, d.transform]),
    [['price', 'standardize']],
  );
  assert.deepEqual(
    schema.categorical.map((c) => [c.name, c.encoding, c.multiHotSeparator]),
    [
      ['country', 'string', undefined],
      ['user', 'string', undefined],
      ['tags', 'string', '|'],
    ],
  );
  assert.equal(columns.find((c) => c.name === 'country')?.distinct, 5);
  assert.equal(columns.find((c) => c.name === 'tags')?.distinct, 6, 'multi-hot cardinality counts list elements');

  const out = path.join(dir, 'inferred.json');
  const r = dlrm('schema', '--infer', file, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /tags\s+categorical\s+string multi-hot '\|'/);
  const p = dlrm('preprocess', '--schema', out, '--raw-data-file', file);
  assert.equal(p.status, 0, p.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'logs.dlrm')));
});

test('infers a headerless Criteo-shaped TSV: first 0/1 column is the label, integer counts log1p, hex categoricals', async () => {
  const file = path.join(dir, 'criteo.tsv');
  fs.writeFileSync(
    file,
    criteoLines(500, 3)
      .map((l, i) => `${l}\t${1000 + (i % 37)}`)
      .join('\n') + '\n',
  );
  const { schema, columns } = await inferSchema(file, 500);
  assert.equal(schema.delimiter, '\t');
  assert.equal(schema.header, false);
  assert.deepEqual(schema.label, { name: 'f1' });
  assert.equal(schema.dense.length, 14, 'I1..I13 and the unnamed integer column');
  assert.ok(
    schema.dense.filter((d) => d.name !== 'f3').every((d) => d.transform === 'log1p'),
    'non-negative integer counts are log1p',
  );
  assert.equal(schema.dense.find((d) => d.name === 'f3')?.transform, 'standardize', 'I2 has negative values');
  assert.equal(schema.categorical.length, 26);
  assert.ok(schema.categorical.every((c) => c.encoding === 'hex'));
  assert.equal(columns[40].kind, 'dense', 'an unnamed integer column is dense');
});
