// Fault cases of --model dcn (the original Deep & Cross Network, issue 14): flags of the other model,
// a bad cross depth or deep network, a config file asking for an unknown model, and a dcn checkpoint resumed
// as another model each get one `dlrm: ` line naming the flag, exit 2, and leave the checkpoint absent or
// unchanged.
import * as path from 'node:path';
import { runDlrm, type FaultCase, type FaultRun } from './faultCase';
import { refusedTrain, SMOKE } from './dcn.cases';

export const deepCrossCases: FaultCase[] = [
  refusedTrain(
    'train --model dcn --arch-interaction-op dcn (DCN-v2 inside DLRM is the other model)',
    ['--model', 'dcn', '--arch-interaction-op', 'dcn'],
    /^dlrm: --arch-interaction-op applies to --model dlrm only/,
  ),
  refusedTrain(
    'train --model dcn --dcn-num-layers 3',
    ['--model', 'dcn', '--dcn-num-layers', '3'],
    /^dlrm: --dcn-num-layers applies to --model dlrm only/,
  ),
  refusedTrain(
    'train --dcn-cross-layers 6 without --model dcn',
    ['--dcn-cross-layers', '6'],
    /^dlrm: --dcn-cross-layers applies to --model dcn only/,
  ),
  refusedTrain(
    'train --model dcn --dcn-cross-layers 0',
    ['--model', 'dcn', '--dcn-cross-layers', '0'],
    /^dlrm: .*dcn-cross-layers/,
  ),
  refusedTrain(
    'train --model dcn --arch-mlp-top 1 (no deep network)',
    ['--model', 'dcn', '--arch-mlp-top', '1'],
    /^dlrm: --arch-mlp-top: '1' needs a deep layer before the output 1 with --model dcn/,
  ),
  refusedTrain('train "model": "dcn2" in a config file', [], /^dlrm: .*run\.json.*model.*dcn2/, { model: 'dcn2' }),
  {
    name: 'train --load-model of a --model dcn checkpoint as --model dlrm',
    kind: 'bad-input',
    prepare: (dir): FaultRun => {
      const model = path.join(dir, 'dcn.ckpt');
      const first = runDlrm(['train', ...SMOKE, '--model', 'dcn', '--dcn-cross-layers', '2', '--save-model', model]);
      if (first.status !== 0) throw new Error(`could not train the dcn checkpoint: ${first.stderr}`);
      return {
        args: ['train', ...SMOKE, '--model', 'dlrm', '--load-model', model, '--save-model', model],
        expectExit: 2,
        expectMessage: /^dlrm: --load-model .*model dcn \(2 cross layers\) in the checkpoint, dlrm here/,
        unchanged: [model],
      };
    },
  },
];
