// float32Text: the text reads back as the same float32 and is the shortest such decimal (checked against a
// plain scan over every precision 1..9) for random probabilities of several magnitudes, signed values of
// any size (dense features in `dlrm inspect`) and special values.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { float32Text } from '../../src/util/float32Text';
import { Rng } from '../../src/util/random';

function shortestByScan(x: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  throw new Error(`no precision round-trips ${x}`);
}

test('round-trips and is the shortest decimal, for random float32 values', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround(rng.next() * 10 ** -rng.nextInt(12));
    const text = float32Text(x);
    assert.equal(Math.fround(Number(text)), x, text);
    assert.equal(text, shortestByScan(x), `shortest text of ${x}`);
  }
});

test('round-trips and is the shortest decimal, for signed float32 values of any magnitude', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround((rng.next() < 0.5 ? -1 : 1) * rng.next() * 10 ** (rng.nextInt(20) - 10));
    const text = float32Text(x);
    assert.equal(Math.fround(Number(text)), x, text);
    assert.equal(text, shortestByScan(x), `shortest text of ${x}`);
  }
});

test('special and short values', () => {
  assert.equal(float32Text(0), '0');
  assert.equal(float32Text(1), '1');
  assert.equal(float32Text(0.5), '0.5');
  assert.equal(float32Text(Math.fround(0.1)), '0.1');
  assert.equal(float32Text(Math.fround(0.6931471824645996)), '0.6931472');
  assert.equal(float32Text(-2.5), '-2.5');
  assert.equal(float32Text(Math.fround(Math.log1p(1000))), '6.908755');
  assert.equal(float32Text(NaN), 'NaN');
  assert.equal(float32Text(-Infinity), '-Infinity');
});
