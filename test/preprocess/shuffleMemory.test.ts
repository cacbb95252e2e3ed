// The in-memory shuffle's budget (src/dataset/memoryShuffle.ts defaultShuffleMemoryBytes, preprocess
// --shuffle-memory-mb): the default follows the memory available; a budget too small for the rows sends them
// through the bucket shuffle, which writes the same merged file byte for byte.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { defaultShuffleMemoryBytes } from '../../src/dataset/memoryShuffle';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('shuffle-memory');
const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function dlrm(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

test('the default budget is half the memory available, at least 256 MiB', () => {
  assert.equal(defaultShuffleMemoryBytes(20 * 2 ** 30), 10 * 2 ** 30);
  assert.equal(defaultShuffleMemoryBytes(2 ** 20), 256 * 2 ** 20);
  assert.ok(defaultShuffleMemoryBytes() >= 256 * 2 ** 20);
});

test("--shuffle-memory-mb below the rows' size shuffles through buckets into the same rows as the in-memory default", () => {
  const raw = path.join(dir, 'rows.txt');
  assert.equal(dlrm('generate', '--rows', '20000', '--out', raw, '--seed', '3').status, 0);
  const run = (name: string, ...flags: string[]) => {
    const out = path.join(dir, `${name}.dlrm`);
    const r = dlrm('preprocess', '--raw-data-file', raw, '--processed-data-file', out, '--seed', '5', ...flags);
    assert.equal(r.status, 0, r.stderr);
    const rows = spawnSync(process.execPath, [cli, 'inspect', '--processed-data-file', out, '--rows', '0:'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    assert.equal(rows.status, 0, rows.stderr);
    return { rows: rows.stdout, inMemory: r.stderr.includes('"msg":"merged file: shuffling rows in memory"') };
  };
  const memory = run('memory');
  const buckets = run('buckets', '--shuffle-memory-mb', '1'); // 20,000 rows of 160 bytes: 3.2 MB
  assert.ok(memory.inMemory, 'the default budget holds 20,000 rows');
  assert.ok(!buckets.inMemory, 'a 1 MiB budget does not');
  assert.equal(memory.rows.split('\n').length, 20_001);
  assert.ok(memory.rows === buckets.rows, 'both shuffles write the same rows in the same order');
  const bad = dlrm(
    'preprocess',
    '--raw-data-file',
    raw,
    '--processed-data-file',
    path.join(dir, 'x.dlrm'),
    '--shuffle-memory-mb',
    '0',
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^dlrm: option '--shuffle-memory-mb <n>' argument '0' is invalid/);
});
