// Resume for real: the CLI is killed with SIGKILL after it completed some days, the rerun with --resume
// must finish with every output byte-identical to an uninterrupted run's.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { criteoLines, outputBytes } from './fixtures';

const dir = tempDir('pp-resume');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

test('kill -9 mid-run, then --resume: outputs byte-identical to an uninterrupted run', async () => {
  const raw = path.join(dir, 'train.txt');
  fs.writeFileSync(raw, criteoLines(60_000, 21).join('\n') + '\n');
  const args = (out: string): string[] => [
    'preprocess',
    '--raw-data-file',
    raw,
    '--processed-data-file',
    out,
    '--min-frequency',
    '2',
    '--data-sub-sample-rate',
    '0.3',
    '--workers',
    '2',
  ];

  const fullOut = path.join(dir, 'full', 'x.dlrm');
  fs.mkdirSync(path.dirname(fullOut));
  const full = spawnSync(process.execPath, [cli, ...args(fullOut)], { env, encoding: 'utf8' });
  assert.equal(full.status, 0, full.stderr);

  const out = path.join(dir, 'killed', 'x.dlrm');
  fs.mkdirSync(path.dirname(out));
  const work = path.join(path.dirname(out), '.x.dlrm.parts.partial');
  const child = spawn(process.execPath, [cli, ...args(out)], { env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let daysDone = 0;
  for (;;) {
    const cp = path.join(work, 'checkpoint.json');
    if (fs.existsSync(cp)) {
      daysDone = (JSON.parse(fs.readFileSync(cp, 'utf8')) as { days: unknown[] }).days.length;
      if (daysDone >= 2) {
        child.kill('SIGKILL');
        break;
      }
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', 'the run was killed before it finished');
  assert.ok(daysDone >= 2 && daysDone < 7, `killed after ${daysDone} days`);
  assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.parts`), 'no final output after the kill');

  const again = spawnSync(process.execPath, [cli, ...args(out)], { env, encoding: 'utf8' });
  assert.equal(again.status, 2);
  assert.match(again.stderr, /holds an interrupted run .* rerun with --resume/);

  const otherFlags = spawnSync(process.execPath, [cli, ...args(out), '--resume', '--seed', '3'], {
    env,
    encoding: 'utf8',
  });
  assert.equal(otherFlags.status, 2);
  assert.match(
    otherFlags.stderr,
    /^dlrm: --resume: the interrupted run in .* differs from this one .*:\n {2}--seed: was 0, now 3\n$/m,
  );

  const resumed = spawnSync(process.execPath, [cli, ...args(out), '--resume'], { env, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /--resume: continuing after day_\d/);
  assert.ok(!fs.existsSync(work));

  const a = outputBytes(fullOut),
    b = outputBytes(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, v] of a) assert.ok(v.equals(b.get(k) as Buffer), `${k} differs after resume`);
});
