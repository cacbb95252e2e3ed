// End to end on the real Criteo sample (../shared/data/criteo/kaggle-sample.txt, ~21.6k rows; skipped
// with the reason when absent): `dlrm preprocess`, then `dlrm train` with the reference's Kaggle settings
// (configs/kaggle.json: B=128, SGD lr 0.1, bce, 13-512-256-64-16 / 512-256-1) for two epochs over the
// ~18.5k training rows must learn (test AUC above 0.65); --max-ind-range folds the tables of a dataset.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, sharedCriteoFile, tempDir } from '../helpers/sharedData';

const dir = tempDir('train-kaggle');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const bin = path.join(repoRoot(), 'bin', 'dlrm.js');

function dlrm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args, '--log-level', 'warn'], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('real Kaggle sample: preprocess + train with the reference Kaggle settings learns (test AUC > 0.65)', async (t) => {
  const sample = sharedCriteoFile('kaggle-sample.txt');
  if ('skip' in sample) return t.skip(sample.skip);
  if (dlrm('preprocess', '--help').status !== 0) return t.skip('the `dlrm preprocess` command is not registered yet');
  const processed = path.join(dir, 'kaggle.dlrm');
  const pre = dlrm('preprocess', '--raw-data-file', sample.path, '--processed-data-file', processed);
  assert.equal(pre.status, 0, pre.stderr);

  const metrics = path.join(dir, 'kaggle.jsonl');
  const r = dlrm(
    'train',
    '--config',
    path.join(repoRoot(), 'configs', 'kaggle.json'),
    '--processed-data-file',
    processed,
    '--nepochs',
    '2',
    '--print-freq',
    '64',
    '--metrics-file',
    metrics,
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(metrics);
  const evals = lines.filter((l) => l.type === 'eval');
  assert.equal(evals.length, 2); // one per epoch
  const last = evals[1];
  t.diagnostic(
    `engine ${String(lines[0].engine)}: test AUC after epoch 1 ${String(evals[0].auc)}, after epoch 2 ${String(last.auc)}, logloss ${String(last.logloss)}`,
  );
  assert.equal(last.split, 'test');
  assert.ok((last.rows as number) > 1000);
  assert.ok((last.auc as number) > 0.65, `test AUC ${String(last.auc)}`);
  assert.ok((last.ne as number) < 1, `NE ${String(last.ne)} (1 = no better than the click rate)`);
  const arch = lines[0].arch as { tableSizes: number[]; mlpTop: number[] };
  assert.deepEqual(arch.mlpTop, [367, 512, 256, 1]);

  // --max-ind-range folds the dataset's tables (indices modulo M)
  const foldedMetrics = path.join(dir, 'folded.jsonl');
  const f = dlrm(
    'train',
    '--config',
    path.join(repoRoot(), 'configs', 'kaggle.json'),
    '--processed-data-file',
    processed,
    '--max-ind-range',
    '1000',
    '--num-batches',
    '8',
    '--metrics-file',
    foldedMetrics,
  );
  assert.equal(f.status, 0, f.stderr);
  const folded = (jsonLines(foldedMetrics)[0].arch as { tableSizes: number[] }).tableSizes;
  assert.deepEqual(
    folded,
    arch.tableSizes.map((n) => Math.min(n, 1000)),
  );
  assert.ok(arch.tableSizes.some((n) => n > 1000));
});
