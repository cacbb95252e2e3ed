// Request rows -> training-layout lines (src/serve/requestRows.ts): an unlabelled raw line gets the label
// field (0) where the schema has it (first for Criteo, in the middle for a custom schema, quote-aware), a
// labelled one is kept, objects are laid out in column order (missing = empty field, multi-hot arrays joined,
// quoted when the schema allows), and every refusal names rows[i] and the field.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ColumnSchema } from '../../src/rawformat/schema';
import { RequestRowError, RequestRows } from '../../src/serve/requestRows';
import { repoRoot } from '../helpers/sharedData';

const kaggle = JSON.parse(
  fs.readFileSync(path.join(repoRoot(), 'configs', 'kaggle.schema.json'), 'utf8'),
) as ColumnSchema;
const custom: ColumnSchema = {
  delimiter: ',',
  header: true,
  quoted: true,
  columns: ['day', 'click', 'country', 'tags'],
  label: { name: 'click' },
  dense: [],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
};

const lines = (r: RequestRows, rows: unknown[]) => r.toBlock(rows).toString('utf8').split('\n');

function refused(r: RequestRows, rows: unknown[], pattern: RegExp): void {
  assert.throws(
    () => r.toBlock(rows),
    (err: unknown) => err instanceof RequestRowError && pattern.test(err.message),
    `expected ${pattern}`,
  );
}

test('Criteo: 39-field lines get the label 0 in front, 40-field lines are kept', () => {
  const r = new RequestRows(kaggle);
  const unlabelled = Array.from({ length: 39 }, (_, i) => (i < 13 ? String(i) : 'a1')).join('\t');
  assert.deepEqual(lines(r, [unlabelled, `1\t${unlabelled}`]), [`0\t${unlabelled}`, `1\t${unlabelled}`, '']);
  refused(r, ['1\t2\t3'], /^rows\[0\]: has 3 fields; a row has 40 with the label column, or 39 without it/);
  refused(r, [unlabelled, ''], /^rows\[1\]: is an empty line/);
  refused(r, [`${unlabelled}\n${unlabelled}`], /^rows\[0\]: holds a line break/);
  refused(r, [unlabelled, 7], /^rows\[1\]: is neither a raw line/);
});

test('Criteo objects: column order, missing columns empty, numbers as text, unknown columns refused', () => {
  const r = new RequestRows(kaggle);
  const [line] = lines(r, [{ I1: 3, C1: '68fd1e64', I13: -2 }]);
  const fields = line.split('\t');
  assert.equal(fields.length, 40);
  assert.deepEqual([fields[0], fields[1], fields[13], fields[14], fields[15]], ['0', '3', '-2', '68fd1e64', '']);
  refused(r, [{ I1: 1 }, { X9: 1 }], /^rows\[1\]: field X9: is not a column/);
  refused(r, [{ C1: ['a'] }], /^rows\[0\]: field 15 \(C1\): is a list, but the column is not multi-hot/);
  refused(r, [{ I2: true }], /^rows\[0\]: field 3 \(I2\): true is not a string or a finite number/);
  refused(r, [{ C3: 'a\tb' }], /^rows\[0\]: field 17 \(C3\): holds the delimiter/);
});

test('custom schema: the label inserted in the middle, quote-aware; objects quoted and lists joined', () => {
  const r = new RequestRows(custom);
  assert.deepEqual(lines(r, ['2024-01-01,"Paris, FR",a|b', '2024-01-01,1,fr,']), [
    '2024-01-01,0,"Paris, FR",a|b',
    '2024-01-01,1,fr,',
    '',
  ]);
  // a quote inside a field does not open a quoted part; "" inside a quoted field is one quote
  assert.deepEqual(lines(r, ['2024-01-01,a"b,c', '2024-01-01,"x"",y",c']), [
    '2024-01-01,0,a"b,c',
    '2024-01-01,0,"x"",y",c',
    '',
  ]);
  assert.deepEqual(
    lines(r, [
      { country: 'Paris, FR', tags: ['a', 'b'] },
      { country: '"q"', tags: [] },
    ]),
    [',0,"Paris, FR",a|b', ',0,"""q""",', ''],
  );
  refused(r, [{ tags: ['a|b'] }], /^rows\[0\]: field 4 \(tags\[0\]\): holds the list separator/);
  refused(r, ['a,b'], /^rows\[0\]: has 2 fields; a row has 4 with the label column, or 3 without it/);
});
