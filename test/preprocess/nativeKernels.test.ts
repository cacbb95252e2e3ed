// The native preprocess kernels against their JS twins: CriteoParser with and without the native Criteo block
// parser on the same random blocks (edge-case dense and hex values, --max-ind-range, sub-sampling,
// partitions), blocks the kernel must decline (bad lines, odd shapes), U32HashTable.assignSequential
// native vs JS vs a Map through many table growths, and the in-memory shuffle's row gather. Skips with the reason when the addon is not built
// (fails instead when DLRM_REQUIRE_NATIVE is set).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CriteoParser } from '../../src/rawformat/criteoParser';
import type { ParseOptions, ParsedBlock } from '../../src/rawformat/rowParser';
import { compileLayout } from '../../src/rawformat/layout';
import { loadSchemaPreset } from '../../src/criteo/schemaPresets';
import { nativePreprocessKernels, type PreprocessKernels } from '../../src/rawformat/nativeKernels';
import { U32HashTable } from '../../src/preprocess/hashTable';
import { Rng } from '../../src/util/random';
import { OneHotRows } from '../../src/dataset/memoryShuffle';
import { shuffledOrder } from '../../src/dataset/shuffleOrder';
import { batchToRows, randomRows, rowsToBatch } from '../dataset/fixtures';
import { nativeSkip } from '../engine/nativeAddonForTests';

const kernels = nativePreprocessKernels();
const skip = nativeSkip || (kernels ? false : 'the native addon predates the preprocess kernels (rebuild it)');
const layout = compileLayout(loadSchemaPreset('kaggle'));
const base: ParseOptions = { maxIndRange: -1, subsampleRate: 0, seed: 0, skipInvalid: false, partitionBounds: [0, 26] };

/** A random Criteo-shaped line: empty fields, small and huge dense values, negatives, 1-8 hex digits either case. */
function randomLine(rng: Rng): string {
  const dense = Array.from({ length: 13 }, () => {
    const r = rng.nextInt(10);
    if (r < 3) return '';
    if (r === 3) return `-${rng.nextInt(100)}`;
    if (r === 4) return String(65530 + rng.nextInt(20));
    if (r === 5) return String(rng.nextInt(1e9) * 1e6 + rng.nextInt(1e6));
    return String(rng.nextInt(2000));
  });
  const cats = Array.from({ length: 26 }, () => {
    if (rng.nextInt(5) === 0) return '';
    const hex = rng
      .nextUint32()
      .toString(16)
      .slice(0, 1 + rng.nextInt(8));
    return rng.nextInt(4) === 0 ? hex.toUpperCase() : hex;
  });
  return [String(rng.nextInt(2)), ...dense, ...cats].join('\t') + '\n';
}

/** What the native kernel returned for each block since the last call (so a test knows it really ran). */
const kernelResults: number[] = [];
const countingKernels: PreprocessKernels | undefined = kernels && {
  parseCriteoBlock: (args) => {
    const kept = kernels.parseCriteoBlock(args);
    kernelResults.push(kept);
    return kept;
  },
  assignFirstAppearance: (...args) => {
    kernelResults.push(-2);
    return kernels.assignFirstAppearance(...args);
  },
  packRows: (...args) => {
    kernelResults.push(-4);
    return kernels.packRows(...args);
  },
  shuffledOrder: (...args) => {
    kernelResults.push(-5);
    kernels.shuffledOrder(...args);
  },
  gatherRows: (...args) => {
    kernelResults.push(-3);
    kernels.gatherRows(...args);
  },
};
function takeKernelResults(): number[] {
  return kernelResults.splice(0);
}

function parseBoth(text: string, opts: Partial<ParseOptions>, day = 2, firstLine = 777): [ParsedBlock, ParsedBlock] {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  const lines = text.split('\n').length - 1;
  const run = (withKernels: boolean): ParsedBlock =>
    new CriteoParser(layout, { ...base, ...opts }, withKernels ? countingKernels : null).parseBlock(
      bytes,
      bytes.length,
      day,
      firstLine,
      lines,
    );
  return [run(true), run(false)];
}

function assertSameRows(a: ParsedBlock, b: ParsedBlock): void {
  assert.equal(a.lines, b.lines);
  assert.equal(a.rows, b.rows);
  assert.equal(a.invalidLines, b.invalidLines);
  assert.deepEqual(a.firstError, b.firstError);
  assert.deepEqual(a.labels.subarray(0, a.rows), b.labels.subarray(0, b.rows));
  const D = layout.numDense;
  // bitwise: float32 values compared as their bytes
  assert.deepEqual(new Uint32Array(a.dense.buffer, 0, a.rows * D), new Uint32Array(b.dense.buffer, 0, b.rows * D));
  assert.equal(a.parts.length, b.parts.length);
  a.parts.forEach((part, p) => {
    const tables = part.length / a.capacity;
    for (let t = 0; t < tables; t++) {
      assert.deepEqual(
        part.subarray(t * a.capacity, t * a.capacity + a.rows),
        b.parts[p].subarray(t * b.capacity, t * b.capacity + b.rows),
        `partition ${p} table ${t}`,
      );
    }
  });
}

test('native Criteo block parser gives exactly the JS parser output on random blocks', { skip }, () => {
  const rng = new Rng(11);
  const text = Array.from({ length: 3000 }, () => randomLine(rng)).join('');
  const settings: Partial<ParseOptions>[] = [
    {},
    { maxIndRange: 1000 },
    { maxIndRange: 10_000_000, partitionBounds: [0, 13, 26] },
    { subsampleRate: 0.6, seed: 123456789 },
    { subsampleRate: 0.25, seed: -5, partitionBounds: [0, 9, 17, 26] },
  ];
  for (const opts of settings) {
    takeKernelResults();
    const [native, js] = parseBoth(text, opts);
    assert.deepEqual(takeKernelResults(), [native.rows], 'the kernel parsed the block');
    assert.equal(native.lines, 3000);
    if (opts.subsampleRate) assert.ok(native.rows < 3000 && native.rows > 1000, `rows ${native.rows}`);
    assertSameRows(native, js);
  }
});

test('native and JS parsers read CRLF lines (mixed with LF lines) exactly as the same lines with LF', { skip }, () => {
  const rng = new Rng(29);
  const lines = Array.from({ length: 2000 }, () => randomLine(rng));
  const lf = lines.join('');
  const crlf = lines.map((l, i) => (i % 3 === 0 ? l : l.replace(/\n$/, '\r\n'))).join('');
  for (const opts of [{}, { maxIndRange: 1000, partitionBounds: [0, 13, 26] }, { subsampleRate: 0.5, seed: 77 }]) {
    takeKernelResults();
    const [native, js] = parseBoth(crlf, opts);
    assert.deepEqual(takeKernelResults(), [native.rows], 'the kernel parsed the CRLF block (did not decline it)');
    assert.equal(native.firstError, undefined);
    assert.equal(native.lines, 2000);
    assertSameRows(native, js);
    assertSameRows(native, parseBoth(lf, opts)[1]);
  }
});

test(
  'the native kernel declines blocks with an unusual line, and the JS parser then names the problem',
  { skip },
  () => {
    const rng = new Rng(3);
    const good = Array.from({ length: 50 }, () => randomLine(rng));
    const fields = good[0].slice(0, -1).split('\t');
    const variant = (f: number, value: string): string =>
      [...fields.slice(0, f), value, ...fields.slice(f + 1)].join('\t') + '\n';
    const bad = [
      variant(0, '2'), // label
      variant(3, '12x'), // dense
      variant(3, '1234567890123456'), // 16 digits
      variant(20, 'zz'), // hex
      variant(20, '123456789'), // 9 hex digits
      fields.slice(1).join('\t') + '\n', // 39 fields (test-file line)
      [...fields, 'extra'].join('\t') + '\n', // 41 fields
      variant(20, 'ab\rcd'), // a carriage return inside a line
      fields.join('\t') + '\r\r\n', // two before the newline
    ];
    for (const b of bad) {
      const text = [...good.slice(0, 20), b, ...good.slice(20)].join('');
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      const cap = 51;
      const declined = kernels?.parseCriteoBlock({
        bytes,
        end: bytes.length,
        capacity: cap,
        numDense: 13,
        maxIndRange: 0,
        subsampleRate: 0,
        seed: 0,
        day: 0,
        firstLine: 0,
        labels: new Float32Array(cap),
        dense: new Float32Array(cap * 13),
        tableDst: Array.from({ length: 26 }, () => new Uint32Array(cap)),
        tableBase: new Int32Array(26),
        log1pTable: new Float32Array(16),
      });
      assert.equal(declined, -1, `the kernel accepted ${JSON.stringify(b.slice(0, 40))}`);
      takeKernelResults();
      const [native, js] = parseBoth(text, {});
      assert.deepEqual(takeKernelResults(), [-1], 'the kernel was asked and declined');
      assert.ok(native.firstError, 'an error is reported');
      assert.equal(native.firstError?.line, 20);
      assertSameRows(native, js);
    }
  },
);

test('the native kernel refuses arrays that do not fit, naming the argument', { skip }, () => {
  const bytes = new Uint8Array(Buffer.from('0' + '\t'.repeat(39) + '\n', 'latin1'));
  const args = {
    bytes,
    end: bytes.length,
    capacity: 1,
    numDense: 13,
    maxIndRange: 0,
    subsampleRate: 0,
    seed: 0,
    day: 0,
    firstLine: 0,
    labels: new Float32Array(1),
    dense: new Float32Array(13),
    tableDst: Array.from({ length: 26 }, () => new Uint32Array(1)),
    tableBase: new Int32Array(26),
    log1pTable: new Float32Array(16),
  };
  assert.equal(kernels?.parseCriteoBlock(args), 1);
  assert.throws(() => kernels?.parseCriteoBlock({ ...args, dense: new Float32Array(12) }), /labels\/dense/);
  assert.throws(
    () => kernels?.parseCriteoBlock({ ...args, tableBase: Int32Array.of(...new Array<number>(25).fill(0), 1) }),
    /table 25/,
  );
  assert.throws(() => kernels?.parseCriteoBlock({ ...args, end: 99 }), /end 99/);
});

test('native first-appearance assignment equals the JS loop and a Map through many growths', { skip }, () => {
  const rng = new Rng(8);
  const n = 300_000;
  const keys = new Uint32Array(n);
  // Zipf-like repeats plus a long tail of new keys, and 0
  for (let i = 0; i < n; i++)
    keys[i] = rng.nextInt(3) === 0 ? rng.nextUint32() : rng.nextInt(3) === 0 ? 0 : rng.nextInt(1 + (i >> 2));
  const want = new Uint32Array(n);
  const order: number[] = [];
  const map = new Map<number, number>();
  keys.forEach((k, i) => {
    if (!map.has(k)) {
      map.set(k, map.size + 5);
      order.push(k);
    }
    want[i] = map.get(k) as number;
  });
  for (const withKernels of [true, false]) {
    takeKernelResults();
    const table = new U32HashTable(0, withKernels ? countingKernels : null);
    const values = keys.slice();
    const fresh = new Uint32Array(n + 3);
    let added = 0;
    // uneven slices, so calls start mid-table and growth lands mid-slice
    for (let from = 0; from < n;) {
      const to = Math.min(n, from + 1 + rng.nextInt(40_000));
      added += table.assignSequential(values, from, to, 5 + added, fresh, 3 + added);
      from = to;
    }
    const calls = takeKernelResults().length;
    assert.ok(withKernels ? calls > 10 : calls === 0, `${calls} kernel calls`);
    assert.equal(added, map.size);
    assert.equal(table.size, map.size);
    assert.deepEqual(values, want, withKernels ? 'native' : 'js');
    assert.deepEqual([...fresh.subarray(3, 3 + added)], order);
    for (const [k, v] of map) assert.equal(table.get(k), v);
  }
});

test('native row packing and gather of the in-memory shuffle equal the JS copies and the rows given', { skip }, () => {
  const D = 3,
    T = 4,
    n = 70_000;
  const rows = randomRows(new Rng(2), n, D, T, 1, 1);
  const order = shuffledOrder(new Rng(9), n, 3);
  const gathered = [true, false].map((withKernels) => {
    const held = new OneHotRows(n, D, T, withKernels ? countingKernels : null);
    takeKernelResults();
    for (let a = 0; a < n; a += 30_000) assert.ok(held.append(rowsToBatch(rows.slice(a, a + 30_000), D, T)));
    assert.equal(held.rows, n);
    assert.equal(takeKernelResults().length, withKernels ? 3 : 0, 'one kernel call per chunk');
    // two gathers: positions [0, 50000) and [50000, n)
    const labels = new Float32Array(n),
      dense = new Float32Array(n * D);
    const indices = Array.from({ length: T }, () => new Uint32Array(n));
    for (const [from, to] of [
      [0, 50_000],
      [50_000, n],
    ]) {
      held.gatherInto(
        order,
        from,
        to,
        labels.subarray(from),
        dense.subarray(from * D),
        indices.map((ix) => ix.subarray(from)),
      );
    }
    assert.equal(takeKernelResults().length, withKernels ? 2 : 0, 'one kernel call per gather');
    return batchToRows({
      size: n,
      numDense: D,
      labels,
      dense,
      sparse: indices.map((ix) => ({ indices: ix, offsets: Uint32Array.from({ length: n + 1 }, (_, i) => i) })),
    });
  });
  assert.deepEqual(gathered[0], gathered[1]);
  assert.deepEqual(
    gathered[0],
    Array.from(order, (i) => rows[i]),
  );
  for (const k of [kernels, null]) {
    const held = new OneHotRows(2, D, T, k);
    assert.equal(
      held.append(rowsToBatch(randomRows(new Rng(1), 1, D, T, 2, 2), D, T)),
      false,
      'a two-index bag is refused',
    );
    assert.equal(
      held.append(rowsToBatch(randomRows(new Rng(1), 1, D, T, 0, 0), D, T)),
      false,
      'an empty bag is refused',
    );
    assert.equal(held.rows, 0);
  }
});

test('native shuffle draws give the JS order and leave the generator where the JS draws leave it', { skip }, () => {
  for (const [rows, buckets, seed] of [
    [0, 1, 1],
    [1, 1, 2],
    [10, 3, 3],
    [100_000, 1, 4],
    [250_000, 7, 5],
    [70_000, 512, 6],
  ]) {
    const [a, b] = [new Rng(seed), new Rng(seed)];
    a.next(); // not a fresh generator
    b.next();
    takeKernelResults();
    const native = shuffledOrder(a, rows, buckets, countingKernels);
    assert.deepEqual(takeKernelResults(), [-5]);
    const js = shuffledOrder(b, rows, buckets, null);
    assert.deepEqual(native, js, `${rows} rows in ${buckets} buckets`);
    assert.deepEqual([a.nextUint32(), a.nextInt(1000), a.normal()], [b.nextUint32(), b.nextInt(1000), b.normal()]);
  }
});
