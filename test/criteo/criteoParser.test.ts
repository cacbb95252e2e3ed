import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeColumns, CriteoParser, log1pFloat32 } from '../../src/rawformat/criteoParser';
import type { ParseOptions } from '../../src/rawformat/rowParser';
import { compileLayout } from '../../src/rawformat/layout';
import { loadSchemaPreset } from '../../src/criteo/schemaPresets';
import { subsampleDraw } from '../../src/rawformat/subsample';

const layout = compileLayout(loadSchemaPreset('kaggle'));
const base: ParseOptions = { maxIndRange: -1, subsampleRate: 0, seed: 0, skipInvalid: false, partitionBounds: [0, 26] };

function line(label: string, dense: string[], cats: string[]): string {
  return [label, ...dense, ...cats].join('\t') + '\n';
}
const D13 = (v: string): string[] => new Array<string>(13).fill(v);
const C26 = (v: string): string[] => new Array<string>(26).fill(v);

function parse(text: string, opts: Partial<ParseOptions> = {}, day = 0, firstLine = 0) {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  const lines = text.split('\n').length - 1;
  return new CriteoParser(layout, { ...base, ...opts }).parseBlock(bytes, bytes.length, day, firstLine, lines);
}

test('parses label, dense (clip at 0, log(x+1) float32) and hex categories', () => {
  const dense = ['1', '-2', '', '0', '1382', '65535', '65536', '123456789012345', '7', '', '3', '-1', '5'];
  const cats = ['68fd1e64', '', '0', 'ffffffff', 'FFFFFFFF', 'a', '1', ...C26('00000010').slice(7)];
  const b = parse(line('1', dense, cats) + line('0', D13(''), C26('')));
  assert.equal(b.lines, 2);
  assert.equal(b.rows, 2);
  assert.deepEqual([...b.labels.subarray(0, 2)], [1, 0]);
  const want = dense.map((s) => Math.fround(Math.log(Math.max(0, Number(s || '0')) + 1)));
  for (let k = 0; k < 13; k++) assert.equal(b.dense[k], want[k], `dense ${k}`);
  assert.equal(b.dense[7], log1pFloat32(123456789012345));
  for (let k = 0; k < 13; k++) assert.equal(b.dense[13 + k], 0);
  const cap = b.capacity;
  const cat = (t: number, r: number): number => b.parts[0][t * cap + r];
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((t) => cat(t, 0)),
    [0x68fd1e64, 0, 0, 0xffffffff, 0xffffffff, 10, 1, 16],
  );
  for (let t = 0; t < 26; t++) assert.equal(cat(t, 1), 0);
});

test('--max-ind-range takes the value modulo M and partitions split tables table-major', () => {
  const cats = Array.from({ length: 26 }, (_, t) => (1000 + t).toString(16));
  const b = parse(line('0', D13('1'), cats) + line('1', D13('2'), C26('ff')), {
    maxIndRange: 7,
    partitionBounds: [0, 13, 26],
  });
  assert.equal(b.parts.length, 2);
  assert.equal(b.parts[0].length, 13 * 2);
  for (let t = 0; t < 26; t++) {
    const p = t < 13 ? 0 : 1,
      l = t < 13 ? t : t - 13;
    assert.equal(b.parts[p][l * 2], (1000 + t) % 7);
    assert.equal(b.parts[p][l * 2 + 1], 255 % 7);
  }
});

test('bad fields are reported with their 1-based field number and text', () => {
  const cases: [string, number | undefined, RegExp][] = [
    [line('2', D13('1'), C26('a')), 1, /'2' is not 0 or 1/],
    [line('', D13('1'), C26('a')), 1, /'' is not 0 or 1/],
    [line('01', D13('1'), C26('a')), 1, /not 0 or 1/],
    [line('0', ['1.5', ...D13('1').slice(1)], C26('a')), 2, /'1.5' is not an integer/],
    [line('0', ['-', ...D13('1').slice(1)], C26('a')), 2, /'-' is not an integer/],
    [line('0', ['1234567890123456', ...D13('1').slice(1)], C26('a')), 2, /out of range/],
    [line('0', D13('1'), ['123456789', ...C26('a').slice(1)]), 15, /'123456789' is not 1 to 8 hex digits/],
    [line('0', D13('1'), ['1', '12g4', ...C26('a').slice(2)]), 16, /'12g4' is not 1 to 8 hex digits/],
    [line('0', D13('1'), ['0x12', ...C26('a').slice(1)]), 15, /not 1 to 8 hex digits/],
  ];
  for (const [text, field, msg] of cases) {
    const b = parse(line('0', D13('1'), C26('a')) + text);
    assert.equal(b.rows, 1, text);
    assert.ok(b.firstError, text);
    assert.equal(b.firstError.line, 1);
    assert.equal(b.firstError.field, field, text);
    assert.match(b.firstError.message, msg);
  }
});

test('wrong field counts are reported, and a 39-field line is named an unlabelled test line', () => {
  const short = [...D13('1'), ...C26('a')].join('\t') + '\n';
  let b = parse(short);
  assert.equal(b.firstError?.field, undefined);
  assert.match(
    b.firstError?.message ?? '',
    /39 fields, expected 40 \(label, I1\.\.I13, C1\.\.C26\).*unlabelled test-file line/,
  );
  b = parse(line('0', D13('1'), [...C26('a'), 'b']));
  assert.match(b.firstError?.message ?? '', /41 fields, expected 40/);
  b = parse('\n');
  assert.match(b.firstError?.message ?? '', /1 fields, expected 40/);
  assert.equal(describeColumns(layout), 'label, I1..I13, C1..C26');
});

test('--skip-invalid-lines counts bad lines and keeps the rest in order', () => {
  const good = (i: number): string => line(String(i % 2), D13(String(i)), C26(i.toString(16)));
  const text = good(1) + 'garbage\n' + good(2) + line('0', D13('x'), C26('a')) + good(3);
  const b = parse(text, { skipInvalid: true });
  assert.equal(b.lines, 5);
  assert.equal(b.rows, 3);
  assert.equal(b.invalidLines, 2);
  assert.equal(b.firstError?.line, 1);
  assert.deepEqual(
    [0, 1, 2].map((r) => b.parts[0][r]),
    [1, 2, 3],
  );
  const stopped = parse(text);
  assert.equal(stopped.lines, 2);
  assert.equal(stopped.rows, 1);
});

test('sub-sampling drops label-0 lines iff their seeded draw < rate, never label-1 lines', () => {
  const n = 4000;
  let text = '';
  for (let i = 0; i < n; i++) text += line(i % 4 === 0 ? '1' : '0', D13('1'), C26(i.toString(16)));
  const rate = 0.6,
    seed = 11,
    day = 3,
    first = 500;
  const b = parse(text, { subsampleRate: rate, seed }, day, first);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (i % 4 === 0 || subsampleDraw(seed, day, first + i) >= rate) kept.push(i);
  assert.equal(b.rows, kept.length);
  assert.deepEqual(Array.from(b.parts[0].subarray(0, b.rows)), kept);
  const zeros = n - n / 4;
  const dropped = n - kept.length;
  assert.ok(Math.abs(dropped / zeros - rate) < 0.05, `dropped ${dropped} of ${zeros}`);
  assert.notDeepEqual(
    Array.from(parse(text, { subsampleRate: rate, seed: 12 }, day, first).parts[0].subarray(0, 50)),
    kept.slice(0, 50),
  );
});

test('decimal categorical columns and a custom delimiter go through the same parser', () => {
  const l = compileLayout({
    delimiter: ',',
    header: false,
    columns: ['y', 'ignore', 'a', 'k'],
    label: { name: 'y' },
    dense: [{ name: 'a', transform: 'none' }],
    categorical: [{ name: 'k', encoding: 'decimal' }],
  });
  const p = new CriteoParser(l, { ...base, partitionBounds: [0, 1] });
  const bytes = new Uint8Array(Buffer.from('1,zz,-5,4294967295\n0,,7,12\n0,,7,4294967296\n'));
  const b = p.parseBlock(bytes, bytes.length, 0, 0, 3);
  assert.equal(b.rows, 2);
  assert.deepEqual([...b.dense.subarray(0, 2)], [-5, 7]);
  assert.deepEqual([...b.parts[0].subarray(0, 2)], [4294967295, 12]);
  assert.equal(b.firstError?.field, 4);
  assert.match(b.firstError?.message ?? '', /unsigned 32-bit decimal/);
});

test('CRLF line endings parse exactly as LF, in the JS parser alone too', () => {
  const lf = line('1', D13('7'), C26('abc')) + line('0', D13(''), C26('')) + line('1', D13('-3'), C26('FFFFFFFF'));
  const crlf = lf.replace(/\n/g, '\r\n');
  for (const kernels of [undefined, null]) {
    const parseWith = (text: string) => {
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      return new CriteoParser(layout, base, kernels).parseBlock(bytes, bytes.length, 0, 0, 3);
    };
    const a = parseWith(lf),
      b = parseWith(crlf);
    assert.equal(b.firstError, undefined, b.firstError?.message);
    assert.equal(b.rows, 3);
    assert.deepEqual(b.labels, a.labels);
    assert.deepEqual(b.dense, a.dense);
    assert.deepEqual(b.parts, a.parts);
  }
  // the general path (a layout off the Criteo fast path), with each role last on the line
  const layoutEnding = (last: 'k' | 'a' | 'ignore') =>
    compileLayout({
      delimiter: ',',
      header: false,
      columns: [...['y', 'a', 'k', 'ignore'].filter((c) => c !== last), last],
      label: { name: 'y' },
      dense: [{ name: 'a', transform: 'none' }],
      categorical: [{ name: 'k', encoding: 'decimal' }],
    });
  for (const last of ['k', 'a', 'ignore'] as const) {
    const l = layoutEnding(last);
    const rows = [
      ['1', '-5', '4294967295', 'x'],
      ['0', '', '12', ''],
      ['1', '7', '', 'yy'],
    ];
    const order = [...['y', 'a', 'k', 'ignore'].filter((c) => c !== last), last].map((c) =>
      ['y', 'a', 'k', 'ignore'].indexOf(c),
    );
    const text = rows.map((r) => order.map((i) => r[i]).join(',') + '\n').join('');
    const parseGeneral = (t: string) => {
      const bytes = new Uint8Array(Buffer.from(t, 'latin1'));
      return new CriteoParser(l, { ...base, partitionBounds: [0, 1] }, null).parseBlock(bytes, bytes.length, 0, 0, 3);
    };
    const want = parseGeneral(text),
      got = parseGeneral(text.replace(/\n/g, '\r\n'));
    assert.equal(want.rows, 3, want.firstError?.message);
    assert.equal(got.firstError, undefined, `${last} last: ${got.firstError?.message}`);
    assert.deepEqual([got.labels, got.dense, got.parts], [want.labels, want.dense, want.parts]);
  }
});

test('a carriage return inside a line is an error whose message shows it escaped, never raw', () => {
  const b = parse(line('0', D13('1'), ['ab\rcd', ...C26('a').slice(1)]));
  assert.equal(b.firstError?.field, 15);
  assert.match(b.firstError?.message ?? '', /'ab\\rcd' holds a carriage return \('\\r'\) that does not end the line/);
  const twice = parse(line('0', D13('1'), C26('a')).replace('\n', '\r\r\n'));
  assert.equal(twice.firstError?.field, 40);
  for (const m of [b.firstError?.message, twice.firstError?.message])
    for (const c of ['\r', '\n', '\x1b']) assert.ok(!(m ?? '').includes(c), `${JSON.stringify(c)} in ${m}`);
  const esc = parse(line('0', D13('1'), ['z\x1b[2J', ...C26('a').slice(1)]));
  assert.match(esc.firstError?.message ?? '', /'z\\x1b\[2J' is not 1 to 8 hex digits/);
});
