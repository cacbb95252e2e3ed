// Tests of `dlrm train` as a command (spawned `node bin/dlrm.js train ...` on the compiled build): flag
// refusals with their messages and exit codes, config + flag merging seen in the metrics JSONL, the
// JSONL format, --save-best end to end, a NaN stop that leaves the previous checkpoint intact, and a graceful stop on SIGINT.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('train-cli');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const bin = path.join(repoRoot(), 'bin', 'dlrm.js');
const smoke = path.join(repoRoot(), 'configs', 'smoke.json');

function dlrmTrain(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'train', '--log-level', 'warn', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('--raw-data-file is refused (never silently random data) and says to preprocess first', () => {
  const r = dlrmTrain('--raw-data-file', 'train.txt');
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^dlrm: --raw-data-file: .*run `dlrm preprocess` on the raw file first, then pass --processed-data-file\n$/,
  );
});

test('a processed file with random generation, or dataset generation without a file, is refused', () => {
  const a = dlrmTrain('--processed-data-file', 'k.dlrm', '--data-generation', 'random');
  assert.equal(a.status, 2);
  assert.match(
    a.stderr,
    /--processed-data-file is given but --data-generation is random: use --data-generation dataset/,
  );
  const b = dlrmTrain('--data-generation', 'dataset');
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--data-generation dataset needs --processed-data-file/);
  const c = dlrmTrain('--processed-data-file', path.join(dir, 'absent.dlrm'));
  assert.equal(c.status, 2);
  assert.match(c.stderr, /absent\.dlrm/);
});

test('bad flag values are refused naming the flag; booleans take no value', () => {
  const a = dlrmTrain('--arch-interaction-itself=False');
  assert.equal(a.status, 2);
  assert.match(
    a.stderr,
    /^dlrm: --arch-interaction-itself is a switch and takes no value \(use --arch-interaction-itself or --no-arch-interaction-itself\)\n$/,
  );
  const b = dlrmTrain('--mini-batch-size', '0');
  assert.equal(b.status, 2);
  assert.match(b.stderr, /^dlrm: option '--mini-batch-size <n>' argument '0' is invalid/);
  const c = dlrmTrain('--arch-mlp-bot', '13-x-16');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /^dlrm: .*--arch-mlp-bot.*13-x-16/);
  const unknown = dlrmTrain('--no-such-flag');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^dlrm: unknown option '--no-such-flag'\n/);
  const d = dlrmTrain(
    '--data-generation',
    'synthetic',
    '--arch-mlp-bot',
    '13-64-8',
    '--arch-sparse-feature-size',
    '16',
  );
  assert.equal(d.status, 2);
  assert.match(d.stderr, /--arch-mlp-bot: the last width 8 .* must equal --arch-sparse-feature-size 16/);
  const e = dlrmTrain('--data-generation', 'synthetic', '--arch-embedding-size', '10-10');
  assert.equal(e.status, 2);
  assert.match(e.stderr, /2 embedding tables but the kaggle data has 26 categorical columns/);
});

test('config file + overriding flags reach the run, and the metrics JSONL has the documented lines', () => {
  const metrics = path.join(dir, 'm.jsonl');
  const r = dlrmTrain(
    '--config',
    smoke,
    '--mini-batch-size',
    '64',
    '--num-batches',
    '3',
    '--print-freq',
    '1',
    '--metrics-file',
    metrics,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^final 4096 rows: auc 0\.\d{4} logloss \d\.\d{4} accuracy 0\.\d{4} ne \d\.\d{4} \(step 3, /);
  const lines = jsonLines(metrics);
  assert.deepEqual(
    lines.map((l) => l.type),
    ['run', 'train', 'train', 'train', 'eval'],
  );
  const [run, , , train3, ev] = lines;
  assert.equal(typeof run.runId, 'string');
  assert.ok(!Number.isNaN(Date.parse(run.startedAt as string)));
  assert.equal(typeof run.engine, 'string');
  const config = run.config as Record<string, unknown>;
  assert.equal(config.miniBatchSize, 64); // flag over file
  assert.equal(config.optimizer, 'adagrad'); // file over default
  assert.equal(config.nepochs, 1); // default
  for (const k of ['step', 'epoch', 'loss', 'lr', 'samplesPerSec']) assert.equal(typeof train3[k], 'number', k);
  assert.deepEqual([train3.step, train3.epoch, train3.lr], [3, 0, 0.05]);
  assert.equal(ev.split, 'heldout');
  assert.equal(ev.rows, 4096);
  assert.equal(ev.step, 3);
  for (const k of ['auc', 'logloss', 'accuracy', 'ne', 'calibration', 'averagePrecision', 'positiveRate'])
    assert.equal(typeof ev[k], 'number', k);
  assert.ok(!Number.isNaN(Date.parse(ev.time as string)));
});

test('--save-best: the eval lines say which evaluation was kept, stdout names the best, the file holds that step', () => {
  const metrics = path.join(dir, 'best.jsonl');
  const best = path.join(dir, 'best.ckpt');
  const r = dlrmTrain(
    '--config',
    smoke,
    '--num-batches',
    '12',
    '--test-freq',
    '4',
    '--save-best',
    best,
    '--metrics-file',
    metrics,
  );
  assert.equal(r.status, 0, r.stderr);
  const evals = jsonLines(metrics).filter((l) => l.type === 'eval');
  assert.deepEqual(
    evals.map((e) => e.step),
    [4, 8, 12],
  );
  assert.equal(evals[0].best, true);
  const kept = evals.filter((e) => e.best === true).pop() as { step: number; auc: number };
  assert.equal(Math.max(...evals.map((e) => e.auc as number)), kept.auc);
  const m = /\nbest auc (0\.\d{4}) at step (\d+): (.*best\.ckpt)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.deepEqual([m[1], Number(m[2]), m[3]], [kept.auc.toFixed(4), kept.step, best]);
  const header = readCheckpointHeader(best);
  assert.equal(header.progress.globalStep, kept.step);
  assert.deepEqual(header.best, { file: best, split: 'heldout', step: kept.step, auc: kept.auc });
});

test('a NaN loss (huge learning rate) stops with exit 3 naming the step; the previous checkpoint stays intact', () => {
  const ckpt = path.join(dir, 'nan.ckpt');
  const metrics = path.join(dir, 'nan.jsonl');
  const ok = dlrmTrain('--config', smoke, '--num-batches', '4', '--save-model', ckpt);
  assert.equal(ok.status, 0, ok.stderr);
  const before = fs.readFileSync(ckpt);
  const r = dlrmTrain(
    '--config',
    smoke,
    '--load-model',
    ckpt,
    '--save-model',
    ckpt,
    '--nepochs',
    '2',
    '--learning-rate',
    '1e30',
    '--metrics-file',
    metrics,
  );
  assert.equal(r.status, 3, r.stderr);
  assert.match(
    r.stderr,
    /^dlrm: training diverged: .* at step \d+ \(epoch 1, batch \d+\); likely causes: .*learning rate 1e\+30 is too high/,
  );
  assert.match(r.stderr, /Stopped; the last good checkpoint .*nan\.ckpt \(step 4\) was left as it was\.\n$/);
  assert.deepEqual(fs.readFileSync(ckpt), before);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
  // the resumed run appended its own run line; no eval line with NaN metrics was written
  const lines = jsonLines(metrics);
  assert.equal(lines[0].type, 'run');
  assert.ok(lines.every((l) => l.type !== 'eval' || (typeof l.auc === 'number' && typeof l.logloss === 'number')));
});

test('SIGINT stops after the current step, saves a checkpoint at that step and exits 130', async () => {
  const ckpt = path.join(dir, 'sigint.ckpt');
  const metrics = path.join(dir, 'sigint.jsonl');
  const child = spawn(
    process.execPath,
    [
      bin,
      'train',
      '--log-level',
      'warn',
      '--config',
      smoke,
      '--data-size',
      '10000000',
      '--print-freq',
      '1',
      '--save-model',
      ckpt,
      '--metrics-file',
      metrics,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((done = true), resolve(code))));
  // wait for the first training step to be logged (or an early exit), then interrupt
  while (!done && !(fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('"type":"train"')))
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(!done, 'training ended before it could be interrupted');
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  const m = /^stopped at step (\d+) after [\d.]+ s; resume with --load-model .*sigint\.ckpt\n$/.exec(stdout);
  assert.ok(m, stdout);
  const progress = readCheckpointHeader(ckpt).progress;
  assert.equal(progress.globalStep, Number(m[1]));
  assert.deepEqual(
    [progress.epoch, progress.batchInEpoch, progress.rowInEpoch],
    [0, progress.globalStep, progress.globalStep * 128],
  );
});

test("the README's first command, `dlrm train --data-generation synthetic` with no other flag, learns (AUC > 0.65)", () => {
  const r = spawnSync(process.execPath, [bin, 'train', '--data-generation', 'synthetic'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /^final 32768 rows: auc (0\.\d+) /.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) > 0.65, r.stdout);
});
