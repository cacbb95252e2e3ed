// Fault cases of the dcn interaction and multi-hot synthetic data (issue 14): bad cross-network or
// multi-hot settings, a config file asking for them, and a dcn checkpoint resumed with another cross
// network each get one `dlrm: ` line naming the flag, exit 2, and leave the checkpoint absent or unchanged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDlrm, type FaultCase, type FaultRun } from './faultCase';

export const SMOKE = [
  '--data-generation',
  'synthetic',
  '--data-size',
  '512',
  '--arch-embedding-size',
  Array(26).fill(20).join('-'),
  '--arch-mlp-bot',
  '13-8-4',
  '--arch-mlp-top',
  '8-1',
];

/** A train run refused on its settings: no checkpoint is written (also used by deepCross.cases.ts). */
export function refusedTrain(name: string, args: string[], message: RegExp, configFile?: object): FaultCase {
  return {
    name,
    kind: 'bad-input',
    prepare: (dir): FaultRun => {
      const extra = configFile ? ['--config', path.join(dir, 'run.json')] : [];
      if (configFile) fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(configFile));
      return {
        args: ['train', ...SMOKE, '--save-model', path.join(dir, 'm.ckpt'), ...extra, ...args],
        expectExit: 2,
        expectMessage: message,
        absent: [path.join(dir, 'm.ckpt')],
      };
    },
  };
}

export const dcnCases: FaultCase[] = [
  refusedTrain('train --dcn-num-layers 0 in a config file', [], /^dlrm: .*run\.json.*dcn-num-layers/, {
    'arch-interaction-op': 'dcn',
    'dcn-num-layers': 0,
  }),
  refusedTrain('train --dcn-low-rank-dim -3 in a config file', [], /^dlrm: .*run\.json.*dcn-low-rank-dim/, {
    'arch-interaction-op': 'dcn',
    'dcn-low-rank-dim': -3,
  }),
  refusedTrain(
    'train "arch-interaction-op": "cross" in a config file (not an interaction)',
    [],
    /^dlrm: .*run\.json.*arch-interaction-op.*cross/,
    { 'arch-interaction-op': 'cross' },
  ),
  refusedTrain(
    'train --multi-hot-sizes with 2 sizes for 26 tables',
    ['--multi-hot-sizes', '3,2'],
    /^dlrm: --multi-hot-sizes: 2 sizes for 26 embedding tables/,
  ),
  refusedTrain(
    'train --multi-hot-sizes on random data',
    ['--data-generation', 'random', '--multi-hot-sizes', Array(26).fill(2).join(',')],
    /^dlrm: --multi-hot-sizes applies to synthetic data only/,
  ),
  {
    name: 'train --load-model of a dcn checkpoint with another --dcn-num-layers',
    kind: 'bad-input',
    prepare: (dir): FaultRun => {
      const model = path.join(dir, 'dcn.ckpt');
      const dcn = ['--arch-interaction-op', 'dcn', '--dcn-low-rank-dim', '4'];
      const first = runDlrm(['train', ...SMOKE, ...dcn, '--dcn-num-layers', '2', '--save-model', model]);
      if (first.status !== 0) throw new Error(`could not train the dcn checkpoint: ${first.stderr}`);
      return {
        args: ['train', ...SMOKE, ...dcn, '--dcn-num-layers', '3', '--load-model', model, '--save-model', model],
        expectExit: 2,
        expectMessage:
          /^dlrm: --load-model .*dcn \(2 layers of rank 4\) in the checkpoint, dcn \(3 layers of rank 4\) here/,
        unchanged: [model],
      };
    },
  },
];
