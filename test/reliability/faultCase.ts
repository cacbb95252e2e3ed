// The reliability matrix's unit: one fault case run through the real CLI, and the verdict on it. Each area
// (output safety, corruption, terminal, reports, ...) lists its cases in test/reliability/<area>.cases.ts;
// its own *.test.ts runs them one test each, and scripts/fault-matrix.ts runs every list and prints the
// tally "N cases, N clear errors, 0 stack traces, 0 half-written outputs, 0 silent wrong results".
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/sharedData';

/** What a case provokes: the class it is tallied under in the matrix. */
export type FaultKind =
  'bad-input' | 'output-safety' | 'disk-full' | 'concurrent' | 'corruption' | 'kill-resume' | 'terminal';

/** One CLI run a case makes, and what must hold afterwards. */
export interface FaultRun {
  /** `dlrm` arguments (no 'node bin/dlrm.js'). */
  args: string[];
  env?: Record<string, string>;
  /** Send stdout to this file (e.g. '/dev/full') instead of capturing it. */
  stdoutTo?: string;
  /** The exit code expected (a clear error is 2). */
  expectExit: number;
  /** Must match the one `dlrm: ` line on stderr (when expectExit is not 0). */
  expectMessage?: RegExp;
  /** Final output names that must not exist after the run (no half-written output). */
  absent?: string[];
  /** Files that must be byte-identical before and after the run (e.g. an input that must not be overwritten). */
  unchanged?: string[];
  /** What happened before the run, printed beside the case by the matrix (e.g. when a kill came). */
  note?: string;
  /** A check of the run's result beyond the above (a wrong result returns its description). */
  check?: (result: FaultResult) => string | undefined;
}

export interface FaultCase {
  /** Shown in the tally, e.g. 'preprocess --processed-data-file is the raw input'. */
  name: string;
  kind: FaultKind;
  /** Why the case cannot run here (e.g. not root for a tmpfs), or undefined. */
  skip?: () => string | undefined;
  /** Prepares files in `dir` (a fresh folder) and returns the run to make. */
  prepare(dir: string): FaultRun | Promise<FaultRun>;
  /** Undoes what prepare did outside `dir` (e.g. unmounts a tmpfs). */
  cleanup?(dir: string): void;
}

export interface FaultResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The verdict on one run: each flag is one column of the tally. */
export interface FaultVerdict {
  clearError: boolean;
  stackTrace: boolean;
  halfWritten: boolean;
  wrongResult: boolean;
  /** What went wrong, for the test's assertion message; empty when the case passed. */
  problems: string[];
  /** The run's note (FaultRun.note). */
  note?: string;
}

const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Runs `dlrm ARGS` as a child process, stdout captured or sent to `stdoutTo`. */
export function runDlrm(
  args: string[],
  opts: { env?: Record<string, string>; stdoutTo?: string; cwd?: string } = {},
): FaultResult {
  const out = opts.stdoutTo === undefined ? 'pipe' : fs.openSync(opts.stdoutTo, 'w');
  try {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['ignore', out, 'pipe'],
      maxBuffer: 1 << 28,
      timeout: 300_000,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    if (typeof out === 'number') fs.closeSync(out);
  }
}

/** Prepares, runs and judges one case in `dir` (which the caller creates and removes). */
export async function runFaultCase(c: FaultCase, dir: string): Promise<FaultVerdict> {
  const run = await c.prepare(dir);
  try {
    const before = new Map((run.unchanged ?? []).map((f) => [f, sha256(f)]));
    const r = runDlrm(run.args, { env: run.env, stdoutTo: run.stdoutTo, cwd: dir });
    const problems: string[] = [];
    const stackTrace = /\n\s+at .+[:(]/.test(r.stderr) || /^\s+at /m.test(r.stderr);
    if (stackTrace) problems.push(`stack trace on stderr:\n${r.stderr}`);
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('dlrm: '));
    let clearError = r.status === run.expectExit;
    if (!clearError) problems.push(`exit ${r.status}, expected ${run.expectExit}; stderr:\n${r.stderr}`);
    if (run.expectExit !== 0) {
      if (errorLines.length !== 1) {
        clearError = false;
        problems.push(`${errorLines.length} 'dlrm: ' lines on stderr, expected 1:\n${r.stderr}`);
      } else if (run.expectMessage && !run.expectMessage.test(errorLines[0])) {
        clearError = false;
        problems.push(`message ${JSON.stringify(errorLines[0])} does not match ${run.expectMessage}`);
      }
    }
    const present = (run.absent ?? []).filter((f) => fs.existsSync(f));
    const changed = [...before].filter(([f, h]) => !fs.existsSync(f) || sha256(f) !== h).map(([f]) => f);
    const halfWritten = present.length > 0 || changed.length > 0;
    if (present.length) problems.push(`left under a final name: ${present.join(', ')}`);
    if (changed.length) problems.push(`changed though it must not be: ${changed.join(', ')}`);
    const wrong = run.check?.(r);
    if (wrong) problems.push(wrong);
    return {
      clearError: clearError && run.expectExit !== 0,
      stackTrace,
      halfWritten,
      wrongResult: wrong !== undefined,
      problems,
      note: run.note,
    };
  } finally {
    c.cleanup?.(dir);
  }
}
