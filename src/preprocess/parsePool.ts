// A pool of parse threads for one pass over a RawDay: every block of the one block reader goes to the next
// worker (round robin), parsed there by the schema's RowParser (parserFor), and the parsed blocks come back
// in file order with the number of lines before each, so what a pass computes never depends on the number
// of threads. At most 2W + 1 blocks are in flight (bounded memory).
import type { Hash } from 'node:crypto';
import { DEFAULT_BLOCK_BYTES, readDayBlocks, type RawDay } from '../rawformat/blockReader';
import { partKeys } from '../rawformat/criteoParser';
import type { ParsedBlock, ParseOptions } from '../rawformat/rowParser';
import type { ColumnSchema } from '../rawformat/schema';
import { PreprocessWorker } from './workerProtocol';

export class ParsePool {
  private readonly workers: PreprocessWorker[] = [];
  private bounds: number[] = [];

  constructor(
    readonly threads: number,
    readonly blockBytes = DEFAULT_BLOCK_BYTES,
  ) {}

  /** (Re)builds every worker's parser for `schema` (threads are started on first use). */
  async init(schema: ColumnSchema, parse: ParseOptions): Promise<void> {
    while (this.workers.length < this.threads) this.workers.push(new PreprocessWorker());
    this.bounds = parse.partitionBounds;
    await Promise.all(this.workers.map((w) => w.request('initParser', { schema, parse }, 'ok')));
  }

  /** The parsed blocks of `day` in file order; `onBytes` and `hash` as for readDayBlocks. */
  async *parse(
    day: RawDay,
    onBytes: (n: number) => void,
    hash?: Hash,
  ): AsyncGenerator<{ block: ParsedBlock; firstLine: number }> {
    const W = this.workers.length;
    const queue: { parsed: Promise<{ block: ParsedBlock }>; firstLine: number }[] = [];
    let lines = 0,
      next = 0;
    try {
      for await (const b of readDayBlocks(day, this.blockBytes, onBytes, hash)) {
        const buffer = b.bytes.buffer as ArrayBuffer;
        const parsed = this.workers[next++ % W].request(
          'parse',
          { bytes: buffer, end: b.end, day: 0, firstLine: lines, lines: b.lines },
          'parsed',
          [buffer],
        );
        parsed.catch(() => undefined); // awaited in order below; this only marks a rejection handled meanwhile
        queue.push({ parsed, firstLine: lines });
        lines += b.lines;
        while (queue.length > 2 * W) {
          const q = queue.shift() as (typeof queue)[number];
          yield { block: this.withKeys((await q.parsed).block), firstLine: q.firstLine };
        }
      }
      while (queue.length > 0) {
        const q = queue.shift() as (typeof queue)[number];
        yield { block: this.withKeys((await q.parsed).block), firstLine: q.firstLine };
      }
    } finally {
      await Promise.all(queue.map((q) => q.parsed.catch(() => undefined)));
    }
  }

  /** A block from a worker with its keys: partitioned one-hot keys are rebuilt from the parts (see worker.ts). */
  private withKeys(block: ParsedBlock): ParsedBlock {
    if (block.parts.length > 0) block.keys = partKeys(block.parts, this.bounds, block.capacity);
    return block;
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
