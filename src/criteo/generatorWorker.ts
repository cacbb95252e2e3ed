// A `dlrm generate` worker thread: builds the same seeded CriteoGenerator as the main thread and turns
// requested blocks into Criteo text bytes (formatBlock), sent back by transfer. Blocks are seeded per
// block index, so the output does not depend on which worker drew which block.
import { parentPort } from 'node:worker_threads';
import { BLOCK_ROWS, CriteoGenerator } from './generator';
import type { GeneratorProfile } from './generatorProfile';
import { formatBlock, maxLineBytes } from './generatorText';

export type GeneratorWorkerRequest =
  | { type: 'init'; profile: GeneratorProfile; seed: number; withLabel: boolean }
  | { type: 'block'; blockIndex: number; rows: number };

export type GeneratorWorkerReply =
  { type: 'block'; blockIndex: number; bytes: ArrayBuffer; length: number } | { type: 'error'; message: string };

if (!parentPort) throw new Error('generator worker: must run in a worker thread');
const port = parentPort;
let state: { gen: CriteoGenerator; withLabel: boolean; block: ReturnType<CriteoGenerator['newBlock']> } | undefined;

port.on('message', (msg: GeneratorWorkerRequest) => {
  try {
    if (msg.type === 'init') {
      const gen = new CriteoGenerator(msg.profile, msg.seed);
      state = { gen, withLabel: msg.withLabel, block: gen.newBlock() };
      return;
    }
    if (!state) throw new Error('block requested before init');
    state.gen.fillBlock(msg.blockIndex, state.block, msg.rows);
    const buf = Buffer.allocUnsafeSlow(BLOCK_ROWS * maxLineBytes(state.gen.numDense, state.gen.numTables));
    const length = formatBlock(state.gen, state.block, buf, state.withLabel);
    const reply: GeneratorWorkerReply = { type: 'block', blockIndex: msg.blockIndex, bytes: buf.buffer, length };
    port.postMessage(reply, [buf.buffer]);
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message } satisfies GeneratorWorkerReply);
  }
});
