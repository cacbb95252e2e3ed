// Tests of the radix sort used by the AUC: it must equal the built-in numeric sort, for negatives,
// zeros of both signs, infinities, ties and lengths on both sides of the small-array cutoff.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { sortFloat32 } from '../../src/eval/sortFloat32';
import { Rng } from '../../src/util/random';

test('sortFloat32 equals the built-in sort on mixed-sign values with ties', () => {
  const rng = new Rng(3);
  for (const n of [0, 1, 7, 4095, 4096, 50_000]) {
    const v = Float32Array.from({ length: n }, (_, i) => {
      if (i % 97 === 0) return [-0, 0, Infinity, -Infinity, 1e-40][i % 5];
      return rng.next() < 0.3 ? Math.round(rng.normal() * 4) / 4 : rng.normal() * 1000;
    });
    const want = Float32Array.from(v).sort();
    const got = sortFloat32(Float32Array.from(v));
    // compare numerically: the built-in sort may order -0 and +0 either way
    for (let i = 0; i < n; i++) assert.ok(got[i] === want[i], `n=${n} i=${i}: ${got[i]} vs ${want[i]}`);
    for (let i = 0; i < n; i++) assert.ok(!Object.is(got[i], -0), 'no -0 left');
  }
});
