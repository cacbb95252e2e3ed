import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { U32HashTable } from '../../src/preprocess/hashTable';
import { Vocabulary } from '../../src/preprocess/vocabulary';
import { Rng } from '../../src/util/random';

test('U32HashTable agrees with a Map on random keys through many growths', () => {
  const rng = new Rng(5);
  const table = new U32HashTable();
  const map = new Map<number, number>();
  const startCapacity = table.capacity;
  for (let i = 0; i < 200_000; i++) {
    // a mix of wide random keys, small keys (many repeats) and 0
    const r = rng.nextUint32();
    const key = r % 3 === 0 ? rng.nextUint32() : r % 3 === 1 ? rng.nextInt(5000) : 0;
    const v = rng.nextInt(1 << 30);
    if (i % 2 === 0) {
      const got = table.getOrAdd(key, v);
      const want = map.has(key) ? (map.get(key) as number) : v;
      if (!map.has(key)) map.set(key, v);
      assert.equal(got, want);
    } else {
      table.set(key, v);
      map.set(key, v);
    }
  }
  assert.equal(table.size, map.size);
  assert.ok(table.capacity > startCapacity * 64, `capacity ${table.capacity}`);
  assert.ok(table.size <= table.capacity * 0.75);
  for (const [k, v] of map) assert.equal(table.get(k), v);
  for (let i = 0; i < 1000; i++) {
    const k = rng.nextUint32();
    assert.equal(table.get(k), map.has(k) ? map.get(k) : -1);
  }
  let seen = 0;
  table.forEach((k, v) => {
    assert.equal(map.get(k), v);
    seen++;
  });
  assert.equal(seen, map.size);
});

test('U32HashTable.add counts and saturates; the empty marker cannot be stored', () => {
  const t = new U32HashTable();
  assert.equal(t.add(7, 1), 1);
  assert.equal(t.add(7, 5), 6);
  assert.equal(t.add(9, 10, 8), 8);
  assert.equal(t.add(9, 1, 8), 8);
  assert.throws(() => t.set(1, 0xffffffff), /cannot be stored/);
});

test('Vocabulary assigns first-appearance indices and hands out new values once', () => {
  const v = new Vocabulary(0);
  const a = Uint32Array.from([50, 7, 50, 0, 7, 9]);
  v.assign(a, undefined, 0, a.length, a);
  assert.deepEqual([...a], [0, 1, 0, 2, 1, 3]);
  assert.deepEqual([...v.takeNew()], [50, 7, 0, 9]);
  const b = Uint32Array.from([9, 11, 0]);
  v.assign(b, undefined, 1, 3, b); // only [1, 3)
  assert.deepEqual([...b], [9, 4, 2]);
  assert.deepEqual([...v.takeNew()], [11]);
  assert.equal(v.size, 5);
  // a restored vocabulary continues identically
  const r = new Vocabulary(0);
  r.restore(Uint32Array.from([50, 7, 0, 9, 11]));
  const c = Uint32Array.from([11, 12, 50]);
  r.assign(c, undefined, 0, 3, c);
  assert.deepEqual([...c], [4, 5, 0]);
});

test('Vocabulary with min-frequency: frequent values in first-appearance order, rare ones share index F', () => {
  const data = [5, 1, 5, 2, 3, 1, 5, 4, 2, 1];
  for (const restoreAfter of [0, 4]) {
    const v = new Vocabulary(2);
    const all = Uint32Array.from(data);
    v.count(all, undefined, 0, all.length);
    assert.equal(v.finishCounting(), 3); // 5, 1, 2 are seen >= 2 times
    assert.equal(v.rareIndex, 3);
    const a = Uint32Array.from(data);
    if (restoreAfter) {
      // a resumed run: restore the values assigned by the first restoreAfter rows, then continue
      v.restore(Uint32Array.from([5, 1, 2]));
      v.assign(a, undefined, restoreAfter, a.length, a);
      assert.deepEqual([...a.subarray(restoreAfter)], [3, 1, 0, 3, 2, 1]);
    } else {
      v.assign(a, undefined, 0, a.length, a);
      assert.deepEqual([...a], [0, 1, 0, 2, 3, 1, 0, 3, 2, 1]);
      assert.deepEqual([...v.takeNew()], [5, 1, 2]);
    }
  }
});

test('a 64-bit Vocabulary: keys are (hi, lo) pairs, new keys come out as uint64 LE words, restore continues identically', () => {
  const lo = Uint32Array.from([1, 1, 2, 1, 7]);
  const hi = Uint32Array.from([9, 8, 9, 9, 0]);
  const v = new Vocabulary(0, 64);
  const out = new Uint32Array(5);
  v.assign(lo, hi, 0, 5, out);
  assert.deepEqual([...out], [0, 1, 2, 0, 3], 'same lo, other hi: another key');
  const fresh = v.takeNew();
  assert.deepEqual([...fresh], [1, 9, 1, 8, 2, 9, 7, 0]);
  assert.equal(v.indexOf(8, 1), 1);
  assert.equal(v.indexOf(8, 2), -1);
  const r = new Vocabulary(0, 64);
  r.restore(fresh);
  const more = new Uint32Array(2);
  r.assign(Uint32Array.from([2, 5]), Uint32Array.from([9, 5]), 0, 2, more);
  assert.deepEqual([...more], [2, 4]);
  // min-frequency: (9,1) seen twice, the others once: F = 1, the rare key gets index 1
  const m = new Vocabulary(2, 64);
  m.count(lo, hi, 0, 5);
  assert.equal(m.finishCounting(), 1);
  const idx = new Uint32Array(5);
  m.assign(lo, hi, 0, 5, idx);
  assert.deepEqual([...idx], [0, 1, 1, 0, 1]);
  assert.equal(m.indexOf(8, 1), -1, 'a rare key has no row of its own');
});
