// Tests of `dlrm generate --data-set terabyte --days N --rows-per-day R`: the day files are disjoint,
// deterministic stretches of one seeded stream (day d = the rows of a single long file from block
// d * ceil(R / BLOCK_ROWS) on), the Terabyte profile's click rate and large tables show in the rows, and
// the flag combinations that make no sense are UserErrors.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLOCK_ROWS } from '../../src/criteo/generator';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { generateTextFile } from '../../src/criteo/generatorText';
import { main } from '../../src/cli/main';
import { tempDir } from '../helpers/sharedData';

const dir = tempDir('tbgen');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const R = 5000;
const DAYS = 3;
const blocksPerDay = Math.ceil(R / BLOCK_ROWS);
let days: string[][] = [];
let single: string[] = [];

before(async () => {
  await main([
    'node',
    'dlrm',
    'generate',
    '--data-set',
    'terabyte',
    '--days',
    String(DAYS),
    '--rows-per-day',
    String(R),
    '--out',
    path.join(dir, 'day'),
    '--seed',
    '3',
    '--workers',
    '2',
    '--log-level',
    'warn',
  ]);
  assert.equal(process.exitCode ?? 0, 0);
  days = Array.from({ length: DAYS }, (_, d) =>
    fs
      .readFileSync(path.join(dir, `day_${d}`), 'utf8')
      .split('\n')
      .slice(0, -1),
  );
  const one = path.join(dir, 'single.txt');
  await generateTextFile({
    profile: loadProfile('terabyte'),
    rows: DAYS * blocksPerDay * BLOCK_ROWS,
    out: one,
    seed: 3,
    withLabel: true,
  });
  single = fs.readFileSync(one, 'utf8').split('\n').slice(0, -1);
});

test('day d holds R lines: the rows of one long stream from block d * ceil(R / 4096) on (disjoint, deterministic)', () => {
  assert.deepEqual(fs.readdirSync(dir).sort(), ['day_0', 'day_1', 'day_2', 'single.txt']);
  for (let d = 0; d < DAYS; d++) {
    assert.equal(days[d].length, R);
    const start = d * blocksPerDay * BLOCK_ROWS;
    assert.deepEqual(days[d], single.slice(start, start + R), `day_${d}`);
  }
  assert.notDeepEqual(days[0].slice(0, 100), days[1].slice(0, 100));
});

test('the Terabyte profile shows: click rate near 0.034, and C20 (292M values) far beyond Kaggle C20 (4 values)', () => {
  const rows = days.flat().map((l) => l.split('\t'));
  assert.ok(rows.every((f) => f.length === 40));
  const clicks = rows.reduce((s, f) => s + Number(f[0]), 0) / rows.length;
  assert.ok(clicks > 0.024 && clicks < 0.044, `click rate ${clicks}`);
  const c20 = new Set(rows.map((f) => f[14 + 19]).filter((v) => v !== ''));
  assert.ok(c20.size > 1000, `C20 distinct values ${c20.size}`);
  const c6 = new Set(rows.map((f) => f[14 + 5]).filter((v) => v !== ''));
  assert.ok(c6.size <= 3, `C6 distinct values ${c6.size} (Terabyte count 3)`);
});

test('--days without --rows-per-day, or with --rows, is a UserError (exit 2) and writes nothing', async () => {
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string) => errors.push(String(chunk)) > 0;
  try {
    for (const args of [
      ['--days', '2'],
      ['--days', '2', '--rows-per-day', '10', '--rows', '5'],
    ]) {
      process.exitCode = 0;
      await main([
        'node',
        'dlrm',
        'generate',
        '--data-set',
        'terabyte',
        ...args,
        '--out',
        path.join(dir, 'bad'),
        '--log-level',
        'warn',
      ]);
      assert.equal(process.exitCode, 2);
    }
  } finally {
    process.stderr.write = write;
    process.exitCode = 0;
  }
  assert.match(errors[0], /^dlrm: --days and --rows-per-day go together/);
  assert.match(errors[1], /^dlrm: --rows and --days exclude each other/);
  assert.ok(!fs.readdirSync(dir).some((f) => f.startsWith('bad')));
});
