// The one field convention of parser errors (src/util/errors.ts fieldText / inputError): a field is named by
// its 1-based position among the line's fields, with the column's name when known; a field that has no
// position (a JSON key that is no column) by its name alone.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fieldText, inputError } from '../../src/util/errors';

test('fieldText: 1-based position and name, the position alone, or a name alone', () => {
  assert.equal(fieldText(1, 'label'), '1 (label)');
  assert.equal(fieldText(15, 'C1'), '15 (C1)');
  assert.equal(fieldText(3), '3');
  assert.equal(fieldText('X9'), 'X9');
});

test('inputError: file:line: field N (name): message, each part only when given', () => {
  assert.equal(
    inputError({ file: 'a.txt', line: 2, field: 6, fieldName: 'I5' }, "'12x' is not an integer").message,
    "a.txt:2: field 6 (I5): '12x' is not an integer",
  );
  assert.equal(inputError({ file: 'a.txt', line: 2, field: 6 }, 'bad').message, 'a.txt:2: field 6: bad');
  assert.equal(
    inputError({ file: 'm.jsonl', line: 7, field: 'runId' }, 'missing').message,
    'm.jsonl:7: field runId: missing',
  );
  assert.equal(inputError({ file: 'a.txt', line: 9 }, 'too few fields').message, 'a.txt:9: too few fields');
  assert.equal(inputError({ file: 'a.txt' }, 'empty').message, 'a.txt: empty');
});
