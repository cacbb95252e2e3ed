// Fault cases of the compressed-embedding flags (dlrm train --qr-* / --md-*): contradictory flags, a
// dim the option cannot use, a checkpoint resumed under other compression flags. (Values outside a flag's
// range or choices are refused by the option parser, as for every flag.) Each must end with one `dlrm: ` line naming
// the flag, exit 2, and no checkpoint written (an existing one unchanged).
import * as path from 'node:path';
import type { FaultCase } from './faultCase';

/** A short random-data training run with `flags`, saving to dir/m.ckpt. */
const trainRun = (dir: string, ...flags: string[]) => ({
  args: [
    'train',
    '--data-generation',
    'random',
    '--arch-embedding-size',
    '300-20',
    '--arch-mlp-bot',
    '4-8-4',
    '--arch-mlp-top',
    '8-1',
    '--data-size',
    '256',
    '--mini-batch-size',
    '64',
    '--num-indices-per-lookup',
    '1',
    '--learning-rate',
    '0.01',
    '--save-model',
    path.join(dir, 'm.ckpt'),
    ...flags,
  ],
  expectExit: 2,
  absent: [path.join(dir, 'm.ckpt')],
});

export const qrmdCases: FaultCase[] = [
  {
    name: 'train --qr-flag with --md-flag',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...trainRun(dir, '--qr-flag', '--md-flag'),
      expectMessage: /^dlrm: --qr-flag and --md-flag cannot be combined/,
    }),
  },
  {
    name: 'train --qr-operation concat with a bottom MLP not twice --arch-sparse-feature-size',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...trainRun(dir, '--qr-flag', '--qr-operation', 'concat', '--arch-sparse-feature-size', '4'),
      expectMessage:
        /^dlrm: --arch-mlp-bot: the last width 4 .* must be twice --arch-sparse-feature-size 4 with --qr-operation concat/,
    }),
  },
  {
    name: 'train --md-round-dims with an embedding dim that is not a power of two',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...trainRun(dir, '--md-flag', '--md-round-dims', '--arch-mlp-bot', '4-8-6'),
      expectMessage: /^dlrm: --md-round-dims: the embedding dim 6 must be a power of two/,
    }),
  },
  {
    name: 'train --load-model of a QR checkpoint with --no-qr-flag',
    kind: 'bad-input',
    prepare: async (dir) => {
      const ckpt = path.join(dir, 'qr.ckpt');
      const { spawnSync } = await import('node:child_process');
      const { repoRoot } = await import('../helpers/sharedData');
      const args = trainRun(dir, '--qr-flag', '--qr-threshold', '10').args.map((a) =>
        a === path.join(dir, 'm.ckpt') ? ckpt : a,
      );
      const made = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args], {
        encoding: 'utf8',
      });
      if (made.status !== 0) throw new Error(made.stderr);
      return {
        args: ['train', '--load-model', ckpt, '--no-qr-flag', '--nepochs', '2', '--save-model', ckpt],
        expectExit: 2,
        expectMessage:
          /^dlrm: --load-model .*qr\.ckpt: the checkpoint's architecture does not match this run: embeddings qr mult c=4 >10 in the checkpoint, plain here/,
        unchanged: [ckpt],
      };
    },
  },
];
