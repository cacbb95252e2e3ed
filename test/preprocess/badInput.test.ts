// Bad input through the real CLI: one-line message naming file, line and field; exit code 2; nothing
// left under a final output name (nor the work folder) afterwards.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { repoRoot, sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { criteoLines } from './fixtures';

const dir = tempDir('pp-bad');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const good = criteoLines(700, 3);

function runCli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), 'preprocess', ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

/** Runs preprocess on `lines` written to a fresh folder; expects failure; checks the folder holds only the input. */
function expectRefused(name: string, content: string, message: RegExp): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  const input = path.join(d, 'train.txt');
  fs.writeFileSync(input, content);
  const r = runCli(['--raw-data-file', input]);
  assert.equal(r.status, 2, r.stderr);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('dlrm: '));
  assert.equal(errorLines.length, 1, r.stderr);
  assert.match(errorLines[0], message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(fs.readdirSync(d), ['train.txt'], 'nothing left beside the input');
  return errorLines[0];
}

function withLine(at: number, edit: (fields: string[]) => string[]): string {
  const ls = [...good];
  ls[at] = edit(ls[at].split('\t')).join('\t');
  return ls.join('\n') + '\n';
}

test('a label other than 0/1 names file, line and field 1 (label)', () => {
  const msg = expectRefused(
    'label',
    withLine(450, (f) => ['2', ...f.slice(1)]),
    /train\.txt:451: field 1 \(label\): '2' is not 0 or 1$/,
  );
  assert.match(msg, /^dlrm: \//);
});

test('a non-integer dense value names its column', () => {
  expectRefused(
    'dense',
    withLine(600, (f) => [f[0], f[1], f[2], '3.5', ...f.slice(4)]),
    /train\.txt:601: field 4 \(I3\): '3\.5' is not an integer$/,
  );
});

test('a non-hex or too long category names its column', () => {
  expectRefused(
    'hex',
    withLine(2, (f) => [...f.slice(0, 19), 'xyz', ...f.slice(20)]),
    /train\.txt:3: field 20 \(C6\): 'xyz' is not 1 to 8 hex digits$/,
  );
  expectRefused(
    'hex9',
    withLine(699, (f) => [...f.slice(0, 39), '123456789']),
    /train\.txt:700: field 40 \(C26\): '123456789' is not 1 to 8 hex digits$/,
  );
});

test('a wrong field count is refused with the expected layout', () => {
  expectRefused(
    'count',
    withLine(300, (f) => [...f, 'extra']),
    /train\.txt:301: the line has 41 fields, expected 40 \(label, I1\.\.I13, C1\.\.C26\)$/,
  );
});

test('an empty file is refused', () => {
  expectRefused('empty', '', /train\.txt: the file is empty$/);
});

test('a truncated .gz day is refused naming the file', () => {
  const d = path.join(dir, 'gz');
  fs.mkdirSync(d);
  const gz = zlib.gzipSync(good.join('\n') + '\n');
  fs.writeFileSync(path.join(d, 'day_0'), good.join('\n') + '\n');
  fs.writeFileSync(path.join(d, 'day_1.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  const r = runCli(['--data-set', 'terabyte', '--raw-data-file', path.join(d, 'day')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^dlrm: \/.*day_1\.gz: truncated or corrupt gzip data \(unexpected end of file\)$/m);
  assert.deepEqual(fs.readdirSync(d).sort(), ['day_0', 'day_1.gz']);
});

test('an unlabelled 39-field test file is refused explicitly', () => {
  const unlabelled = good.map((l) => l.split('\t').slice(1).join('\t')).join('\n') + '\n';
  expectRefused(
    'testfile',
    unlabelled,
    /unlabelled test file \(39 fields per line.*needs labelled training lines \(40 fields\).*dlrm predict/,
  );
});

test('the real Kaggle test sample (39 fields) is refused explicitly', (t) => {
  const s = sharedCriteoFile('kaggle-test-sample.txt');
  if ('skip' in s) return t.skip(s.skip);
  const out = path.join(dir, 'real-test.dlrm');
  const r = runCli(['--raw-data-file', s.path, '--processed-data-file', out]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /kaggle-test-sample\.txt: this is an unlabelled test file \(39 fields per line/);
  assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.parts`));
});

test('bad flag values are refused by name', () => {
  const r = runCli(['--raw-data-file', 'x', '--data-randomize', 'sometimes']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--data-randomize.*'sometimes' is not one of total, day, none/);
  const w = runCli(['--raw-data-file', 'x', '--workers', '0']);
  assert.notEqual(w.status, 0);
  assert.match(w.stderr, /--workers.*outside/);
});
