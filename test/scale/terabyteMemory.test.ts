// The Terabyte route on one machine, at test scale: a 3-day generated Terabyte-shaped set preprocessed
// with --no-merged-file --max-ind-range 10000000 and trained from the parts folder with a small
// embedding dimension, each in its own `dlrm` process whose peak RSS is printed. The peaks must stay
// within the docs/SCALE.md formulas: preprocess <= base + 32 bytes per vocabulary value (hash-table
// slots while growing), train <= base + the tables (weights + optimizer state) + --shuffle-memory-mb.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPartsManifest } from '../../src/dataset/partsSource';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('tb-memory');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROWS_PER_DAY = 50_000;
const D = 4;
const SHUFFLE_MB = 16;
/** What a dlrm process takes before its data: Node, the native addon, worker threads, buffers (measured ~150-250 MB). */
const BASE_MB = 400;

/** Runs `dlrm args...` in a child process; returns its stdout and peak RSS in MB (the process's maxRSS, threads included). */
function dlrm(args: string[]): { stdout: string; peakMB: number } {
  const main = path.join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const script = `process.on('exit', () => require('fs').writeSync(2, 'PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n')); require(${JSON.stringify(main)}).runCli(['node', 'dlrm', ...process.argv.slice(1)]);`;
  const r = spawnSync(process.execPath, ['-e', script, ...args, '--log-level', 'warn'], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, `dlrm ${args.join(' ')} failed: ${r.stderr}`);
  const m = /PEAK_RSS_KB=(\d+)/.exec(r.stderr);
  assert.ok(m, `no peak RSS in ${r.stderr}`);
  return { stdout: r.stdout, peakMB: Number(m[1]) / 1024 };
}

const parts = path.join(dir, 'day.dlrm.parts');
let preprocessMB = 0;

before(() => {
  dlrm([
    'generate',
    '--data-set',
    'terabyte',
    '--days',
    '3',
    '--rows-per-day',
    String(ROWS_PER_DAY),
    '--out',
    path.join(dir, 'day'),
    '--workers',
    '2',
  ]);
  preprocessMB = dlrm([
    'preprocess',
    '--data-set',
    'terabyte',
    '--raw-data-file',
    path.join(dir, 'day'),
    '--no-merged-file',
    '--max-ind-range',
    '10000000',
  ]).peakMB;
});

test('3 Terabyte-shaped days, --max-ind-range 10000000: preprocess and train peak RSS within the SCALE.md formulas', () => {
  const m = readPartsManifest(parts);
  const values = m.tables.reduce((s, t) => s + t.count, 0);
  assert.ok(m.tables.every((t) => t.count <= 10_000_000));
  assert.ok(!fs.existsSync(path.join(dir, 'day.dlrm')), 'no merged file');
  const partsMB =
    fs.readdirSync(parts).reduce((s, f) => s + (f.endsWith('.dlrm') ? fs.statSync(path.join(parts, f)).size : 0), 0) /
    2 ** 20;
  const preprocessBound = BASE_MB + (32 * values) / 2 ** 20;
  const train = dlrm([
    'train',
    '--processed-data-file',
    parts,
    '--arch-sparse-feature-size',
    String(D),
    '--arch-mlp-bot',
    `13-16-${D}`,
    '--arch-mlp-top',
    '16-1',
    '--optimizer',
    'adagrad',
    '--learning-rate',
    '0.05',
    '--loss-function',
    'bce',
    '--mini-batch-size',
    '512',
    '--shuffle-memory-mb',
    String(SHUFFLE_MB),
  ]);
  assert.match(train.stdout, /^final \d+ rows: auc /m);
  // weights + adagrad's accumulator per table value
  const tablesMB = (values * D * 4 * 2) / 2 ** 20;
  const trainBound = BASE_MB + tablesMB + SHUFFLE_MB;
  console.log(
    `terabyte-shaped 3 x ${ROWS_PER_DAY} rows, ${values} table rows, shards ${partsMB.toFixed(1)} MB: ` +
      `preprocess peak RSS ${preprocessMB.toFixed(0)} MB (bound ${preprocessBound.toFixed(0)}), ` +
      `train (d=${D}, --shuffle-memory-mb ${SHUFFLE_MB}) peak RSS ${train.peakMB.toFixed(0)} MB (bound ${trainBound.toFixed(0)})`,
  );
  assert.ok(preprocessMB <= preprocessBound, `preprocess peak ${preprocessMB} MB > ${preprocessBound}`);
  assert.ok(train.peakMB <= trainBound, `train peak ${train.peakMB} MB > ${trainBound}`);
});
