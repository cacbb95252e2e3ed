// Fault cases of `dlrm serve` at startup (the server refuses to start with one clear line and exit 2, so a
// supervisor sees why): a missing checkpoint, a file that is not a checkpoint, a model trained on random
// data (no vocabularies to map raw rows with). Errors while serving are HTTP answers, tested in test/serve/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultCase } from './faultCase';
import { runDlrm } from './faultCase';

export const serveCases: FaultCase[] = [
  {
    name: 'serve --load-model names a missing file',
    kind: 'bad-input',
    prepare: (dir) => ({ args: ['serve', '--load-model', path.join(dir, 'missing.ckpt'), '--port', '0'], expectExit: 2, expectMessage: /^dlrm: --load-model: cannot open .*missing\.ckpt/ }),
  },
  {
    name: 'serve --load-model is not a checkpoint',
    kind: 'bad-input',
    prepare: (dir) => {
      const file = path.join(dir, 'rows.txt');
      fs.writeFileSync(file, '0\t1\t2\n');
      return { args: ['serve', '--load-model', file, '--port', '0'], expectExit: 2, expectMessage: /^dlrm: .*rows\.txt: not a dlrm checkpoint/ };
    },
  },
  {
    name: 'serve a model trained on random data (no vocabularies)',
    kind: 'bad-input',
    prepare: (dir) => {
      const model = path.join(dir, 'random.ckpt');
      const r = runDlrm(['train', '--data-generation', 'random', '--arch-mlp-bot', '13-8-4', '--arch-mlp-top', '8-1', '--arch-embedding-size', '10-10-10', '--num-batches', '1', '--save-model', model, '--log-level', 'error']);
      if (r.status !== 0) throw new Error(`training the fixture failed: ${r.stderr}`);
      return { args: ['serve', '--load-model', model, '--port', '0'], expectExit: 2, expectMessage: /^dlrm: --load-model .*random\.ckpt was not trained on a processed file/ };
    },
  },
];
