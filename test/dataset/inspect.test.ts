// Runs the built CLI (`node bin/dlrm.js inspect ...`, after `npx tsc`) on small processed files.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/util/random';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { randomRows, writeRows, type Row } from './fixtures';

const dir = tempDir('inspect');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const D = 3;
const T = 2;
const rows = randomRows(new Rng(4), 300, D, T, 2);
const splits = { train: { start: 0, end: 200 }, test: { start: 200, end: 250 }, val: { start: 250, end: 300 } };
const manifest = {
  formatVersion: 1,
  createdBy: 'dlrm test',
  sources: [{ path: '/data/train.txt', bytes: 12345, sha256: 'ab'.repeat(32) }],
  options: { dataSet: 'kaggle', maxIndRange: 0, dataRandomize: 'total', seed: 123 },
  numDense: D,
  tables: [
    { name: 'C1', count: 1000, oovIndex: 0, vocabFile: 'C1.vocab' },
    { name: 'C2', count: 1077, oovIndex: 0, vocabFile: 'C2.vocab' },
  ],
  splits,
  totalRows: 300,
};
const merged = path.join(dir, 'merged.bin');
writeRows(merged, rows, D, T, 64, manifest);
const shard = path.join(dir, 'day_3.bin');
writeRows(shard, rows.slice(0, 40), D, T, 16, { day: 'day_3', rows: 40 });

function dlrm(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), 'inspect', ...args], {
    encoding: 'utf8',
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

interface Sample {
  row: number;
  label: number;
  dense: number[];
  sparse: number[][];
}

function samples(stdout: string): Sample[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Sample);
}

function assertSamples(got: Sample[], expected: Row[], firstRow: number): void {
  assert.equal(got.length, expected.length);
  got.forEach((s, i) => {
    assert.equal(s.row, firstRow + i);
    assert.equal(s.label, expected[i].label);
    assert.deepEqual(s.dense.map(Math.fround), expected[i].dense, 'dense values read back as the same float32');
    assert.deepEqual(s.sparse, expected[i].bags);
  });
}

test('summary: readable and JSON, with rows, splits, table counts, source and options', () => {
  const text = dlrm('--processed-data-file', merged);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^rows +300$/m);
  assert.match(text.stdout, /^split test +rows \[200, 250\): 50$/m);
  assert.match(text.stdout, /^ {2}sources +\/data\/train\.txt \(12,345 bytes/m);
  assert.match(text.stdout, /^ {2}options +dataSet=kaggle maxIndRange=0 dataRandomize=total seed=123$/m);
  assert.match(text.stdout, /^ +1 +C2 +1,077 +0$/m);
  const json = JSON.parse(dlrm('--processed-data-file', merged, '--json').stdout) as Record<string, unknown>;
  assert.equal(json.rows, 300);
  assert.equal(json.numDense, D);
  assert.equal(json.rowGroups, 5);
  assert.deepEqual(json.splits, {
    train: { start: 0, end: 200, rows: 200 },
    test: { start: 200, end: 250, rows: 50 },
    val: { start: 250, end: 300, rows: 50 },
  });
  assert.deepEqual(json.metadata, manifest);
});

test('rows: decoded samples as JSON lines, across row groups, within a split, open-ended ranges', () => {
  const all = dlrm('--processed-data-file', merged, '--rows', '60:70');
  assert.equal(all.status, 0, all.stderr);
  assertSamples(samples(all.stdout), rows.slice(60, 70), 60);
  const inTest = dlrm('--processed-data-file', merged, '--split', 'test', '--rows', '45:');
  assertSamples(samples(inTest.stdout), rows.slice(245, 250), 245);
  const head = dlrm('--processed-data-file', merged, '--split', 'val', '--rows', ':2');
  assertSamples(samples(head.stdout), rows.slice(250, 252), 250);
  const one = dlrm('--processed-data-file', merged, '--rows', '299');
  assertSamples(samples(one.stdout), rows.slice(299, 300), 299);
});

test('day shards: summary and rows work without splits', () => {
  const s = dlrm('--processed-data-file', shard);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /^file kind +processed shard \(no splits\)$/m);
  assert.match(s.stdout, /^ {2}day +day_3$/m);
  assertSamples(samples(dlrm('--processed-data-file', shard, '--rows', '10:30').stdout), rows.slice(10, 30), 10);
});

test('errors: bad ranges, a split on a shard, a missing or wrong file give one-line messages and exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [
      ['--processed-data-file', merged, '--rows', '5:3'],
      /^dlrm: --rows 5:3: the range is empty \(start 5 must be below end 3\)\n$/,
    ],
    [
      ['--processed-data-file', merged, '--rows', '0:301'],
      /--rows 0:301: .*merged\.bin has 300 rows \(valid rows are 0\.\.299\)/,
    ],
    [
      ['--processed-data-file', merged, '--split', 'test', '--rows', '40:51'],
      /--rows 40:51: split 'test' of .*merged\.bin has 50 rows/,
    ],
    [['--processed-data-file', merged, '--rows', 'abc'], /'abc' is not a row range/],
    [['--processed-data-file', merged, '--split', 'dev'], /'dev' is not one of train, val, test/],
    [['--processed-data-file', shard, '--split', 'val', '--rows', '0:1'], /day_3\.bin: has no train\/val\/test splits/],
    [['--processed-data-file', path.join(dir, 'absent.bin')], /absent\.bin: cannot open processed file \(ENOENT\)/],
    [
      ['--processed-data-file', path.join(repoRoot(), 'package.json')],
      /package\.json: not a valid dlrm processed file/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = dlrm(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  }
});
