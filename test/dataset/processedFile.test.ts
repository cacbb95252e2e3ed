import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ProcessedFileReader,
  ProcessedFileWriter,
  HEADER_BYTES,
  NO_OFFSETS_SECTION,
  PROCESSED_FORMAT_VERSION,
  SECTION_ALIGN,
  indexEntryWords,
} from '../../src/dataset/processedFile';
import { tempPathFor } from '../../src/util/atomic';
import { RecordWriter } from '../../src/dataset/rowRecords';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import {
  assertBatchRows,
  encodeProcessedFile,
  mixedRows,
  oneHotOffsetsBytes,
  randomRows,
  rowsToBatch,
  writeRows,
  type Row,
} from './fixtures';

const dir = tempDir('processed-file');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const D = 3;
const T = 4;
const G = 64; // rows per group: 1000 rows = 15 full groups + a partial one of 40
const rows = randomRows(new Rng(1), 1000, D, T);
const file = path.join(dir, 'round-trip.bin');

/** Word w of group g's entry in the group index of a processed file's bytes. */
function indexEntry(
  bytes: Buffer,
  numTables: number,
  version = PROCESSED_FORMAT_VERSION,
): (g: number, w: number) => number {
  const indexOffset = Number(bytes.readBigUInt64LE(40));
  const W = indexEntryWords(numTables, version);
  return (g, w) => Number(bytes.readBigUInt64LE(indexOffset + 8 * (g * W + w)));
}

/**
 * Reads back ranges crossing groups, inside groups and empty ones (sync and async), then every row; with
 * and without verification (verifying, a group's first read is of a partial range: it is read whole and checked).
 */
async function assertReadsRows(p: string, rs: readonly Row[], seed: number): Promise<void> {
  for (const verify of [true, false]) {
    const r = ProcessedFileReader.open(p, { verify });
    try {
      const rng = new Rng(seed);
      const ranges: [number, number][] = [
        [63, 65],
        [0, 1],
        [100, 300],
        [128, 192],
        [127, 193],
        [rs.length - 1, rs.length],
        [70, 70],
      ];
      for (let i = 0; i < 20; i++) {
        const a = rng.nextInt(rs.length + 1);
        ranges.push([a, a + rng.nextInt(rs.length + 1 - a)]);
      }
      for (const [a, b] of ranges) {
        assertBatchRows(await r.readAsync(a, b), rs.slice(a, b), `${p}: readAsync(${a}, ${b}), verify ${verify}`);
        assertBatchRows(r.read(a, b), rs.slice(a, b), `${p}: read(${a}, ${b}), verify ${verify}`);
      }
      assertBatchRows(r.read(0, rs.length), rs, `${p}: all rows, verify ${verify}`);
    } finally {
      r.close();
    }
  }
}
writeRows(file, rows, D, T, G, { kind: 'test', note: 'é ✓' });

test('round trip: header fields, metadata and every row come back', () => {
  const r = ProcessedFileReader.open(file);
  try {
    assert.equal(r.rows, 1000);
    assert.equal(r.numDense, D);
    assert.equal(r.numTables, T);
    assert.equal(r.rowsPerGroup, G);
    assert.equal(r.groups, 16);
    assert.deepEqual(r.metadata, { kind: 'test', note: 'é ✓' });
    assert.ok(
      rows.some((row) => row.bags.some((b) => b.length === 0)),
      'fixture has empty bags',
    );
    assert.ok(
      rows.some((row) => row.bags.some((b) => b.length > 1)),
      'fixture has multi-hot bags',
    );
    assertBatchRows(r.read(0, 1000), rows, 'all rows');
  } finally {
    r.close();
  }
});

test('ranges crossing group boundaries, inside one group, the last partial group and empty ranges', async () => {
  const r = ProcessedFileReader.open(file);
  try {
    const ranges: [number, number][] = [
      [0, 1],
      [63, 65],
      [10, 200],
      [64, 128],
      [959, 1000],
      [999, 1000],
      [500, 500],
      [1000, 1000],
      [0, 64],
      [1, 999],
    ];
    const rng = new Rng(5);
    for (let i = 0; i < 30; i++) {
      const a = rng.nextInt(1001);
      ranges.push([a, a + rng.nextInt(1001 - a)]);
    }
    for (const [a, b] of ranges) {
      assertBatchRows(r.read(a, b), rows.slice(a, b), `read(${a}, ${b})`);
      assertBatchRows(await r.readAsync(a, b), rows.slice(a, b), `readAsync(${a}, ${b})`);
    }
    assert.throws(() => r.read(-1, 3), RangeError);
    assert.throws(() => r.read(5, 4), RangeError);
    assert.throws(() => r.read(0, 1001), RangeError);
  } finally {
    r.close();
  }
});

test('byte layout: little-endian header, 64-byte-aligned sections, labels of group 1 where the index says', () => {
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.toString('latin1', 0, 8), 'DLRMPROC');
  assert.equal(bytes.readUInt32LE(8), PROCESSED_FORMAT_VERSION);
  assert.equal(Number(bytes.readBigUInt64LE(24)), 1000);
  const groups = Number(bytes.readBigUInt64LE(32));
  const indexOffset = Number(bytes.readBigUInt64LE(40));
  const metadataOffset = Number(bytes.readBigUInt64LE(48));
  assert.equal(indexOffset % SECTION_ALIGN, 0);
  assert.equal(metadataOffset % SECTION_ALIGN, 0);
  assert.equal(bytes.length % SECTION_ALIGN, 0);
  assert.equal(
    (JSON.parse(bytes.toString('utf8', metadataOffset, metadataOffset + bytes.readUInt32LE(56))) as { kind: string })
      .kind,
    'test',
  );
  const W = 4 + 3 * T; // then the group's byte length and checksum
  const entry = indexEntry(bytes, T);
  assert.equal(entry(0, 2), HEADER_BYTES);
  for (let g = 0; g < groups; g++) {
    assert.equal(entry(g, 0), g * G);
    for (let w = 2; w < W; w++)
      if (w < 4 || (w - 4) % 3 !== 2) assert.equal(entry(g, w) % SECTION_ALIGN, 0, `group ${g} word ${w}`);
  }
  const labels1 = Array.from({ length: G }, (_, i) => bytes.readFloatLE(entry(1, 2) + 4 * i));
  assert.deepEqual(
    labels1,
    rows.slice(G, 2 * G).map((r) => r.label),
  );
  // table 2's indices of group 3, located through its offsets section
  const off = (i: number): number => bytes.readUInt32LE(entry(3, 4 + 3 * 2) + 4 * i);
  assert.equal(off(0), 0);
  assert.equal(off(G), entry(3, 4 + 3 * 2 + 2));
  const row = 3 * G + 7;
  const bag = Array.from({ length: off(8) - off(7) }, (_, k) =>
    bytes.readUInt32LE(entry(3, 5 + 3 * 2) + 4 * (off(7) + k)),
  );
  assert.deepEqual(bag, rows[row].bags[2]);
});

test('Criteo shape (one index per bag, 13 dense, 26 tables) and an empty file', () => {
  const crit = randomRows(new Rng(3), 300, 13, 26, 1, 1);
  const p = path.join(dir, 'criteo.bin');
  writeRows(p, crit, 13, 26, 128, {});
  const r = ProcessedFileReader.open(p);
  assertBatchRows(r.read(100, 300), crit.slice(100, 300), 'criteo rows');
  r.close();
  const empty = path.join(dir, 'empty.bin');
  new ProcessedFileWriter(empty, { numDense: 13, numTables: 26 }).commit({ empty: true });
  const e = ProcessedFileReader.open(empty);
  assert.equal(e.rows, 0);
  assert.equal(e.read(0, 0).size, 0);
  e.close();
});

test('atomicity: nothing under the final name before commit; abort leaves nothing at all', () => {
  const p = path.join(dir, 'atomic.bin');
  const w = new ProcessedFileWriter(p, { numDense: D, numTables: T, rowsPerGroup: 16 });
  const b = rowsToBatch(rows.slice(0, 100), D, T);
  w.append(b.labels, b.dense, b.sparse);
  assert.equal(fs.existsSync(p), false, 'final name exists before commit');
  assert.equal(fs.existsSync(tempPathFor(p)), true);
  w.abort();
  assert.equal(fs.existsSync(p), false);
  assert.equal(fs.existsSync(tempPathFor(p)), false, 'abort left the temporary file');
  assert.throws(() => w.append(b.labels, b.dense, b.sparse), /after aborted/);

  const w2 = new ProcessedFileWriter(p, { numDense: D, numTables: T, rowsPerGroup: 16 });
  w2.append(b.labels, b.dense, b.sparse);
  w2.commit({});
  assert.equal(fs.existsSync(p), true);
  assert.equal(fs.existsSync(tempPathFor(p)), false);
});

test('append refuses inconsistent inputs', () => {
  const w = new ProcessedFileWriter(path.join(dir, 'bad.bin'), { numDense: D, numTables: T });
  const b = rowsToBatch(rows.slice(0, 10), D, T);
  assert.throws(() => w.append(b.labels, b.dense.subarray(1), b.sparse), /dense has/);
  assert.throws(() => w.append(b.labels, b.dense, b.sparse.slice(1)), /bags/);
  const badOffsets = b.sparse.map((bag) => ({ ...bag, offsets: bag.offsets.subarray(1) }));
  assert.throws(() => w.append(b.labels, b.dense, badOffsets), /offsets has length/);
  const decreasing = b.sparse.map((bag) => ({
    indices: bag.indices,
    offsets: Uint32Array.from([0, 2, 1, ...bag.offsets.subarray(3)]),
  }));
  assert.throws(() => w.append(b.labels, b.dense, decreasing), /decrease/);
  w.abort();
});

test('open refuses a missing file, a non-processed file and a truncated one with a UserError naming it', () => {
  const missing = path.join(dir, 'nope.bin');
  assert.throws(
    () => ProcessedFileReader.open(missing),
    (e: unknown) => e instanceof UserError && e.message.includes(missing),
  );
  const text = path.join(dir, 'text.bin');
  fs.writeFileSync(text, 'label\tI1\n'.repeat(20));
  assert.throws(
    () => ProcessedFileReader.open(text),
    (e: unknown) =>
      e instanceof UserError && /text\.bin: not a valid dlrm processed file \(no 'DLRMPROC'/.test(e.message),
  );
  const cut = path.join(dir, 'cut.bin');
  fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 4096));
  assert.throws(
    () => ProcessedFileReader.open(cut),
    (e: unknown) => e instanceof UserError && /cut\.bin.*truncated/.test(e.message),
  );
});

test('open refuses a group index that does not match the header', () => {
  const bytes = Buffer.from(fs.readFileSync(file));
  const indexOffset = Number(bytes.readBigUInt64LE(40));
  const W = indexEntryWords(T);
  const broken = path.join(dir, 'broken-index.bin');
  bytes.writeBigUInt64LE(BigInt(G + 1), indexOffset + 8 * W); // group 1 claims to start one row late
  fs.writeFileSync(broken, bytes);
  // the header checksum catches the change first; without it, the index's own checks do
  assert.throws(
    () => ProcessedFileReader.open(broken),
    (e: unknown) =>
      e instanceof UserError &&
      /broken-index\.bin: damaged processed file: the header, group index or metadata/.test(e.message),
  );
  const unchecked = { verify: false };
  assert.throws(
    () => ProcessedFileReader.open(broken, unchecked),
    (e: unknown) => e instanceof UserError && /broken-index\.bin: .*group 1 of the index/.test(e.message),
  );
  bytes.writeBigUInt64LE(BigInt(G), indexOffset + 8 * W);
  bytes.writeBigUInt64LE(999n, 24); // header rows
  fs.writeFileSync(broken, bytes);
  assert.throws(
    () => ProcessedFileReader.open(broken, unchecked),
    (e: unknown) => e instanceof UserError && /covers 1000 rows, the header says 999/.test(e.message),
  );
});

test('bytes equal an independent encoding: one-hot, multi-hot (groups above and below one index per row) and sparse bags', () => {
  const cases: [string, number, number][] = [
    ['one-hot', 1, 1],
    ['multi-hot', 3, 0],
    ['sparse', 1, 0],
    ['wide', 5, 2],
  ];
  cases.forEach(([name, maxBag, minBag], k) => {
    const rs = randomRows(new Rng(10 + k), 700, D, T, maxBag, minBag);
    const p = path.join(dir, `naive-${name}.bin`);
    writeRows(p, rs, D, T, G, { name });
    const got = fs.readFileSync(p);
    const want = encodeProcessedFile(rs, D, T, G, { name });
    let at = 0;
    while (at < Math.min(got.length, want.length) && got[at] === want[at]) at++;
    assert.equal(at, want.length, `${name}: first difference at byte ${at} (sizes ${got.length}, ${want.length})`);
    assert.equal(got.length, want.length, name);
  });
});

test('appendOneHot writes the bytes of append with one index per bag, also mixed with multi-hot appends', () => {
  const oneHot = randomRows(new Rng(21), 500, D, T, 1, 1);
  const mixed = [
    ...randomRows(new Rng(22), 50, D, T, 3, 0),
    ...oneHot,
    ...randomRows(new Rng(23), 30, D, T, 2, 0),
    ...oneHot.slice(0, 90),
  ];
  const p = path.join(dir, 'one-hot-fast.bin');
  const w = new ProcessedFileWriter(p, { numDense: D, numTables: T, rowsPerGroup: G });
  const rng = new Rng(24);
  for (let at = 0; at < mixed.length;) {
    const n = Math.min(mixed.length - at, 1 + rng.nextInt(2 * G));
    const part = mixed.slice(at, at + n);
    const b = rowsToBatch(part, D, T);
    if (part.every((r) => r.bags.every((bag) => bag.length === 1)))
      w.appendOneHot(
        b.labels,
        b.dense,
        b.sparse.map((s) => s.indices),
      );
    else w.append(b.labels, b.dense, b.sparse);
    at += n;
  }
  w.commit({ mixed: true });
  assert.ok(fs.readFileSync(p).equals(encodeProcessedFile(mixed, D, T, G, { mixed: true })));
});

test('appendRecords (row-major records) writes the bytes of append: one-hot, multi-hot, empty bags', () => {
  const rs = [
    ...randomRows(new Rng(31), 300, D, T, 3, 0),
    ...randomRows(new Rng(32), 200, D, T, 1, 1),
    ...randomRows(new Rng(33), 100, D, T, 6, 0),
  ];
  const p = path.join(dir, 'records.bin');
  const w = new ProcessedFileWriter(p, { numDense: D, numTables: T, rowsPerGroup: G });
  const rng = new Rng(34);
  for (let at = 0; at < rs.length;) {
    const n = Math.min(rs.length - at, 1 + rng.nextInt(2 * G));
    const chunks: Uint32Array[] = [];
    const rw = new RecordWriter(D, T, 1 << 16, (words) => chunks.push(words.slice()));
    const b = rowsToBatch(rs.slice(at, at + n), D, T);
    for (let i = 0; i < n; i++) rw.add(b, i);
    rw.finish();
    assert.equal(chunks.length, 1);
    w.appendRecords(chunks[0], n);
    at += n;
  }
  w.commit({ records: true });
  assert.ok(fs.readFileSync(p).equals(encodeProcessedFile(rs, D, T, G, { records: true })));
});

test('one-hot groups have no offsets sections: the file is smaller than version 1 by exactly those bytes', async () => {
  const crit = randomRows(new Rng(41), 1000, 13, 26, 1, 1);
  const p = path.join(dir, 'one-hot-size.bin');
  const w = new ProcessedFileWriter(p, { numDense: 13, numTables: 26, rowsPerGroup: G });
  const rng = new Rng(42);
  for (let at = 0; at < crit.length;) {
    const n = Math.min(crit.length - at, 1 + rng.nextInt(2 * G));
    const b = rowsToBatch(crit.slice(at, at + n), 13, 26);
    w.appendOneHot(
      b.labels,
      b.dense,
      b.sparse.map((s) => s.indices),
    );
    at += n;
  }
  w.commit({ oneHot: true });
  const bytes = fs.readFileSync(p);
  // 15 full groups of 64 rows (offsets 65 words: 320 bytes padded) and one of 40 (41 words: 192 bytes), 26 tables
  const saved = 26 * (15 * 320 + 192);
  assert.equal(oneHotOffsetsBytes(crit, 26, G), saved);
  assert.equal(
    encodeProcessedFile(crit, 13, 26, G, { oneHot: true }, 2).length,
    encodeProcessedFile(crit, 13, 26, G, { oneHot: true }, 1).length - saved,
  );
  assert.ok(bytes.equals(encodeProcessedFile(crit, 13, 26, G, { oneHot: true })));
  const entry = indexEntry(bytes, 26);
  for (let g = 0; g < 16; g++) {
    for (let t = 0; t < 26; t++) {
      assert.equal(entry(g, 4 + 3 * t), NO_OFFSETS_SECTION, `group ${g} table ${t} offsetsOffset`);
      assert.equal(entry(g, 6 + 3 * t), g < 15 ? G : 40, `group ${g} table ${t} numIndices`);
    }
  }
  await assertReadsRows(p, crit, 43);
});

test('mixed tables (one-hot, multi-hot, multi-hot but one index per row in one group): every append path writes the same bytes, any range reads back', async () => {
  const rs = mixedRows(new Rng(51), 700, D, T, G, 2);
  const want = encodeProcessedFile(rs, D, T, G, { mixed: 2 });
  const entry = indexEntry(want, T);
  for (let g = 0; g < 11; g++) {
    for (let t = 0; t < T; t++) {
      const compact = t === 0 || (t === 2 && g === 2);
      assert.equal(
        entry(g, 4 + 3 * t) === NO_OFFSETS_SECTION,
        compact,
        `group ${g} table ${t}: offsets section ${compact ? 'present' : 'missing'}`,
      );
    }
  }
  const viaAppend = path.join(dir, 'mixed-append.bin');
  writeRows(viaAppend, rs, D, T, G, { mixed: 2 }, new Rng(52));
  assert.ok(fs.readFileSync(viaAppend).equals(want), 'append');
  const viaRecords = path.join(dir, 'mixed-records.bin');
  const w = new ProcessedFileWriter(viaRecords, { numDense: D, numTables: T, rowsPerGroup: G });
  const chunks: Uint32Array[] = [];
  const rw = new RecordWriter(D, T, 1 << 20, (words) => chunks.push(words.slice()));
  const b = rowsToBatch(rs, D, T);
  for (let i = 0; i < rs.length; i++) rw.add(b, i);
  rw.finish();
  assert.equal(chunks.length, 1);
  w.appendRecords(chunks[0], rs.length);
  w.commit({ mixed: 2 });
  assert.ok(fs.readFileSync(viaRecords).equals(want), 'appendRecords');
  await assertReadsRows(viaAppend, rs, 53);
});

test('version-1 and version-2 files (no checksums; version 1 always stores offsets) still read; unknown versions and misplaced no-offsets markers are refused', async () => {
  const rs = [...mixedRows(new Rng(61), 300, D, T, G, 1), ...randomRows(new Rng(62), 200, D, T, 1, 1)];
  const v1 = path.join(dir, 'version-1.bin');
  const bytes = encodeProcessedFile(rs, D, T, G, { v: 1 }, 1);
  fs.writeFileSync(v1, bytes);
  const r = ProcessedFileReader.open(v1);
  assert.equal(r.formatVersion, 1);
  assert.deepEqual(r.metadata, { v: 1 });
  r.close();
  await assertReadsRows(v1, rs, 63);
  const v2 = path.join(dir, 'version-2.bin');
  fs.writeFileSync(v2, encodeProcessedFile(rs, D, T, G, { v: 2 }, 2));
  await assertReadsRows(v2, rs, 64);

  const v4 = path.join(dir, 'version-4.bin');
  const future = Buffer.from(bytes);
  future.writeUInt32LE(4, 8);
  fs.writeFileSync(v4, future);
  assert.throws(
    () => ProcessedFileReader.open(v4),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.includes(v4) &&
      /format version 4; this dlrm reads versions 1, 2 and 3/.test(e.message),
  );

  const entry = indexEntry(bytes, T, 1);
  const wordAt = (g: number, w: number): number =>
    Number(bytes.readBigUInt64LE(40)) + 8 * (g * indexEntryWords(T, 1) + w);
  assert.notEqual(entry(0, 4), NO_OFFSETS_SECTION);
  const marked = Buffer.from(bytes);
  marked.writeBigUInt64LE(BigInt(NO_OFFSETS_SECTION), wordAt(0, 4)); // group 0 table 0: one index per row
  const v1Marked = path.join(dir, 'version-1-marked.bin');
  fs.writeFileSync(v1Marked, marked);
  assert.throws(
    () => ProcessedFileReader.open(v1Marked),
    (e: unknown) =>
      e instanceof UserError && /group 0 table 0: no offsets section, which version 1 does not allow/.test(e.message),
  );
  marked.writeUInt32LE(2, 8);
  const v2Multi = path.join(dir, 'version-2-multi-marked.bin');
  marked.writeBigUInt64LE(BigInt(NO_OFFSETS_SECTION), wordAt(0, 4 + 3)); // table 1 is multi-hot
  fs.writeFileSync(v2Multi, marked);
  assert.throws(
    () => ProcessedFileReader.open(v2Multi),
    (e: unknown) =>
      e instanceof UserError && /group 0 table 1: no offsets section but \d+ indices for 64 rows/.test(e.message),
  );
});

test('appendOneHot refuses index columns of the wrong number or length', () => {
  const w = new ProcessedFileWriter(path.join(dir, 'bad-one-hot.bin'), { numDense: D, numTables: T });
  const b = rowsToBatch(randomRows(new Rng(71), 10, D, T, 1, 1), D, T);
  const columns = b.sparse.map((s) => s.indices);
  assert.throws(() => w.appendOneHot(b.labels, b.dense, columns.slice(1)), /expected 4 of 10/);
  assert.throws(
    () => w.appendOneHot(b.labels, b.dense, [...columns.slice(1), columns[0].subarray(1)]),
    /lengths \[10, 10, 10, 9\]/,
  );
  assert.throws(() => w.appendOneHot(b.labels, b.dense.subarray(1), columns), /dense has/);
  w.abort();
});
