import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../src/util/random';

test('Rng is deterministic per seed and differs across seeds', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xa = Array.from({ length: 8 }, () => a.nextUint32());
  const xb = Array.from({ length: 8 }, () => b.nextUint32());
  const xc = Array.from({ length: 8 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test('Rng.next is uniform on [0,1) and normal() has mean 0, variance 1', () => {
  const r = new Rng(7);
  const n = 200_000;
  let s = 0,
    s2 = 0,
    lo = 1,
    hi = 0,
    ns = 0,
    ns2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    s += u;
    s2 += u * u;
    lo = Math.min(lo, u);
    hi = Math.max(hi, u);
    const z = r.normal();
    ns += z;
    ns2 += z * z;
  }
  assert.ok(lo >= 0 && hi < 1);
  assert.ok(Math.abs(s / n - 0.5) < 0.005, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1 / 3) < 0.005);
  assert.ok(Math.abs(ns / n) < 0.01, `normal mean ${ns / n}`);
  assert.ok(Math.abs(ns2 / n - 1) < 0.02, `normal var ${ns2 / n}`);
});

test('Rng.nextInt stays in range and shuffle is a permutation', () => {
  const r = new Rng(1);
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < 50_000; i++) counts[r.nextInt(5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts.join(',')}`);
  const a = r.shuffle(Uint32Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.throws(() => r.nextInt(0), /n=0/);
});
