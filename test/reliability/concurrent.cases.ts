// Concurrent runs in the matrix's one-run form: the "first run" is a live process (an idle node child)
// that holds the output's lock file (or the input's reading marker) as a running dlrm would; the case's
// run is the second one and must be refused with "another dlrm (pid N) is writing F", exit 2, touching
// nothing. concurrent.test.ts runs the same with a real first run and checks it succeeds byte-identically.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { FaultCase, FaultRun } from './faultCase';
import { safetyData, SMALL_MODEL } from './safetyFixtures';
import { lockPathFor } from '../../src/util/lock';

/** The idle holders of each case's folder, killed by cleanup. */
const holders = new Map<string, number>();

/** Starts an idle process (ends by itself after 60 s) and returns its pid. */
function idleProcess(dir: string): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore', detached: true });
  child.unref();
  holders.set(dir, child.pid as number);
  return child.pid as number;
}

/** Writes `target`'s lock file as the live process `pid` holding it. */
function holdLock(target: string, pid: number): string {
  const lock = lockPathFor(target);
  fs.writeFileSync(lock, JSON.stringify({ pid, hostname: os.hostname(), target }) + '\n');
  return lock;
}

function killHolder(dir: string): void {
  const pid = holders.get(dir);
  holders.delete(dir);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already ended
  }
}

const busy = (pid: number, target: string): RegExp =>
  new RegExp(`^dlrm: another dlrm \\(pid ${pid}\\) is writing ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`);

export const concurrentCases: FaultCase[] = [
  {
    name: 'preprocess while another run writes the same output',
    kind: 'concurrent',
    async prepare(dir): Promise<FaultRun> {
      const raw = path.join(dir, 'in.txt');
      fs.copyFileSync((await safetyData()).raw, raw);
      const out = path.join(dir, 'in.dlrm');
      const pid = idleProcess(dir);
      const lock = holdLock(out, pid);
      return {
        args: ['preprocess', '--raw-data-file', raw, '--log-level', 'warn'],
        expectExit: 2,
        expectMessage: busy(pid, out),
        absent: [out, `${out}.parts`, path.join(dir, '.in.dlrm.parts.partial')],
        unchanged: [raw, lock],
      };
    },
    cleanup: killHolder,
  },
  {
    name: 'preprocess --resume while the interrupted run still runs (no resume advice)',
    kind: 'concurrent',
    async prepare(dir): Promise<FaultRun> {
      const raw = path.join(dir, 'in.txt');
      fs.copyFileSync((await safetyData()).raw, raw);
      const out = path.join(dir, 'in.dlrm');
      const work = path.join(dir, '.in.dlrm.parts.partial');
      fs.mkdirSync(path.join(work, 'vocab'), { recursive: true });
      const marker = path.join(work, 'checkpoint.json');
      fs.writeFileSync(marker, '{"live run": true}');
      const pid = idleProcess(dir);
      const lock = holdLock(out, pid);
      return {
        args: ['preprocess', '--raw-data-file', raw, '--resume', '--log-level', 'warn'],
        expectExit: 2,
        expectMessage: busy(pid, out),
        absent: [out],
        unchanged: [raw, lock, marker],
      };
    },
    cleanup: killHolder,
  },
  {
    name: 'train --save-model while another run writes the same checkpoint',
    kind: 'concurrent',
    async prepare(dir): Promise<FaultRun> {
      const d = await safetyData();
      const ckpt = path.join(dir, 'm.ckpt');
      fs.copyFileSync(d.checkpoint, ckpt);
      const pid = idleProcess(dir);
      const lock = holdLock(ckpt, pid);
      return {
        args: [
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
        ],
        expectExit: 2,
        expectMessage: busy(pid, ckpt),
        unchanged: [ckpt, lock],
      };
    },
    cleanup: killHolder,
  },
  {
    name: 'generate --out while a preprocess reads that file',
    kind: 'concurrent',
    async prepare(dir): Promise<FaultRun> {
      const raw = path.join(dir, 'in.txt');
      fs.copyFileSync((await safetyData()).raw, raw);
      const pid = idleProcess(dir);
      const marker = path.join(dir, `.in.txt.reading-${pid}`);
      fs.writeFileSync(marker, '');
      return {
        args: ['generate', '--rows', '10', '--out', raw, '--log-level', 'warn'],
        expectExit: 2,
        expectMessage: new RegExp(`--out .*in\\.txt: another dlrm \\(pid ${pid}\\) is reading it`),
        unchanged: [raw],
      };
    },
    cleanup: killHolder,
  },
];
