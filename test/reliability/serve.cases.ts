// Fault cases of `dlrm serve` at startup (the server refuses to start with one clear line and exit 2, so a
// supervisor sees why): a missing checkpoint, a file that is not a checkpoint, a model trained on random
// data (no vocabularies to map raw rows with), a port already in use. Errors while serving are HTTP
// answers, tested in test/serve/.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { FaultCase } from './faultCase';
import { runDlrm } from './faultCase';

/** Runs `dlrm ARGS` for a fixture; throws with its stderr when it fails. */
function fixture(args: string[]): void {
  const r = runDlrm([...args, '--log-level', 'error']);
  if (r.status !== 0) throw new Error(`dlrm ${args[0]} (fixture) failed: ${r.stderr}`);
}

/** Listening sockets held by the port-in-use case, by its folder (closed by cleanup). */
const held = new Map<string, net.Server>();

export const serveCases: FaultCase[] = [
  {
    name: 'serve --load-model names a missing file',
    kind: 'bad-input',
    prepare: (dir) => ({
      args: ['serve', '--load-model', path.join(dir, 'missing.ckpt'), '--port', '0'],
      expectExit: 2,
      expectMessage: /^dlrm: --load-model: cannot open .*missing\.ckpt/,
    }),
  },
  {
    name: 'serve --load-model is not a checkpoint',
    kind: 'bad-input',
    prepare: (dir) => {
      const file = path.join(dir, 'rows.txt');
      fs.writeFileSync(file, '0\t1\t2\n');
      return {
        args: ['serve', '--load-model', file, '--port', '0'],
        expectExit: 2,
        expectMessage: /^dlrm: .*rows\.txt: not a dlrm checkpoint/,
      };
    },
  },
  {
    name: 'serve a model trained on random data (no vocabularies)',
    kind: 'bad-input',
    prepare: (dir) => {
      const model = path.join(dir, 'random.ckpt');
      const r = runDlrm([
        'train',
        '--data-generation',
        'random',
        '--arch-mlp-bot',
        '13-8-4',
        '--arch-mlp-top',
        '8-1',
        '--arch-embedding-size',
        '10-10-10',
        '--num-batches',
        '1',
        '--save-model',
        model,
        '--log-level',
        'error',
      ]);
      if (r.status !== 0) throw new Error(`training the fixture failed: ${r.stderr}`);
      return {
        args: ['serve', '--load-model', model, '--port', '0'],
        expectExit: 2,
        expectMessage: /^dlrm: --load-model .*random\.ckpt was not trained on a processed file/,
      };
    },
  },
  {
    name: 'serve --port is already in use',
    kind: 'bad-input',
    prepare: async (dir) => {
      const raw = path.join(dir, 'rows.txt');
      const merged = path.join(dir, 'rows.dlrm');
      const model = path.join(dir, 'model.ckpt');
      fixture(['generate', '--rows', '300', '--out', raw]);
      fixture(['preprocess', '--raw-data-file', raw, '--processed-data-file', merged, '--data-randomize', 'none']);
      fixture([
        'train',
        '--processed-data-file',
        merged,
        '--arch-mlp-bot',
        '13-8-4',
        '--arch-mlp-top',
        '8-1',
        '--num-batches',
        '1',
        '--save-model',
        model,
      ]);
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      held.set(dir, server);
      const port = (server.address() as net.AddressInfo).port;
      return {
        args: ['serve', '--load-model', model, '--port', String(port)],
        expectExit: 2,
        expectMessage: new RegExp(`^dlrm: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE$`),
      };
    },
    cleanup: (dir) => {
      held.get(dir)?.close();
      held.delete(dir);
    },
  },
];
