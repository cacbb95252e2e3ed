// Concurrent runs on one output (issue 10 item 3) and the preprocess worker ENOENT race. The matrix's
// one-run cases (concurrent.cases.ts: a lock held by a live idle process) run first. Here run 1 is started
// as a child, run 2 is made while run 1 holds its lock; run 2 must be refused with "another dlrm (pid N)
// is writing F" (exit 2, one line, nothing touched) and run 1 must succeed with the same bytes as a run
// alone. Each child is bounded in time (killed after 120 s).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateTextFile } from '../../src/criteo/generatorText';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { runDlrm, type FaultResult } from './faultCase';
import { safetyData, SMALL_MODEL } from './safetyFixtures';
import { registerFaultCases } from './registerCases';
import { concurrentCases } from './concurrent.cases';

registerFaultCases(concurrentCases);

const dir = tempDir('concurrent');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const ENV = { SOURCE_DATE_EPOCH: '1700000000' };

/** Starts `dlrm ARGS` as a child; `done` resolves with its result (killed after 120 s). */
function start(args: string[]): { child: ChildProcess; done: Promise<FaultResult> } {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args], {
    env: { ...process.env, ...ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<FaultResult>((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
  return { child, done };
}

/** Waits until `file` exists (polling; fails after 60 s or when `done` settles first). */
async function waitFor(file: string, done: Promise<FaultResult>): Promise<void> {
  let ended = false;
  void done.then(() => (ended = true));
  for (let waited = 0; !fs.existsSync(file); waited += 10) {
    if (ended || waited > 60_000) throw new Error(`${file} did not appear while run 1 ran`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const dlrmLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('dlrm: '));

/** A raw file long enough that a preprocess run lasts a few seconds here. */
let bigRaw: Promise<string> | undefined;
function bigInput(): Promise<string> {
  bigRaw ??= (async () => {
    const raw = path.join(dir, 'big.txt');
    await generateTextFile({
      profile: loadProfile('kaggle'),
      rows: 400_000,
      out: raw,
      seed: 5,
      withLabel: true,
      workers: 2,
    });
    return raw;
  })();
  return bigRaw;
}

test('preprocess: a second run and a --resume while the first runs are refused; the first succeeds with the bytes of a run alone', async () => {
  const raw = await bigInput();
  const out = path.join(dir, 'pre.dlrm');
  const args = ['preprocess', '--raw-data-file', raw, '--processed-data-file', out, '--log-level', 'warn'];
  const run1 = start(args);
  await waitFor(path.join(dir, '.pre.dlrm.lock'), run1.done);
  const rawHash = sha(raw);
  // the three are started together, so they all run while run 1 does (it lasts seconds, they under one)
  const [second, resume, generate] = await Promise.all([
    start(args).done,
    start([...args, '--resume']).done,
    start(['generate', '--rows', '10', '--out', raw, '--log-level', 'warn']).done,
  ]);
  const first = await run1.done;
  assert.equal(first.status, 0, `run 1 failed:\n${first.stderr}`);
  for (const [what, r] of [
    ['second run', second],
    ['--resume', resume],
  ] as const) {
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.deepEqual(
      dlrmLines(r.stderr),
      [
        `dlrm: another dlrm (pid ${run1.child.pid}) is writing ${out}; wait for it to end (its lock is ${path.join(dir, '.pre.dlrm.lock')})`,
      ],
      what,
    );
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  }
  assert.equal(generate.status, 2, generate.stderr);
  assert.match(
    dlrmLines(generate.stderr).join('\n'),
    new RegExp(`--out .*big\\.txt: another dlrm \\(pid ${run1.child.pid}\\) is reading it`),
  );
  assert.equal(sha(raw), rawHash, 'the raw input changed');
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => /\.lock$|\.reading-\d+$/.test(n)),
    [],
    'run 1 left its lock or reading marker',
  );

  // the same run alone gives the same bytes
  const merged = sha(out);
  const manifest = fs.readFileSync(path.join(`${out}.parts`, 'manifest.json'));
  fs.rmSync(out);
  fs.rmSync(`${out}.parts`, { recursive: true });
  const alone = runDlrm(args, { env: ENV });
  assert.equal(alone.status, 0, alone.stderr);
  assert.equal(sha(out), merged, 'the merged file differs from a run alone');
  assert.deepEqual(fs.readFileSync(path.join(`${out}.parts`, 'manifest.json')), manifest);
});

test('train --save-model: a second run on the same checkpoint path is refused while the first runs', async () => {
  const d = await safetyData();
  const ckpt = path.join(dir, 'm.ckpt');
  // run 1: enough steps to outlive run 2's start (80 epochs of ~160 steps: ~6 s here, run 2 is refused within ~1 s)
  const run1 = start([
    'train',
    '--processed-data-file',
    d.processed,
    ...SMALL_MODEL,
    '--mini-batch-size',
    '16',
    '--nepochs',
    '80',
    '--save-model',
    ckpt,
    '--log-level',
    'warn',
  ]);
  await waitFor(path.join(dir, '.m.ckpt.lock'), run1.done);
  const second = runDlrm([
    'train',
    '--processed-data-file',
    d.processed,
    ...SMALL_MODEL,
    '--num-batches',
    '2',
    '--save-model',
    ckpt,
    '--log-level',
    'warn',
  ]);
  const first = await run1.done;
  assert.equal(first.status, 0, `run 1 failed:\n${first.stderr}`);
  assert.equal(second.status, 2, second.stderr);
  assert.deepEqual(dlrmLines(second.stderr), [
    `dlrm: another dlrm (pid ${run1.child.pid}) is writing ${ckpt}; wait for it to end (its lock is ${path.join(dir, '.m.ckpt.lock')})`,
  ]);
  assert.match(first.stdout, /^final .* \(step \d+,/m);
  assert.ok(!fs.existsSync(path.join(dir, '.m.ckpt.lock')));
  // run 1's checkpoint is whole: it loads and evaluates
  const ev = runDlrm(['eval', '--processed-data-file', d.processed, '--load-model', ckpt, '--log-level', 'warn']);
  assert.equal(ev.status, 0, ev.stderr);
});

test('preprocess: the work folder vanishing under the workers gives one dlrm: line naming the path, no stack', async () => {
  const raw = await bigInput();
  const out = path.join(dir, 'race.dlrm');
  const work = path.join(dir, '.race.dlrm.parts.partial');
  const run = start([
    'preprocess',
    '--raw-data-file',
    raw,
    '--processed-data-file',
    out,
    '--data-randomize',
    'none',
    '--log-level',
    'warn',
  ]);
  await waitFor(path.join(work, 'vocab'), run.done);
  fs.rmSync(work, { recursive: true, force: true });
  const r = await run.done;
  assert.equal(r.status, 2, r.stderr);
  const lines = dlrmLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /race\.dlrm.*: no such file or folder \(ENOENT/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.ok(!fs.existsSync(out), 'a merged file was published');
  assert.ok(!fs.existsSync(path.join(dir, '.race.dlrm.lock')), 'the lock was left');
});

test('preprocess stopped by SIGINT releases its lock and reading marker (exit 130); --resume then completes', async () => {
  const raw = await bigInput();
  const out = path.join(dir, 'int.dlrm');
  const args = ['preprocess', '--raw-data-file', raw, '--processed-data-file', out, '--log-level', 'warn'];
  const run = start(args);
  await waitFor(path.join(dir, '.int.dlrm.parts.partial', 'vocab'), run.done);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.status, 130, r.stderr);
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => /^\.int\.dlrm\.lock$|^\.big\.txt\.reading-\d+$|\.tmp-\d+$/.test(n)),
    [],
  );
  const resumed = runDlrm([...args, '--resume'], { env: ENV });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(fs.existsSync(out));
});
