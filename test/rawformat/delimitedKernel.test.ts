// The native delimited block parser (src/rawformat/csrc/delimitedBlockParser.cc) against its JS twin:
// DelimitedBlockParser with the addon's kernels and with none (null) on the same random blocks must give
// identical ParsedBlocks (lines, rows, labels, dense, raw dense, every table's lo/hi/offsets, row lines,
// dates, invalid lines, first error). The blocks hold CSV quoting ("" escapes, delimiters inside quotes,
// UTF-8), CRLF and LF endings, empty lines, a byte-order mark and a header, empty fields, multi-hot bags
// with empty elements, hex/decimal/string keys, dense values that are not plain decimals (exponents,
// spaces: the kernel's fixups), --max-ind-range folding and sub-sampling. Blocks with a bad line
// (wrong field count, label, hex, decimal, number, quoting) must be declined by the kernel (-1) and give
// the JS parser's file:line:field error, with and without --skip-invalid-lines. Skips with the reason when
// the addon is not built (fails instead when DLRM_REQUIRE_NATIVE is set).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DelimitedBlockParser } from '../../src/rawformat/delimitedParser';
import { nativePreprocessKernels, type PreprocessKernels } from '../../src/rawformat/nativeKernels';
import type { ParsedBlock, ParseOptions } from '../../src/rawformat/rowParser';
import type { ColumnSchema } from '../../src/rawformat/schema';
import { Rng } from '../../src/util/random';
import { nativeSkip } from '../engine/nativeAddonForTests';

const kernels = nativePreprocessKernels();
const skip =
  nativeSkip || (kernels?.parseDelimitedBlock ? false : 'the native addon predates parseDelimitedBlock (rebuild it)');

const SCHEMA: ColumnSchema = {
  delimiter: ',',
  header: true,
  quoted: true,
  columns: ['click', 'day', 'country', 'ignore', 'ad', 'user', 'tags', 'price', 'count', 'score', 'codes'],
  label: { name: 'click' },
  dense: [
    { name: 'price', transform: 'log1p' },
    { name: 'count', transform: 'none' },
    { name: 'score', transform: 'standardize', mean: 0.5, std: 2 },
  ],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'ad', encoding: 'hex' },
    { name: 'user', encoding: 'decimal' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
    { name: 'codes', encoding: 'decimal', multiHotSeparator: ';' },
  ],
  split: { by: 'date', column: 'day', test: '2024-01-05' },
};
const HEADER = SCHEMA.columns.join(',');

const base: ParseOptions = {
  maxIndRange: -1,
  subsampleRate: 0,
  seed: 0,
  skipInvalid: false,
  partitionBounds: [0, SCHEMA.categorical.length],
  skipHeader: true,
  rawDense: true,
};

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)];
}

/** A CSV field: quoted (with "" escapes when it holds a quote) at random, always when it must be. */
function csv(rng: Rng, text: string): string {
  const must = /[",]/.test(text);
  return must || rng.nextInt(8) === 0 ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A random valid line (no '\n'). */
function randomLine(rng: Rng): string {
  const dense = (): string =>
    pick(rng, [
      '',
      String(rng.nextInt(1000)),
      `${rng.nextInt(1000)}.${rng.nextInt(100)}`,
      `-${rng.nextInt(50)}`,
      '-0',
      ` ${rng.nextInt(90)} `,
      `${rng.nextInt(9)}e${rng.nextInt(4)}`,
      '1234567890123456',
      '0.000001',
      '  ',
    ]);
  const tags = Array.from({ length: rng.nextInt(5) }, () => pick(rng, ['a', 'news', 'Zürich', '', 'x y', 'q"t']));
  return [
    String(rng.nextInt(2)),
    `2024-01-0${1 + rng.nextInt(7)}`,
    csv(rng, pick(rng, ['fr', 'de', '', 'Paris, FR', 'say "hi"', 'Zürich', ' sp '])),
    csv(rng, pick(rng, ['junk', '', 'x,y'])),
    pick(rng, ['', '0', 'ff', 'DEADbeef', (rng.nextUint32() >>> 0).toString(16)]),
    pick(rng, ['', '0', '4294967295', String(rng.nextUint32())]),
    csv(rng, tags.join('|')),
    csv(rng, dense()),
    dense(),
    dense(),
    Array.from({ length: rng.nextInt(4) }, () => String(rng.nextInt(100000))).join(';'),
  ].join(',');
}

/** A block of `n` lines: CRLF or LF endings, some empty lines, a BOM and the header when first. */
function randomBlock(rng: Rng, n: number, first: boolean, bad?: string): { bytes: Uint8Array; lines: number } {
  const lines: string[] = [];
  if (first) lines.push(`\ufeff${HEADER}`);
  const badAt = bad === undefined ? -1 : 1 + rng.nextInt(n - 1);
  for (let i = 0; i < n; i++) {
    if (i === badAt) lines.push(bad as string);
    else lines.push(rng.nextInt(20) === 0 ? '' : randomLine(rng));
  }
  const text = lines.map((l) => l + (rng.nextInt(3) === 0 ? '\r\n' : '\n')).join('');
  return { bytes: new Uint8Array(Buffer.from(text, 'utf8')), lines: lines.length };
}

/** Every field of a block, cut to its rows (the kernel's arrays may be longer). */
function plain(b: ParsedBlock): object {
  const D = b.dense.length / b.capacity;
  return {
    lines: b.lines,
    rows: b.rows,
    labels: [...b.labels.subarray(0, b.rows)],
    dense: [...b.dense.subarray(0, b.rows * D)],
    rawDense: b.rawDense && [...b.rawDense],
    keys: b.keys.map((k) => ({
      lo: [...k.lo],
      hi: k.hi && [...k.hi],
      offsets: k.offsets && [...k.offsets.subarray(0, b.rows + 1)],
    })),
    rowLines: b.rowLines && [...b.rowLines],
    dates: b.dates,
    invalidLines: b.invalidLines,
    firstError: b.firstError,
  };
}

/** The kernel's return values since the last reset, so a test knows which path it took. */
const results: number[] = [];
const counting: PreprocessKernels | undefined = kernels && {
  ...kernels,
  parseDelimitedBlock: (args) => {
    const rows = (kernels.parseDelimitedBlock as NonNullable<PreprocessKernels['parseDelimitedBlock']>)(args);
    results.push(rows);
    return rows;
  },
};

function both(opts: ParseOptions, bytes: Uint8Array, day: number, firstLine: number, lines: number) {
  const native = new DelimitedBlockParser(SCHEMA, opts, counting).parseBlock(
    bytes,
    bytes.length,
    day,
    firstLine,
    lines,
  );
  const js = new DelimitedBlockParser(SCHEMA, opts, null).parseBlock(bytes, bytes.length, day, firstLine, lines);
  return { native, js };
}

test('native and JS delimited parsers give identical blocks on random valid lines', { skip }, () => {
  const rng = new Rng(12);
  const variants: Partial<ParseOptions>[] = [
    {},
    { maxIndRange: 1000 },
    { subsampleRate: 0.5, seed: 7 },
    { rawDense: false, withLabel: true, skipHeader: false },
  ];
  for (let i = 0; i < 40; i++) {
    const opts = { ...base, ...variants[i % variants.length] };
    const first = i % 3 === 0 && opts.skipHeader === true;
    const { bytes, lines } = randomBlock(rng, 1 + rng.nextInt(300), first);
    results.length = 0;
    const { native, js } = both(opts, bytes, first ? 0 : 1, first ? 0 : 1000 * i, lines);
    assert.ok(
      results.some((r) => r >= 0),
      `block ${i}: the kernel read it (returned ${results.join(', ')})`,
    );
    assert.equal(js.firstError, undefined, `block ${i} is valid: ${js.firstError?.message}`);
    assert.deepEqual(plain(native), plain(js), `block ${i}`);
  }
});

test('a block with many keys per bag is retried with larger arrays (-2), then read natively', { skip }, () => {
  const rows = Array.from({ length: 50 }, (_, r) => `1,2024-01-01,fr,,ff,${r},${'t|'.repeat(30)}u,1,2,3,1;2;3`);
  const bytes = new Uint8Array(Buffer.from(rows.map((l) => `${l}\n`).join('')));
  results.length = 0;
  const { native, js } = both({ ...base, skipHeader: false }, bytes, 1, 0, rows.length);
  assert.deepEqual(results, [-2, 50]);
  assert.equal(native.keys[3].lo.length, 50 * 31);
  assert.deepEqual(plain(native), plain(js));
});

test('blocks with a bad line are declined by the kernel and give the JS parser error', { skip }, () => {
  const bad = [
    '2,2024-01-01,fr,,ff,1,a,1,2,3,', // label
    '1,2024-01-01,fr,,xyz,1,a,1,2,3,', // hex
    '1,2024-01-01,fr,,ff,4294967296,a,1,2,3,', // decimal out of range
    '1,2024-01-01,"fr,,ff,1,a,1,2,3,', // no closing quote
    '1,2024-01-01,"fr"x,,ff,1,a,1,2,3,', // text after the closing quote
    '1,2024-01-01,fr,,ff,1,a,1,2,3', // a field short
    '1,2024-01-01,fr,,ff,1,a,1,2,3,1;x', // a list element that is not decimal
  ];
  // dense fields that are not plain decimals go to Number() after the kernel: the block is then read by JS
  const badNumbers = ['1,2024-01-01,fr,,ff,1,a,abc,2,3,', '1,2024-01-01,fr,,ff,1,a,"1e999",2,3,'];
  const rng = new Rng(5);
  for (const skipInvalid of [false, true]) {
    for (const line of [...bad, ...badNumbers]) {
      const { bytes, lines } = randomBlock(rng, 60, false, line);
      results.length = 0;
      const { native, js } = both({ ...base, skipInvalid }, bytes, 1, 500, lines);
      assert.ok(js.firstError, `${line}: the JS parser finds the bad line`);
      if (bad.includes(line)) assert.equal(results.at(-1), -1, `${line}: the kernel declines the block`);
      else assert.ok((results.at(-1) ?? -1) >= 0, `${line}: the kernel reads the block, Number() refuses the field`);
      assert.deepEqual(plain(native), plain(js), line);
    }
  }
});

test('a dense field with "" escapes in quotes is left to the JS parser', { skip }, () => {
  const bytes = new Uint8Array(Buffer.from('1,2024-01-01,fr,,ff,1,a,"1""",2,3,\n'));
  results.length = 0;
  const { native, js } = both({ ...base, skipHeader: false }, bytes, 1, 0, 1);
  assert.deepEqual(results, [-1]);
  assert.match(js.firstError?.message ?? '', /is not a number/);
  assert.deepEqual(plain(native), plain(js));
});
