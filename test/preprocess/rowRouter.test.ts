// The one RowRouter: a blocks router cuts data lines into the reference's day sizes (the last block the
// halved holdout) and routes lines in any order; a date router's training days are the dates before `test`
// in date order, later dates test or val; a random router draws test/val per line, seeded and repeatable.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { kaggleDaySizes } from '../../src/criteo/rawSources';
import { blocksRouter, splitRouter, TEST, VAL } from '../../src/preprocess/rowRouter';

test('blocks: the reference day sizes, the last block the halved holdout, lines routed in any order', () => {
  const r = blocksRouter(100, 7);
  assert.deepEqual(r.dayLines, kaggleDaySizes(100, 7));
  assert.deepEqual(r.trainDays, ['day_0', 'day_1', 'day_2', 'day_3', 'day_4', 'day_5']);
  assert.ok(r.halved && r.contiguous);
  const expected: number[] = [];
  kaggleDaySizes(100, 7).forEach((n, d) => expected.push(...new Array<number>(n).fill(d === 6 ? TEST : d)));
  assert.deepEqual(
    expected.map((_, line) => r.route(line, '')),
    expected,
  );
  // back to an earlier line (a resumed pass starts over): still the right day
  assert.equal(r.route(0, ''), 0);
  assert.equal(r.route(99, ''), TEST);
  assert.equal(r.route(20, ''), 1);
});

test('date: training days are the dates before test in date order; later dates are test, then val', () => {
  const trainDates = new Map([
    ['2024-01-03', 5],
    ['2024-01-01', 2],
    ['2024-01-02', 1],
  ]);
  const r = splitRouter(
    { by: 'date', column: 'd', test: '2024-01-04', val: '2024-01-06' },
    { dataLines: 0, trainDates },
    0,
  );
  assert.deepEqual(r.trainDays, ['2024-01-01', '2024-01-02', '2024-01-03']);
  assert.ok(!r.halved && !r.contiguous);
  assert.deepEqual(
    ['2024-01-02', '2024-01-04', '2024-01-05', '2024-01-06', '2024-02-01', '2024-01-01'].map((d) => r.route(0, d)),
    [1, TEST, TEST, VAL, VAL, 0],
  );
  const halved = splitRouter({ by: 'date', column: 'd', test: '2024-01-04' }, { dataLines: 0, trainDates }, 0);
  assert.ok(halved.halved);
  assert.equal(halved.route(0, '2030-01-01'), TEST);
});

test('random: seeded test/val fractions per data line, the same for the same seed and line', () => {
  const split = { by: 'random' as const, test: 0.1, val: 0.2 };
  const a = splitRouter(split, { dataLines: 0, trainDates: new Map() }, 7);
  const b = splitRouter(split, { dataLines: 0, trainDates: new Map() }, 7);
  const c = splitRouter(split, { dataLines: 0, trainDates: new Map() }, 8);
  const n = 20_000;
  const routes = Array.from({ length: n }, (_, i) => a.route(i, ''));
  assert.deepEqual(
    Array.from({ length: n }, (_, i) => b.route(i, '')),
    routes,
  );
  assert.notDeepEqual(
    Array.from({ length: n }, (_, i) => c.route(i, '')),
    routes,
  );
  const share = (k: number): number => routes.filter((x) => x === k).length / n;
  assert.ok(Math.abs(share(TEST) - 0.1) < 0.01, `test share ${share(TEST)}`);
  assert.ok(Math.abs(share(VAL) - 0.2) < 0.015, `val share ${share(VAL)}`);
  assert.deepEqual(a.trainDays, ['train']);
});
