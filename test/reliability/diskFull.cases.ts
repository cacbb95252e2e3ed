// A full disk (ENOSPC) under every command that writes a file: the output goes to a small tmpfs (root
// only; skipped otherwise) that the output does not fit, or that is already full. Each run must give one
// `dlrm:` line naming the path and the cause, exit 2, no stack frame, nothing under the final name, and
// no temporary or lock file left on the small disk.
import * as path from 'node:path';
import type { FaultCase, FaultRun } from './faultCase';
import { mountSmallDisk, noLeftovers, safetyData, SMALL_MODEL, tmpfsSkip, unmountSmallDisk } from './safetyFixtures';

const NOSPACE = /no space left on the device \(ENOSPC/;

/** A case whose output goes to a `kib` KiB tmpfs at DIR/small (`fill`: already full). */
function diskFullCase(
  name: string,
  kib: number,
  fill: boolean,
  run: (small: string, dir: string) => Promise<Omit<FaultRun, 'expectExit'>>,
): FaultCase {
  return {
    name,
    kind: 'disk-full',
    skip: tmpfsSkip,
    async prepare(dir) {
      const small = path.join(dir, 'small');
      mountSmallDisk(small, kib, fill);
      const r = await run(small, dir);
      const check = noLeftovers(small, dir);
      const args = r.args.includes('--log-level') ? r.args : [...r.args, '--log-level', 'warn'];
      return { expectMessage: NOSPACE, ...r, args, expectExit: 2, check: (res) => check() ?? r.check?.(res) };
    },
    cleanup(dir) {
      unmountSmallDisk(path.join(dir, 'small'));
    },
  };
}

export const diskFullCases: FaultCase[] = [
  diskFullCase('preprocess: the processed file does not fit', 256, false, async (small) => {
    const d = await safetyData();
    const out = path.join(small, 'train.dlrm');
    return {
      args: ['preprocess', '--raw-data-file', d.raw, '--processed-data-file', out],
      absent: [out, `${out}.parts`],
      unchanged: [d.raw],
    };
  }),
  diskFullCase('train --save-model: the checkpoint does not fit', 256, false, async (small) => {
    const out = path.join(small, 'm.ckpt');
    return {
      args: [
        'train',
        '--data-generation',
        'random',
        '--arch-embedding-size',
        '100000-100000',
        '--arch-sparse-feature-size',
        '16',
        '--arch-mlp-bot',
        '13-16',
        '--num-batches',
        '2',
        '--save-model',
        out,
      ],
      absent: [out],
    };
  }),
  diskFullCase('train --metrics-file on a full disk leaves no empty metrics file', 256, true, async (small) => {
    const d = await safetyData();
    const out = path.join(small, 'm.jsonl');
    return {
      args: [
        'train',
        '--processed-data-file',
        d.processed,
        ...SMALL_MODEL,
        '--num-batches',
        '2',
        '--metrics-file',
        out,
      ],
      absent: [out],
      expectMessage: /--metrics-file .*m\.jsonl: cannot append to it: no space left on the device \(ENOSPC/,
    };
  }),
  diskFullCase('predict --output on a full disk', 256, true, async (small) => {
    const d = await safetyData();
    const out = path.join(small, 'p.csv');
    return {
      args: ['predict', '--load-model', d.checkpoint, '--input', d.raw, '--output', out],
      absent: [out],
      unchanged: [d.raw],
    };
  }),
  diskFullCase('generate --out: the raw file does not fit', 256, false, async (small) => {
    const out = path.join(small, 'g.txt');
    return { args: ['generate', '--rows', '3000', '--out', out], absent: [out] };
  }),
  diskFullCase('report --out on a full disk', 256, true, async (small) => {
    const d = await safetyData();
    const out = path.join(small, 'r.html');
    return { args: ['report', '--metrics', d.metrics, '--out', out], absent: [out], unchanged: [d.metrics] };
  }),
  diskFullCase('schema --out on a full disk', 256, true, async (small) => {
    const d = await safetyData();
    const out = path.join(small, 's.json');
    return { args: ['schema', '--infer', d.raw, '--out', out], absent: [out] };
  }),
  diskFullCase('--log-file on a full disk', 256, true, async (small, dir) => {
    const d = await safetyData();
    const out = path.join(dir, 'train.dlrm');
    return {
      args: [
        'preprocess',
        '--raw-data-file',
        d.raw,
        '--processed-data-file',
        out,
        '--log-file',
        path.join(small, 'log.jsonl'),
        '--log-level',
        'info',
      ],
      absent: [out],
      expectMessage: /log\.jsonl: no space left on the device \(ENOSPC while writing\)/,
    };
  }),
];
