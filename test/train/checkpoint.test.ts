// Tests of the checkpoint file (src/model/checkpoint.ts): bit-exact round trip of params and optimizer
// state across different table chunkings, header contents (the best-evaluation record too), refusal of NaN params (the old file stays),
// detection of truncated or foreign files, the CRC-32 of every section and of the header (a flipped bit
// anywhere is refused naming the section and its bytes), and reading version-1 files (no checksums).
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDlrmArch } from '../../src/model/archConfig';
import { initDlrmParams } from '../../src/model/initParams';
import { allocDlrmParams } from '../../src/model/allocParams';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import {
  loadCheckpointInto,
  loadCheckpointIntoYielding,
  readCheckpointHeader,
  saveCheckpoint,
  type CheckpointContents,
} from '../../src/model/checkpoint';
import type { OptimizerName } from '../../src/model/arch';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { modelFloats } from '../helpers/modelFloats';
import { writeVersion1 } from '../reliability/corruptionFixtures';

const dir = tempDir('ckpt');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const arch = buildDlrmArch({
  mlpBot: [3, 8, 4],
  mlpTop: [6, 1],
  tableSizes: [37, 5, 100],
  interaction: 'dot',
  interactionItself: false,
});

function contents(
  optimizer: OptimizerName,
  maxChunkBytes?: number,
): CheckpointContents<{ lr: number }, { seed: number }> {
  const params = initDlrmParams(arch, 5, maxChunkBytes);
  const optimizerState = allocOptimizerState(params, optimizer);
  const rng = new Rng(9);
  for (const l of [...optimizerState.bottom, ...optimizerState.top])
    for (const a of [l.weight, l.bias]) for (let i = 0; i < a.length; i++) a[i] = rng.next();
  for (const t of optimizerState.tables) for (const c of t) for (let i = 0; i < c.length; i++) c[i] = rng.next();
  return {
    engine: 'test',
    arch,
    params,
    optimizerState,
    progress: { epoch: 2, batchInEpoch: 7, rowInEpoch: 70, globalStep: 31 },
    trainConfig: { lr: 0.5 },
    dataState: { seed: 4 },
  };
}

for (const optimizer of ['sgd', 'adagrad', 'rowwise-adagrad'] as const) {
  test(`${optimizer}: round trip is bit-exact, also into a differently chunked table layout`, () => {
    const file = path.join(dir, `${optimizer}.ckpt`);
    const c = contents(optimizer, 64); // 64-byte chunks: tables of 4-float rows split into 4-row chunks
    assert.ok(c.params.tables[0].chunks.length > 1);
    saveCheckpoint(file, c, 'dlrm test');
    const header = readCheckpointHeader(file);
    assert.deepEqual(header.arch, arch);
    assert.equal(header.optimizer, optimizer);
    assert.deepEqual(header.progress, c.progress);
    assert.deepEqual(header.trainConfig, { lr: 0.5 });
    assert.deepEqual(header.dataState, { seed: 4 });
    assert.equal(header.sections[0].offset % 64, 0);
    const params = allocDlrmParams(arch); // one chunk per table
    const state = allocOptimizerState(params, optimizer);
    loadCheckpointInto(file, header, params, state);
    const a = modelFloats(c.params, c.optimizerState),
      b = modelFloats(params, state);
    assert.equal(a.length, b.length);
    assert.deepEqual(new Uint32Array(b.buffer), new Uint32Array(a.buffer));
  });
}

test('the best-evaluation record round-trips; a checkpoint without one records null', () => {
  const file = path.join(dir, 'best.ckpt');
  const best = { file: '/abs/best.ckpt', split: 'val', step: 31, auc: 0.7312345678 };
  saveCheckpoint(file, { ...contents('sgd'), best }, 'dlrm test');
  assert.deepEqual(readCheckpointHeader(file).best, best);
  saveCheckpoint(file, contents('sgd'), 'dlrm test');
  assert.equal(readCheckpointHeader(file).best, null);
});

test('a NaN parameter aborts the write and leaves the previous checkpoint intact', () => {
  const file = path.join(dir, 'nan.ckpt');
  saveCheckpoint(file, contents('adagrad'), 'dlrm test');
  const before = fs.readFileSync(file);
  const bad = contents('adagrad');
  bad.params.tables[2].chunks[0][17] = NaN;
  assert.throws(() => saveCheckpoint(file, bad, 'dlrm test'), /refusing to write checkpoint .*table\.2 holds NaN/);
  assert.deepEqual(fs.readFileSync(file), before);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('truncated, foreign and mismatched files are refused with a message', () => {
  const file = path.join(dir, 'trunc.ckpt');
  saveCheckpoint(file, contents('sgd'), 'dlrm test');
  const full = fs.readFileSync(file);
  fs.writeFileSync(file, full.subarray(0, full.length - 4));
  assert.throws(() => readCheckpointHeader(file), /truncated or corrupt/);
  fs.writeFileSync(file, 'hello world, not a checkpoint');
  assert.throws(() => readCheckpointHeader(file), /not a dlrm checkpoint/);
  fs.writeFileSync(file, full);
  const header = readCheckpointHeader(file);
  const other = allocDlrmParams(
    buildDlrmArch({
      mlpBot: [3, 8, 4],
      mlpTop: [6, 1],
      tableSizes: [37, 5, 101],
      interaction: 'dot',
      interactionItself: false,
    }),
  );
  assert.throws(
    () => loadCheckpointInto(file, header, other, allocOptimizerState(other, 'sgd')),
    /sections do not match/,
  );
});

test('a NaN or Infinity in any section (a damaged file) is refused at load, naming the section and element', () => {
  const file = path.join(dir, 'damaged.ckpt');
  saveCheckpoint(file, contents('adagrad', 64), 'dlrm test');
  const good = fs.readFileSync(file);
  const header = readCheckpointHeader(file);
  const cases: [string, number, number][] = [
    ['bottom.0.weight', 5, NaN],
    ['top.1.bias', 0, Infinity],
    ['table.2', 333, -Infinity], // beyond the first 64-byte chunk of the reader's layout below
    ['opt.table.0', 7, NaN],
  ];
  for (const [name, element, value] of cases) {
    const section = header.sections.find((s) => s.name === name);
    assert.ok(section, name);
    const bytes = Buffer.from(good);
    bytes.writeFloatLE(value, section.offset + 4 * element);
    fs.writeFileSync(file, bytes);
    const params = allocDlrmParams(arch, 64);
    const state = allocOptimizerState(params, 'adagrad');
    assert.throws(
      () => loadCheckpointInto(file, readCheckpointHeader(file), params, state),
      (e: unknown) =>
        e instanceof Error &&
        e.name === 'UserError' &&
        e.message.includes(
          `section ${name} holds ${value} at element ${element} (byte ${section.offset + 4 * element})`,
        ),
      name,
    );
  }
});

/** Loads `file` into freshly allocated adagrad params chunked in `maxChunkBytes` pieces; returns the error message or undefined. */
function loadError(file: string, maxChunkBytes?: number): string | undefined {
  const params = allocDlrmParams(arch, maxChunkBytes);
  try {
    loadCheckpointInto(file, readCheckpointHeader(file), params, allocOptimizerState(params, 'adagrad'));
  } catch (e) {
    assert.equal((e as Error).name, 'UserError');
    return (e as Error).message;
  }
  return undefined;
}

test('every section carries a CRC-32: one flipped bit at its first, middle or last byte is refused naming the section and its bytes', () => {
  const file = path.join(dir, 'crc.ckpt');
  saveCheckpoint(file, contents('adagrad', 64), 'dlrm test');
  const good = fs.readFileSync(file);
  const header = readCheckpointHeader(file);
  assert.equal(header.formatVersion, 2);
  assert.equal(loadError(file), undefined);
  for (const s of header.sections) {
    assert.match(s.crc32 ?? '', /^[0-9a-f]{8}$/, s.name);
    const end = s.offset + 4 * s.shape.reduce((a, b) => a * b, 1) - 1;
    for (const at of [s.offset, Math.floor((s.offset + end) / 2), end]) {
      const bytes = Buffer.from(good);
      bytes[at] ^= 1 << (at % 8);
      fs.writeFileSync(file, bytes);
      // both a reader with one part per section and one with 64-byte parts (the CRC chained over them)
      for (const chunk of [undefined, 64]) {
        assert.equal(
          loadError(file, chunk),
          `${file}: damaged checkpoint: section ${s.name} (bytes ${s.offset}-${end}) does not match its checksum`,
          `${s.name} byte ${at}`,
        );
      }
    }
  }
});

test("a finite absurd weight (the issue's -2.6e38) is refused by the checksum", () => {
  const file = path.join(dir, 'absurd.ckpt');
  saveCheckpoint(file, contents('adagrad'), 'dlrm test');
  const s = readCheckpointHeader(file).sections.find((x) => x.name === 'table.2')!;
  const bytes = fs.readFileSync(file);
  bytes.writeFloatLE(-2.6e38, s.offset + 4 * 123);
  fs.writeFileSync(file, bytes);
  assert.match(
    loadError(file) ?? '',
    /damaged checkpoint: section table\.2 \(bytes \d+-\d+\) does not match its checksum$/,
  );
});

test('the header carries a CRC-32: a flipped bit in the preamble, the JSON, its padding or the CRC itself is refused before parsing', () => {
  const file = path.join(dir, 'head.ckpt');
  saveCheckpoint(file, contents('sgd'), 'dlrm test');
  const good = fs.readFileSync(file);
  const dataStart = readCheckpointHeader(file).sections[0].offset;
  const json = good.toString('latin1', 20, dataStart);
  const damaged = /damaged checkpoint: the header \(bytes 0-\d+\) does not match its checksum/;
  const positions: [number, RegExp][] = [
    [9, /checkpoint format version 258, this dlrm reads versions 1-2/],
    [13, damaged], // the header length, 256 more: the CRC then covers other bytes
    [16, damaged],
    [19, damaged],
    [20 + json.indexOf('"lr":0.5') + 6, damaged],
    [20 + json.indexOf('"epoch"'), damaged],
    [20 + json.indexOf('"crc32":"') + 9, damaged],
    [dataStart - 1, damaged],
  ];
  for (const [at, message] of positions) {
    const bytes = Buffer.from(good);
    bytes[at] ^= 1;
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => readCheckpointHeader(file),
      (e: unknown) => e instanceof Error && e.name === 'UserError' && message.test(e.message),
      `byte ${at}`,
    );
  }
  // a flipped bit in the JSON (not the length) names the header's exact bytes
  const bytes = Buffer.from(good);
  bytes[20 + json.indexOf('"lr":0.5') + 6] ^= 1;
  fs.writeFileSync(file, bytes);
  assert.throws(() => readCheckpointHeader(file), {
    message: `${file}: damaged checkpoint: the header (bytes 0-${dataStart - 1}) does not match its checksum`,
  });
});

test('a version-1 checkpoint (no checksums) still loads bit-exactly; a version 3 is refused', () => {
  const v2 = path.join(dir, 'v2.ckpt');
  const v1 = path.join(dir, 'v1.ckpt');
  const c = contents('rowwise-adagrad', 64);
  saveCheckpoint(v2, c, 'dlrm test');
  writeVersion1(v2, v1);
  const header = readCheckpointHeader(v1);
  assert.equal(header.formatVersion, 1);
  assert.equal(header.sections[0].crc32, undefined);
  const params = allocDlrmParams(arch);
  const state = allocOptimizerState(params, 'rowwise-adagrad');
  loadCheckpointInto(v1, header, params, state);
  assert.deepEqual(
    new Uint32Array(modelFloats(params, state).buffer),
    new Uint32Array(modelFloats(c.params, c.optimizerState).buffer),
  );
  const bytes = fs.readFileSync(v2);
  bytes.writeUInt32LE(3, 8);
  fs.writeFileSync(v2, bytes);
  assert.throws(() => readCheckpointHeader(v2), /checkpoint format version 3, this dlrm reads versions 1-2/);
});

test('saving the same contents twice writes the same sections and checksums (only createdAt differs)', () => {
  const a = path.join(dir, 'same-a.ckpt');
  const b = path.join(dir, 'same-b.ckpt');
  saveCheckpoint(a, contents('adagrad'), 'dlrm test');
  saveCheckpoint(b, contents('adagrad'), 'dlrm test');
  const [ha, hb] = [readCheckpointHeader(a), readCheckpointHeader(b)];
  assert.deepEqual(ha.sections, hb.sections);
  const start = ha.sections[0].offset;
  assert.deepEqual(fs.readFileSync(a).subarray(start), fs.readFileSync(b).subarray(start));
});

test('loadCheckpointIntoYielding reads the same bits as loadCheckpointInto and lets timers run between pieces', async () => {
  const big = buildDlrmArch({
    mlpBot: [3, 8, 4],
    mlpTop: [6, 1],
    tableSizes: [300_000, 5], // 1.2M floats: several 2^18-float pieces
    interaction: 'dot',
    interactionItself: false,
  });
  const params = initDlrmParams(big, 5);
  const state = allocOptimizerState(params, 'adagrad');
  for (const t of state.tables) for (const c of t) c.fill(0.5);
  const file = path.join(dir, 'yielding.ckpt');
  saveCheckpoint(
    file,
    {
      engine: 'test',
      arch: big,
      params,
      optimizerState: state,
      progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 1 },
      trainConfig: {},
      dataState: {},
    },
    'dlrm test',
  );
  const header = readCheckpointHeader(file);
  const sync = allocDlrmParams(big);
  const syncState = allocOptimizerState(sync, 'adagrad');
  loadCheckpointInto(file, header, sync, syncState);
  const yielded = allocDlrmParams(big);
  const yieldedState = allocOptimizerState(yielded, 'adagrad');
  let turns = 0;
  const timer = setInterval(() => turns++, 0);
  try {
    await loadCheckpointIntoYielding(file, header, yielded, yieldedState);
  } finally {
    clearInterval(timer);
  }
  assert.deepEqual(modelFloats(yielded, yieldedState), modelFloats(sync, syncState));
  assert.deepEqual(modelFloats(sync, syncState), modelFloats(params, state));
  assert.ok(turns > 0, 'a timer ran while the checkpoint loaded');
});
