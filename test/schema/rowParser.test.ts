// The custom-schema row parser on its own: dense numbers read without strings agree with Number() on
// random decimals, CSV quoting ("" escapes, delimiters inside quotes), CRLF line ends, multi-hot lists with
// empty elements and an empty list, the missing keys, and --max-ind-range folding of 64-bit hashes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DelimitedRowParser } from '../../src/rawformat/delimitedParser';
import { forEachLine } from '../../src/rawformat/blockReader';
import { fnv1a64String } from '../../src/rawformat/hash64';
import type { ColumnSchema } from '../../src/rawformat/schema';
import { Rng } from '../../src/util/random';

const schema: ColumnSchema = {
  delimiter: ',',
  header: false,
  quoted: true,
  columns: ['y', 'x', 'name', 'tags', 'ignore'],
  label: { name: 'y' },
  dense: [{ name: 'x', transform: 'none' }],
  categorical: [
    { name: 'name', encoding: 'string' },
    { name: 'tags', encoding: 'hex', multiHotSeparator: '|' },
  ],
};
const key = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

function parse(p: DelimitedRowParser, line: string): ReturnType<DelimitedRowParser['parse']> {
  const b = Buffer.from(line, 'utf8');
  return p.parse(b, 0, b.length);
}

test('dense values equal Number() of the text', () => {
  const p = new DelimitedRowParser(schema, 0);
  const rng = new Rng(1);
  for (let i = 0; i < 20000; i++) {
    const t = (rng.next() < 0.5 ? '-' : '') + (rng.next() * 10 ** rng.nextInt(12)).toFixed(rng.nextInt(6));
    assert.equal(parse(p, `1,${t},a,,`), null);
    assert.equal(p.dense[0], Number(t), t);
  }
  for (const t of ['1e3', '.5', '5.', '007', ' 12 ']) {
    assert.equal(parse(p, `0,${t},a,,`), null);
    assert.equal(p.dense[0], Number(t), t);
  }
  assert.ok(Number.isNaN((parse(p, '0,,a,,'), p.dense[0])), 'empty is missing');
  assert.deepEqual(parse(p, '0,12abc,a,,'), { field: 2, message: "'12abc' is not a number" });
});

test('quotes, CRLF, multi-hot lists and missing keys', () => {
  const p = new DelimitedRowParser(schema, 0);
  assert.equal(parse(p, '1,2,"Paris, ""FR""",a|ff||0c,zzz\r'), null);
  assert.equal(p.label, 1);
  assert.equal(key(p.bags[0].hi[0], p.bags[0].lo[0]), fnv1a64String('Paris, "FR"'));
  assert.deepEqual(
    Array.from(p.bags[1].lo.subarray(0, p.bags[1].n)),
    [0xa, 0xff, 0xc],
    'empty list elements are skipped',
  );
  assert.equal(parse(p, '0,2,,,'), null);
  assert.equal(key(p.bags[0].hi[0], p.bags[0].lo[0]), fnv1a64String(''), 'an empty string field is the hash of ""');
  assert.equal(p.bags[1].n, 0, 'an empty multi-hot field is an empty bag');
  assert.deepEqual(p.missingKey(0), [0xcbf29ce4, 0x84222325]);
  assert.deepEqual(parse(p, '0,2,a,xyz,'), { field: 4, message: "list element 'xyz' is not 1 to 8 hex digits" });
  assert.deepEqual(parse(p, '0,2,"a,'), {
    field: 3,
    message: 'has an opening quote without a closing one (quoted fields cannot span lines)',
  });
  assert.equal(parse(p, '0,2,a')?.field, undefined, 'a wrong field count names no field');
  assert.deepEqual(parse(p, '2,2,a,,'), { field: 1, message: "'2' is not 0 or 1" });
});

test('--max-ind-range folds 64-bit hashes exactly', () => {
  for (const M of [7, 1000, 10_000_000, 4294967295]) {
    const p = new DelimitedRowParser(schema, M);
    for (const s of ['a', 'user-123', 'Zürich', '']) {
      assert.equal(parse(p, `0,1,${s},,`), null);
      assert.equal(p.bags[0].hi[0], 0);
      assert.equal(BigInt(p.bags[0].lo[0]), fnv1a64String(s) % BigInt(M), `${s} mod ${M}`);
    }
  }
});

test('forEachLine: a UTF-8 BOM, CRLF and empty lines', () => {
  const bytes = Buffer.from('\ufeffclick,x\r\n\n1,2\r\n0,3\n', 'utf8');
  const seen: [string, number][] = [];
  const lines = forEachLine(bytes, bytes.length, 1, (s, e, n) => seen.push([bytes.subarray(s, e).toString('utf8'), n]));
  assert.equal(lines, 4);
  assert.deepEqual(seen, [
    ['click,x\r', 1],
    ['1,2\r', 3],
    ['0,3', 4],
  ]);
});
