import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as crypto from 'node:crypto';
import {
  kaggleDays,
  kaggleDaySizes,
  lineOffset,
  MARK_EVERY,
  scanLines,
  terabyteDays,
} from '../../src/criteo/rawSources';
import { readDayBlocks } from '../../src/rawformat/blockReader';
import { tempDir } from '../helpers/sharedData';

const dir = tempDir('raw-sources');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('Kaggle days follow divmod(N, 7): the first N % 7 days get one more line', () => {
  assert.deepEqual(kaggleDaySizes(21609), new Array(7).fill(3087));
  assert.deepEqual(kaggleDaySizes(45840617), [6548660, 6548660, 6548660, 6548660, 6548659, 6548659, 6548659]);
  assert.deepEqual(kaggleDaySizes(10), [2, 2, 2, 1, 1, 1, 1]);
  for (const n of [7, 13, 99, 100_003])
    assert.equal(
      kaggleDaySizes(n).reduce((a, b) => a + b, 0),
      n,
    );
});

test('scanLines counts lines across read chunks and marks; day ranges start exactly at line starts', async () => {
  const n = 2 * MARK_EVERY + 12345;
  const lines = Array.from({ length: n }, (_, i) => `${i}\t${'x'.repeat(i % 7)}`);
  const file = path.join(dir, 'lines.txt');
  const text = lines.join('\n'); // last line without '\n'
  fs.writeFileSync(file, text);
  const scan = await scanLines(file);
  assert.equal(scan.lines, n);
  assert.equal(scan.sha256, crypto.createHash('sha256').update(text).digest('hex'));
  assert.equal(scan.marks.length, 3);
  for (const line of [0, 1, MARK_EVERY - 1, MARK_EVERY, MARK_EVERY + 1, n - 1]) {
    const off = lineOffset(file, scan, line);
    assert.equal(text.slice(off, off + String(line).length + 1), `${line}\t`);
  }
  assert.equal(lineOffset(file, scan, n), text.length);
  const days = kaggleDays(file, scan);
  assert.deepEqual(
    days.map((d) => d.lines),
    kaggleDaySizes(n),
  );
  let line = 0;
  days.forEach((d, i) => {
    assert.equal(d.name, `day_${i}`);
    assert.equal(d.firstLineNumber, line + 1);
    assert.equal(text.slice(d.startByte, text.indexOf('\t', d.startByte)), String(line));
    line += d.lines as number;
  });
  assert.equal(days[6].endByte, text.length);
});

test('readDayBlocks yields complete lines in order for plain ranges and gzip, growing for long lines', async () => {
  const lines = Array.from({ length: 3000 }, (_, i) => (i === 1500 ? 'L'.repeat(20_000) : `line ${i}`));
  const text = lines.join('\n');
  const plain = path.join(dir, 'day_0');
  fs.writeFileSync(plain, text);
  fs.writeFileSync(path.join(dir, 'day_1.gz'), zlib.gzipSync(text + '\n'));
  const days = terabyteDays(path.join(dir, 'day'));
  assert.deepEqual(
    days.map((d) => [d.name, path.basename(d.file), d.gzip]),
    [
      ['day_0', 'day_0', false],
      ['day_1', 'day_1.gz', true],
    ],
  );
  for (const day of days) {
    const got: string[] = [];
    let blocks = 0;
    const hash = crypto.createHash('sha256');
    for await (const b of readDayBlocks(day, 4096, () => {}, hash)) {
      const s = Buffer.from(b.bytes.subarray(0, b.end)).toString();
      assert.ok(s.endsWith('\n'));
      const ls = s.slice(0, -1).split('\n');
      assert.equal(ls.length, b.lines);
      got.push(...ls);
      blocks++;
    }
    assert.ok(blocks >= 4, `${blocks} blocks`);
    assert.deepEqual(got, lines);
    assert.equal(hash.digest('hex'), crypto.createHash('sha256').update(fs.readFileSync(day.file)).digest('hex'));
  }
  // a byte range of a plain file
  const start = text.indexOf('line 10\n'),
    end = text.indexOf('line 20\n');
  const got: string[] = [];
  for await (const b of readDayBlocks({ ...days[0], startByte: start, endByte: end }, 64, () => {}))
    got.push(...Buffer.from(b.bytes.subarray(0, b.end)).toString().slice(0, -1).split('\n'));
  assert.deepEqual(got, lines.slice(10, 20));
});

test('Terabyte discovery refuses gaps and a single day', () => {
  const d = path.join(dir, 'tb');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'day_0'), 'x\n');
  assert.throws(() => terabyteDays(path.join(d, 'day')), /at least 2 day files/);
  fs.writeFileSync(path.join(d, 'day_2.gz'), 'x\n');
  assert.throws(() => terabyteDays(path.join(d, 'day')), /day_1: missing .* days must be contiguous/);
  assert.throws(() => terabyteDays(path.join(d, 'nothing')), /no Terabyte day files found/);
});
