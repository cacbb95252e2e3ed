// inspect --stats on the hand-written custom log: every figure recomputed independently from the fixture
// rows (label rate per split, table rows, top-1% share, missing rates incl. empty multi-hot bags, dense
// min/max/mean from the file's rows, memory at d) and the --min-frequency suggestion checked by brute force.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeStats } from '../../src/dataset/stats';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { Manifest } from '../../src/dataset/manifest';
import { tempDir } from '../helpers/sharedData';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from './fixtures';

const dir = tempDir('schema-stats');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('inspect --stats figures match an independent computation', async () => {
  const rows = logRows(700, 21);
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(rows));
  const schema = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
  assert.equal(dlrm('preprocess', '--schema', schema, '--raw-data-file', raw).status, 0);
  const file = path.join(dir, 'logs.dlrm');
  const reader = ProcessedFileReader.open(file);
  const all = reader.read(0, reader.rows);
  const manifest = reader.metadata as Manifest;
  const d = 32;
  const s = await computeStats(reader, d, 12_288); // a budget of 24 rows at d = 32
  reader.close();

  for (const [name, r] of Object.entries(manifest.splits)) {
    let pos = 0;
    for (let i = r.start; i < r.end; i++) pos += all.labels[i];
    assert.deepEqual(s.labelRate[name], { rows: r.end - r.start, positives: pos, rate: pos / (r.end - r.start) });
  }
  const counts = (key: (x: (typeof rows)[number]) => string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of rows) for (const k of key(x)) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const perTable = [counts((x) => [x.country]), counts((x) => [x.user]), counts((x) => x.tags)];
  perTable.forEach((m, t) => {
    const sorted = [...m.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, Math.ceil(m.size / 100)).reduce((a, b) => a + b, 0);
    const total = sorted.reduce((a, b) => a + b, 0);
    assert.equal(s.tables[t].rows, m.size);
    assert.equal(s.tables[t].lookups, total);
    assert.ok(Math.abs(s.tables[t].top1PercentShare - top / total) < 1e-12);
  });
  assert.equal(s.tables[0].missingRate, 0);
  assert.equal(s.tables[2].missingRate, rows.filter((x) => x.tags.length === 0).length / rows.length);
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const v of all.dense) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  assert.deepEqual([s.dense[0].min, s.dense[0].max], [min, max]);
  assert.ok(Math.abs(s.dense[0].mean - sum / rows.length) < 1e-9);
  const tableRows = perTable.reduce((a, m) => a + m.size, 0);
  assert.equal(s.memory.paramBytes, tableRows * d * 4);
  assert.equal(s.memory.optimizerBytes['rowwise-adagrad'], tableRows * 4);
  // the budget is below the tables: the smallest K whose tables fit is suggested
  assert.equal(s.memory.fits, false);
  const fitsAt = (K: number): boolean =>
    2 * perTable.reduce((a, m) => a + [...m.values()].filter((c) => c >= K).length + 1, 0) * d * 4 <=
    s.memory.budgetBytes;
  const expected = [2, 3, 5, 10, 20, 50, 100, 200, 500, 1000].find(fitsAt);
  assert.ok(expected !== undefined && expected > 2, `a K that fits exists: ${expected}`);
  assert.equal(s.memory.suggestMinFrequency, expected);

  const cli = dlrm(
    'inspect',
    '--processed-data-file',
    file,
    '--stats',
    '--embedding-dim',
    '32',
    '--memory-gb',
    String(12_288 / 2 ** 30),
  );
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /do NOT fit/);
  assert.match(cli.stdout, new RegExp(`--min-frequency ${expected}`));
  assert.match(cli.stdout, new RegExp(`tags\\s+6\\s+`));
});
