// Benchmark (not a test): the cost of a checkpoint's CRC-32s on the Kaggle-sized model (bottom
// 13-512-256-64-16, 26 tables of dim 16 with the Kaggle counts, top 367-512-256-1): times saveCheckpoint
// (fsync and rename included) and readCheckpointHeader + loadCheckpointInto (the file then sits in the
// page cache, so the load is the CPU-bound worst case for the checksums' share), the same file rewritten
// as version 1 (no checksums: the load without them), alternating, each --repeat times; and the checksums
// alone over the same sections, with the addon's crc32 and with zlib.crc32 (its fallback). Prints seconds
// and GB/s per line (the best of the repeats) and the checksums' share of the save and load.
// Run: npx tsc -p . && node dist/scripts/bench-checkpoint.js [--optimizer sgd|adagrad|rowwise-adagrad]
//        [--max-table-rows 100000000] [--repeat 3] [--dir /tmp]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { crc32 } from '../src/dataset/groupCheck';
import { loadNativeAddon } from '../src/engine/native/nativeAddon';
import { allocDlrmParams } from '../src/model/allocParams';
import { allocOptimizerState } from '../src/model/allocOptimizerState';
import type { OptimizerName } from '../src/model/arch';
import { buildDlrmArch } from '../src/model/archConfig';
import { loadCheckpointInto, readCheckpointHeader, saveCheckpoint } from '../src/model/checkpoint';
import type { DlrmParams } from '../src/model/params';
import type { OptimizerState } from '../src/model/optimizerState';
import { setupLogger } from '../src/util/log';
import { writeVersion1 } from '../test/reliability/corruptionFixtures';
import { KAGGLE_COUNTS } from './kaggleCounts';

const { values: opts } = parseArgs({
  options: {
    optimizer: { type: 'string', default: 'sgd' },
    'max-table-rows': { type: 'string', default: '100000000' },
    repeat: { type: 'string', default: '3' },
    dir: { type: 'string', default: os.tmpdir() },
  },
});

/** Every float32 array of params and optimizer state (what a checkpoint's sections hold). */
function arrays(params: DlrmParams, state: OptimizerState): Float32Array[] {
  const linear = [...params.bottom, ...params.top, ...state.bottom, ...state.top].flatMap((l) => [l.weight, l.bias]);
  return [...linear, ...params.tables.flatMap((t) => t.chunks), ...state.tables.flat()];
}

/** Best of `repeat` timings of `f`, in seconds. */
function best(repeat: number, f: () => void): number {
  let min = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return min;
}

function main(): void {
  setupLogger({ level: 'error' }); // not the version-1 file's warning
  const optimizer = opts.optimizer as OptimizerName;
  const maxRows = Number(opts['max-table-rows']);
  const repeat = Number(opts.repeat);
  const tableSizes = KAGGLE_COUNTS.map((n) => Math.min(n, maxRows));
  const arch = buildDlrmArch({
    mlpBot: [13, 512, 256, 64, 16],
    mlpTop: [512, 256, 1],
    tableSizes,
    numDense: 13,
    interaction: 'dot',
    interactionItself: false,
  });
  const params = allocDlrmParams(arch);
  const state = allocOptimizerState(params, optimizer);
  const all = arrays(params, state);
  for (const a of all) for (let i = 0; i < a.length; i++) a[i] = ((i * 2654435761) % 1000) / 1e4 - 0.05;
  const bytes = all.reduce((s, a) => s + a.byteLength, 0);
  const gb = bytes / 1e9;
  const file = path.join(opts.dir, `bench-checkpoint-${process.pid}.ckpt`);
  const v1 = path.join(opts.dir, `bench-checkpoint-${process.pid}.v1.ckpt`);
  const line = (what: string, s: number) =>
    console.log(`${what.padEnd(44)} ${s.toFixed(3).padStart(7)} s  ${(gb / s).toFixed(2).padStart(6)} GB/s`);
  console.log(
    `Kaggle model, ${optimizer}: ${(bytes / 1e9).toFixed(3)} GB of sections, best of ${repeat}; addon crc32: ${loadNativeAddon().addon?.crc32 ? 'yes' : 'no'}`,
  );
  try {
    const save = best(repeat, () =>
      saveCheckpoint(
        file,
        {
          engine: 'bench',
          arch,
          params,
          optimizerState: state,
          progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
          trainConfig: {},
          dataState: {},
        },
        'bench',
      ),
    );
    const into = allocDlrmParams(arch);
    const intoState = allocOptimizerState(into, optimizer);
    writeVersion1(file, v1);
    let load = Infinity;
    let loadV1 = Infinity;
    for (let r = 0; r < repeat; r++) {
      load = Math.min(
        load,
        best(1, () => loadCheckpointInto(file, readCheckpointHeader(file), into, intoState)),
      );
      loadV1 = Math.min(
        loadV1,
        best(1, () => loadCheckpointInto(v1, readCheckpointHeader(v1), into, intoState)),
      );
    }
    const crcNative = best(repeat, () =>
      all.forEach((a) => crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))),
    );
    const crcZlib = best(repeat, () =>
      all.forEach((a) => zlib.crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))),
    );
    line('saveCheckpoint (with CRC-32s, fsync, rename)', save);
    line('readCheckpointHeader + loadCheckpointInto', load);
    line('the same, version 1 (no checksums)', loadV1);
    line('CRC-32 alone, crc32 (addon when built)', crcNative);
    line('CRC-32 alone, zlib.crc32 (no addon)', crcZlib);
    // without the addon the checksums cost crcZlib instead of crcNative
    const share = (crc: number, total: number) => `${((100 * crc) / (total - crcNative + crc)).toFixed(1)}%`;
    console.log(
      `checksums' share: save ${share(crcNative, save)}, load ${share(crcNative, load)} (zlib.crc32 instead: save ${share(crcZlib, save)}, load ${share(crcZlib, load)})`,
    );
  } finally {
    for (const f of [file, v1]) fs.rmSync(f, { force: true });
  }
}

main();
