// The row-group checks: checkGroupValues (the JS reference) names the first out-of-contract value with its
// row and column, and the native twin (checkGroupAsync, run in the thread pool) agrees with it and with
// zlib's CRC-32 on good groups and on each kind of fault. Skips the native part when the addon is not built.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { checkGroupValues, crc32, nativeGroupCheck, type GroupView } from '../../src/dataset/groupCheck';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';

const D = 3;
const ROWS = [50, 40, 30];

/** One group's bytes laid out as a file's (labels, dense, then per table [offsets,] indices; 64-byte aligned) and its layout. */
function group(rng: Rng, n: number): { bytes: Uint8Array; layout: number[]; view: (bytes: Uint8Array) => GroupView } {
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  const bagSizes = Array.from({ length: n }, () => rng.nextInt(3));
  const total = bagSizes.reduce((a, b) => a + b, 0);
  const sizes = [4 * n, 4 * n * D, 4 * n, 4 * n, 4 * (n + 1), 4 * total];
  const at: number[] = [];
  let end = 0;
  for (const s of sizes) {
    at.push(end);
    end += align(s);
  }
  const bytes = new Uint8Array(end);
  const f32 = (i: number, len: number): Float32Array => new Float32Array(bytes.buffer, at[i], len);
  const u32 = (i: number, len: number): Uint32Array => new Uint32Array(bytes.buffer, at[i], len);
  f32(0, n).set(Array.from({ length: n }, () => rng.nextInt(2)));
  f32(1, n * D).set(Array.from({ length: n * D }, () => rng.normal()));
  u32(2, n).set(Array.from({ length: n }, () => rng.nextInt(ROWS[0])));
  u32(3, n).set(Array.from({ length: n }, () => rng.nextInt(ROWS[1])));
  const offsets = u32(4, n + 1);
  bagSizes.forEach((c, i) => (offsets[i + 1] = offsets[i] + c));
  u32(5, total).set(Array.from({ length: total }, () => rng.nextInt(ROWS[2])));
  const layout = [n, D, at[0], at[1], -1, at[2], n, -1, at[3], n, at[4], at[5], total];
  const view = (b: Uint8Array): GroupView => ({
    file: 'g.dlrm',
    where: 'row group 0',
    firstRow: 1000,
    numRows: n,
    numDense: D,
    labels: new Float32Array(b.buffer, at[0], n),
    dense: new Float32Array(b.buffer, at[1], n * D),
    tables: [
      { offsets: undefined, indices: new Uint32Array(b.buffer, at[2], n) },
      { offsets: undefined, indices: new Uint32Array(b.buffer, at[3], n) },
      { offsets: new Uint32Array(b.buffer, at[4], n + 1), indices: new Uint32Array(b.buffer, at[5], total) },
    ],
    tableRows: ROWS,
  });
  return { bytes, layout, view };
}

/** The faults: each edits a good group's bytes and names the message checkGroupValues must give. */
const FAULTS: { name: string; edit: (v: GroupView) => void; message: RegExp }[] = [
  {
    name: 'label 2',
    edit: (v) => (v.labels[7] = 2),
    message: /^g\.dlrm: row 1007: label 2 is not 0 or 1 \(row group 0\)$/,
  },
  {
    name: 'NaN dense',
    edit: (v) => (v.dense[5 * D + 1] = NaN),
    message: /^g\.dlrm: row 1005: dense column 1 is NaN, not a finite number/,
  },
  {
    name: 'Infinity dense',
    edit: (v) => (v.dense[99 * D + 2] = Infinity),
    message: /^g\.dlrm: row 1099: dense column 2 is Infinity/,
  },
  {
    name: 'index of a one-hot table',
    edit: (v) => (v.tables[1].indices[42] = 40),
    message: /^g\.dlrm: row 1042: table 1: index 40 is not below the table's 40 rows/,
  },
  {
    name: 'index of a multi-hot table',
    edit: (v) => {
      const o = v.tables[2].offsets as Uint32Array;
      let row = 60;
      while (o[row + 1] === o[row]) row++;
      v.tables[2].indices[o[row]] = 1e9;
      v.where = `row ${1000 + row}`;
    },
    message: /table 2: index 1000000000 is not below the table's 30 rows/,
  },
  {
    name: 'decreasing offsets',
    edit: (v) => ((v.tables[2].offsets as Uint32Array)[50] = 1e6),
    message: /^g\.dlrm: row 1050: table 2: bag offsets decrease/,
  },
];

test('checkGroupValues passes good groups and names the row and column of each fault', () => {
  const rng = new Rng(3);
  for (const n of [1, 100, 1000]) {
    const g = group(rng, n);
    checkGroupValues(g.view(g.bytes));
  }
  for (const f of FAULTS) {
    const g = group(new Rng(4), 200);
    const v = g.view(g.bytes);
    f.edit(v);
    assert.throws(
      () => checkGroupValues(v),
      (e: unknown) => e instanceof UserError && f.message.test(e.message),
      f.name,
    );
  }
});

const native = nativeGroupCheck();
test(
  'the native check agrees with checkGroupValues and zlib.crc32 on good groups and every fault',
  { skip: native ? false : 'the native addon is not built' },
  async () => {
    const check = native!;
    for (const n of [1, 17, 200, 5000]) {
      const g = group(new Rng(n), n);
      const crc = zlib.crc32(g.bytes);
      assert.equal(
        await check(g.bytes, Float64Array.from(g.layout), Uint32Array.from(ROWS), crc),
        0,
        `good group of ${n}`,
      );
      assert.equal(
        await check(g.bytes, Float64Array.from(g.layout), Uint32Array.from(ROWS), (crc ^ 0x100) >>> 0),
        1,
        `wrong crc, ${n} rows`,
      );
      assert.equal(
        await check(g.bytes, Float64Array.from(g.layout), Uint32Array.from(ROWS), -1),
        0,
        `no crc, ${n} rows`,
      );
    }
    for (const f of FAULTS) {
      const g = group(new Rng(4), 200);
      f.edit(g.view(g.bytes));
      assert.equal(
        await check(g.bytes, Float64Array.from(g.layout), Uint32Array.from(ROWS), zlib.crc32(g.bytes)),
        2,
        f.name,
      );
    }
    // without table row counts, indices are not bounded (a day shard)
    const g = group(new Rng(5), 100);
    g.view(g.bytes).tables[0].indices[3] = 1e9;
    assert.equal(await check(g.bytes, Float64Array.from(g.layout), null, -1), 0);
    await assert.rejects(
      async () => check(g.bytes, Float64Array.from([100, D, 0, g.bytes.length]), null, -1),
      /outside the group's bytes/,
    );
  },
);

test("crc32 (the addon's when built) equals zlib.crc32 on every length from 0 to 300 and on large random buffers", () => {
  const rng = new Rng(9);
  const big = new Uint8Array(3_000_017);
  for (let i = 0; i < big.length; i++) big[i] = rng.nextInt(256);
  for (let n = 0; n <= 300; n++)
    assert.equal(crc32(big.subarray(7, 7 + n)), zlib.crc32(big.subarray(7, 7 + n)), `length ${n}`);
  for (const n of [4096, 65_536 + 13, big.length - 1])
    assert.equal(crc32(big.subarray(1, 1 + n)), zlib.crc32(big.subarray(1, 1 + n)), `length ${n}`);
});

test('crc32 continues from a previous value as zlib.crc32(bytes, previous): a buffer checksummed in parts equals it whole', () => {
  const rng = new Rng(11);
  const big = new Uint8Array(1_000_003);
  for (let i = 0; i < big.length; i++) big[i] = rng.nextInt(256);
  const whole = zlib.crc32(big);
  for (const cut of [0, 1, 15, 16, 63, 64, 65, 300, 65_537, big.length]) {
    assert.equal(crc32(big.subarray(cut), crc32(big.subarray(0, cut))), whole, `cut at ${cut}`);
  }
  for (const previous of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
    for (const n of [0, 7, 64, 1000])
      assert.equal(
        crc32(big.subarray(3, 3 + n), previous),
        zlib.crc32(big.subarray(3, 3 + n), previous),
        `previous ${previous}, length ${n}`,
      );
  }
});
