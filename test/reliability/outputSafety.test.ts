// Runs the output-safety and disk-full fault cases through the CLI (registerFaultCases), plus the checks
// that do not fit a single run: a closed stdout pipe ends quietly, and temporary files and locks left by a
// process that no longer runs are cleared by the next run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { registerFaultCases } from './registerCases';
import { outputSafetyCases } from './outputSafety.cases';
import { diskFullCases } from './diskFull.cases';
import { runDlrm } from './faultCase';
import { safetyData } from './safetyFixtures';
import { repoRoot, tempDir } from '../helpers/sharedData';

registerFaultCases(outputSafetyCases);
registerFaultCases(diskFullCases);

/** A pid that ran and has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a closed stdout pipe (| head) ends inspect --rows quietly: no message, exit 141', async () => {
  const d = await safetyData();
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot(), 'bin', 'dlrm.js'),
      'inspect',
      '--processed-data-file',
      d.processed,
      '--rows',
      '0:3000',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away after its first chunk
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 141);
});

test('temporary files of a process that no longer runs are removed when the output is written again; live ones are kept', async () => {
  const d = await safetyData();
  const dir = tempDir('stale');
  try {
    const out = path.join(dir, 'r.html');
    const stale = path.join(dir, `.r.html.tmp-${deadPid()}`);
    const live = path.join(dir, `.r.html.tmp-${process.pid}`);
    fs.writeFileSync(stale, 'half a report');
    fs.writeFileSync(live, 'another run still writing');
    const r = runDlrm(['report', '--metrics', d.metrics, '--out', out, '--log-level', 'debug']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!fs.existsSync(stale), 'the dead process temporary file is still there');
    assert.ok(fs.existsSync(live), "a running process's temporary file was removed");
    assert.match(r.stderr, /"level":20.*removed a temporary file of a process that no longer runs/);
    assert.ok(fs.existsSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('train removes the checkpoint temporary a killed run left (.m.ckpt.tmp-PID) when it starts, before any step', async () => {
  const dir = tempDir('stale-ckpt');
  try {
    const out = path.join(dir, 'm.ckpt');
    const stale = path.join(dir, `.m.ckpt.tmp-${deadPid()}`);
    fs.writeFileSync(stale, 'half a checkpoint');
    // a missing --processed-data-file: refused after the claim, before any training
    const r = runDlrm([
      'train',
      '--processed-data-file',
      path.join(dir, 'absent.dlrm'),
      '--save-model',
      out,
      '--log-level',
      'debug',
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(!fs.existsSync(stale), 'the temporary of the killed run is still there');
    assert.match(r.stderr, /removed a temporary file of a process that no longer runs/);
    assert.ok(!fs.existsSync(path.join(dir, '.m.ckpt.lock')), 'the lock was not released on the error path');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale lock (its pid no longer runs on this host) is taken over; the run succeeds and releases it', async () => {
  const d = await safetyData();
  const dir = tempDir('stale-lock');
  try {
    const out = path.join(dir, 'm.ckpt');
    const lock = path.join(dir, '.m.ckpt.lock');
    fs.writeFileSync(
      lock,
      JSON.stringify({ pid: deadPid(), hostname: (await import('node:os')).hostname(), target: out, reading: [] }),
    );
    const r = runDlrm([
      'train',
      '--processed-data-file',
      d.processed,
      '--mini-batch-size',
      '128',
      '--arch-sparse-feature-size',
      '4',
      '--arch-mlp-bot',
      '13-4',
      '--arch-mlp-top',
      '8-1',
      '--num-batches',
      '2',
      '--save-model',
      out,
      '--log-level',
      'debug',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /removed a stale lock/);
    assert.ok(fs.existsSync(out));
    assert.ok(!fs.existsSync(lock), 'the lock was not released at the end');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
