// The preprocess log names the input file it read (a Kaggle-layout file need not be called train.txt).
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('preprocess-name');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the line-count log line names the real input file, not "train.txt"', () => {
  const bin = path.join(repoRoot(), 'bin', 'dlrm.js');
  const raw = path.join(dir, 'clicks-2024.tsv');
  const gen = spawnSync(process.execPath, [bin, 'generate', '--rows', '700', '--out', raw, '--log-level', 'warn'], {
    encoding: 'utf8',
  });
  assert.equal(gen.status, 0, gen.stderr);
  const logFile = path.join(dir, 'log.jsonl');
  const r = spawnSync(
    process.execPath,
    [bin, 'preprocess', '--raw-data-file', raw, '--log-file', logFile, '--log-level', 'info'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = fs
    .readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; file?: string; lines?: number });
  const counted = lines.find((l) => l.msg.startsWith('counted lines of '));
  assert.ok(counted, lines.map((l) => l.msg).join('\n'));
  assert.equal(counted.msg, 'counted lines of clicks-2024.tsv');
  assert.deepEqual([counted.file, counted.lines], [raw, 700]);
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('train.txt')), 'no log line speaks of train.txt');
});
