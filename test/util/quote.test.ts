import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { changeLine, quoteInput, showValue } from '../../src/util/quote';

test('quoteInput escapes every control character and cuts long values', () => {
  assert.equal(quoteInput('abc'), "'abc'");
  assert.equal(quoteInput('a\rb\nc\td'), "'a\\rb\\nc\\td'");
  assert.equal(quoteInput('\x00\x1b[2J\x7f\x85'), "'\\x00\\x1b[2J\\x7f\\x85'");
  assert.equal(quoteInput('x'.repeat(41)), `'${'x'.repeat(40)}'...`);
  assert.equal(quoteInput('é ü 中'), "'é ü 中'");
  for (let c = 0; c < 0xa0; c++) {
    if (c >= 0x20 && c < 0x7f) continue;
    assert.doesNotMatch(
      quoteInput(`a${String.fromCharCode(c)}b`),
      // eslint-disable-next-line no-control-regex -- control characters are what it looks for
      /[\u0000-\u001f\u007f-\u009f]/,
      `U+${c.toString(16)}`,
    );
  }
});

test('changeLine names the setting with its old and new value', () => {
  assert.equal(changeLine('--max-ind-range', 10_000_000, 5_000_000), '--max-ind-range: was 10000000, now 5000000');
  assert.equal(changeLine('input 2', undefined, '/d/day_1'), "input 2: was (none), now '/d/day_1'");
  assert.equal(showValue({ a: [1] }), `'{"a":[1]}'`);
  assert.equal(showValue(false), 'false');
});
