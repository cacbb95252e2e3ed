// `dlrm schema --rows N` and `dlrm preprocess --schema --workers 1` through the CLI: --rows samples exactly
// N data rows with and without a header line; --workers 1 (one parse thread) is accepted.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/sharedData';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from './fixtures';

const dir = tempDir('schema-flags');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('schema --rows N samples N data rows, with a header line and without', () => {
  const csv = logCsv(logRows(50, 3));
  const withHeader = path.join(dir, 'head.csv');
  const without = path.join(dir, 'nohead.csv');
  fs.writeFileSync(withHeader, csv);
  fs.writeFileSync(without, csv.slice(csv.indexOf('\n') + 1));
  for (const [file, header] of [
    [withHeader, 'yes'],
    [without, 'no'],
  ] as const) {
    for (const n of [1, 10, 49]) {
      const r = dlrm('schema', '--infer', file, '--rows', String(n));
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^${n} rows sampled from .*; delimiter ",", header ${header}\\n`),
        `${path.basename(file)} --rows ${n}`,
      );
    }
  }
});

test('preprocess --schema --workers 1 is accepted', () => {
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(logRows(200, 4)));
  const schema = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
  const r = dlrm('preprocess', '--schema', schema, '--raw-data-file', raw, '--workers', '1');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'logs.dlrm')));
});
