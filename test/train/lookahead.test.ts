// lookahead: hands out every item of the source in order, requests item k+1 before item k reaches the
// consumer, surfaces a source's error, and returns the source when the consumer stops early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookahead } from '../../src/train/lookahead';

test('lookahead hands out items in order, item k+1 requested before item k is handed out', async () => {
  const events: string[] = [];
  async function* source(): AsyncGenerator<number> {
    for (let k = 0; k < 4; k++) {
      events.push(`make ${k}`);
      await Promise.resolve();
      yield k;
    }
  }
  const got: number[] = [];
  for await (const k of lookahead(source())) {
    events.push(`got ${k}`);
    got.push(k);
  }
  assert.deepEqual(got, [0, 1, 2, 3]);
  for (let k = 0; k < 3; k++)
    assert.ok(events.indexOf(`make ${k + 1}`) < events.indexOf(`got ${k}`), events.join(', '));
});

test('lookahead surfaces the source error and returns the source when the consumer stops', async () => {
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    throw new Error('disk gone');
  }
  await assert.rejects(async () => {
    for await (const _ of lookahead(failing())) void _;
  }, /disk gone/);
  let closed = false;
  async function* endless(): AsyncGenerator<number> {
    try {
      for (let k = 0; ; k++) yield k;
    } finally {
      closed = true;
    }
  }
  for await (const k of lookahead(endless())) if (k === 2) break;
  assert.equal(closed, true);
});
