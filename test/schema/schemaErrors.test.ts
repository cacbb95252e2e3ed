// Bad schemas and data that does not match them: each is a UserError naming the column (and for data
// the file, line and field), raised before (schema) or during (data) `dlrm preprocess --schema`. Also: the
// Criteo presets validate as schemas of the same format.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateSchema } from '../../src/rawformat/loadSchema';
import { loadSchemaPreset } from '../../src/criteo/schemaPresets';
import { UserError } from '../../src/util/errors';
import { tempDir } from '../helpers/sharedData';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from './fixtures';

const dir = tempDir('schema-errors');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function refused(change: (s: Record<string, unknown>) => void, message: RegExp): void {
  const s = JSON.parse(JSON.stringify(LOG_SCHEMA)) as Record<string, unknown>;
  change(s);
  assert.throws(
    () => validateSchema(s, 'schema.json'),
    (err: unknown) => err instanceof UserError && message.test(err.message) && err.message.startsWith('schema.json: '),
  );
}

test('bad schemas are refused naming the column or key', () => {
  assert.equal(validateSchema(LOG_SCHEMA, 'ok').categorical[2].multiHotSeparator, '|');
  refused(
    (s) => ((s.categorical as { name: string }[])[0].name = 'nation'),
    /categorical column nation is not in columns/,
  );
  refused((s) => delete s.label, /label is missing/);
  refused((s) => ((s.label as { name: string }).name = 'clicked'), /label column clicked is not in columns/);
  refused(
    (s) => ((s.categorical as { encoding: string }[])[1].encoding = 'base64'),
    /categorical column user: unknown encoding "base64"/,
  );
  refused(
    (s) => ((s.dense as { transform: string }[])[0].transform = 'log'),
    /dense column price: unknown transform "log"/,
  );
  refused((s) => (s.columns as string[]).push('price'), /column price appears twice in columns/);
  refused((s) => (s.dense as { name: string }[]).push({ name: 'user' }), /column user is declared twice/);
  refused(
    (s) => ((s.categorical as { multiHotSeparator?: string }[])[2].multiHotSeparator = ','),
    /categorical column tags: multiHotSeparator/,
  );
  refused((s) => (s.split = { by: 'week' }), /split: unknown "by": "week"/);
  refused((s) => (s.split = { by: 'date', column: 'when', test: 'x' }), /split: column "when" is not in columns/);
  refused(
    (s) => (s.split = { by: 'date', column: 'day', test: '2024-01-06', val: '2024-01-01' }),
    /split: val must be a date after test/,
  );
  refused((s) => (s.split = { by: 'random', test: 0.6, val: 0.5 }), /test \+ val must be below 1/);
  refused((s) => (s.split = { by: 'blocks', blocks: 1 }), /blocks must be an integer from 2 to 1000/);
  refused((s) => (s.split = undefined), /column day is in columns but is neither/);
  refused((s) => (s.delimiter = '::'), /delimiter must be one ASCII character/);
  refused((s) => (s.colums = []), /unknown key 'colums'/);
});

test('the Criteo presets are schemas of the same format', () => {
  for (const preset of ['kaggle', 'terabyte'] as const) {
    const s = validateSchema(loadSchemaPreset(preset), preset);
    assert.equal(s.dense.length, 13);
    assert.equal(s.categorical.length, 26);
    assert.ok(s.categorical.every((c) => c.encoding === 'hex'));
  }
});

test('data that does not match the schema names file, line and field', () => {
  const schema = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
  const rows = logRows(60, 3);
  const cases: [string, (csv: string[]) => void, RegExp][] = [
    ['label', (l) => (l[5] = l[5].replace(/^[01],/, '2,')), /bad-label\.csv:6: field 1 \(click\): '2' is not 0 or 1/],
    [
      'price',
      (l) => (l[9] = l[9].replace(/^([01],[^,]*,)[^,]*,/, '$1cheap,')),
      /bad-price\.csv:10: field 3 \(price\): 'cheap' is not a number/,
    ],
    ['fields', (l) => (l[12] += ',extra'), /bad-fields\.csv:13: the line has 7 fields, expected 6/],
    [
      'header',
      (l) => (l[0] = l[0].replace('user', 'uid')),
      /bad-header\.csv:1: the header does not match the schema's columns: column 5 is 'uid', the schema says 'user'/,
    ],
    [
      'quote',
      (l) => (l[3] = '1,2024-01-01,5.00,"fr,user-1,news'),
      /bad-quote\.csv:4: field 4 \(country\): has an opening quote without a closing one/,
    ],
  ];
  for (const [name, spoil, message] of cases) {
    const lines = logCsv(rows).trimEnd().split('\n');
    spoil(lines);
    const file = path.join(dir, `bad-${name}.csv`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const r = dlrm('preprocess', '--schema', schema, '--raw-data-file', file);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.ok(
      !fs.existsSync(file.replace(/\.csv$/, '.dlrm')) && !fs.readdirSync(dir).some((f) => f.startsWith(`.bad-${name}`)),
      'nothing left behind',
    );
  }
});

test('--schema refuses the Criteo-only flag --data-set', () => {
  const schema = writeJson(path.join(dir, 'flags.json'), LOG_SCHEMA);
  const raw = path.join(dir, 'flags.csv');
  fs.writeFileSync(raw, logCsv(logRows(30, 1)));
  for (const [flag, message] of [[['--data-set', 'kaggle'], /--schema and --data-set exclude each other/]] as const) {
    const r = dlrm('preprocess', '--schema', schema, '--raw-data-file', raw, ...flag);
    assert.equal(r.status, 2);
    assert.match(r.stderr, message);
  }
});
