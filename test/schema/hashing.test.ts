// The 64-bit string hash (FNV-1a 64, checked against the published test vectors and a BigInt
// implementation) and the 64-bit-key hash table (checked against a Map over many colliding-prefix keys,
// through several growths).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fnv1a64String } from '../../src/rawformat/hash64';
import { U64HashTable } from '../../src/preprocess/u64HashTable';
import { Rng } from '../../src/util/random';

function fnvBigInt(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

test('fnv1a64 matches the published vectors and a BigInt implementation', () => {
  assert.equal(fnv1a64String(''), 0xcbf29ce484222325n);
  assert.equal(fnv1a64String('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64String('foobar'), 0x85944171f73967e8n);
  const rng = new Rng(5);
  for (let i = 0; i < 300; i++) {
    const s = Array.from({ length: rng.nextInt(40) }, () => String.fromCharCode(32 + rng.nextInt(400))).join('');
    assert.equal(fnv1a64String(s), fnvBigInt(s), JSON.stringify(s));
  }
});

test('U64HashTable agrees with a Map through growth', () => {
  const t = new U64HashTable();
  const m = new Map<string, number>();
  const rng = new Rng(9);
  for (let i = 0; i < 20000; i++) {
    // keys sharing hi or lo words probe the full 64-bit comparison
    const hi = rng.nextInt(4),
      lo = rng.nextInt(8000);
    const key = `${hi}:${lo}`;
    const want = m.get(key) ?? m.size;
    m.set(key, want);
    assert.equal(t.getOrAdd(hi, lo, m.size - 1), want);
  }
  assert.equal(t.size, m.size);
  for (const [key, v] of m) {
    const [hi, lo] = key.split(':').map(Number);
    assert.equal(t.get(hi, lo), v);
  }
  assert.equal(t.get(7, 7), -1);
  t.increment(7, 7);
  t.increment(7, 7);
  assert.equal(t.get(7, 7), 2);
});
