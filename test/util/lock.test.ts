// Locks of long outputs (src/util/lock.ts): a lock held by a running process refuses a second writer; a
// lock whose pid now belongs to a later process (pid reuse: the start time differs) is stale and taken over,
// as is one whose pid no longer runs; a lock without a start time (older versions) is judged by its pid.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireLock, lockPathFor } from '../../src/util/lock';
import { processStartTime } from '../../src/util/pid';
import { UserError } from '../../src/util/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-lock-'));
const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
after(() => {
  idle.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeLock(target: string, owner: Record<string, unknown>): void {
  fs.writeFileSync(lockPathFor(target), JSON.stringify({ hostname: os.hostname(), target, ...owner }) + '\n');
}

test(
  'the process start time is read from /proc and tells two processes apart',
  { skip: fs.existsSync('/proc/self/stat') ? false : 'no /proc on this system' },
  () => {
    const mine = processStartTime(process.pid);
    assert.match(mine ?? '', /^\d+$/);
    assert.equal(processStartTime(process.pid), mine, 'stable for one process');
    assert.equal(processStartTime(2 ** 22 + 12345), undefined, 'a pid that does not run');
  },
);

test('a lock held by a running process (same start time, or none recorded) refuses the second writer', () => {
  const target = path.join(dir, 'held.ckpt');
  const pid = idle.pid ?? 0;
  for (const owner of [{ pid, started: processStartTime(pid) }, { pid }]) {
    writeLock(target, owner);
    assert.throws(
      () => acquireLock(target),
      (e: unknown) => e instanceof UserError && e.message.startsWith(`another dlrm (pid ${pid}) is writing ${target}`),
    );
  }
  fs.rmSync(lockPathFor(target));
});

test(
  'a lock whose pid was reused by a later process, or whose pid no longer runs, is taken over',
  { skip: fs.existsSync('/proc/self/stat') ? false : 'no /proc on this system' },
  () => {
    const target = path.join(dir, 'stale.ckpt');
    const pid = idle.pid ?? 0;
    writeLock(target, { pid, started: String(Number(processStartTime(pid)) - 1) }); // the owner started before the process now holding its pid
    const release = acquireLock(target);
    assert.equal((JSON.parse(fs.readFileSync(lockPathFor(target), 'utf8')) as { pid: number }).pid, process.pid);
    release();
    assert.ok(!fs.existsSync(lockPathFor(target)));
    writeLock(target, { pid: 2 ** 22 + 12345, started: '1' });
    acquireLock(target)();
  },
);
