// The merged processed file written during the day pass, when it keeps file order (--data-randomize
// none): it then holds the days' rows exactly as the day shards do, one after the other, so every block
// a day shard's worker has copied is forwarded to this file's own worker thread (the two files are
// written on two threads) and the merge phase shrinks to writing the index and the manifest. The bytes
// equal those of buildMergedFile (src/dataset/mergedFile.ts) for the same rows: the same
// ProcessedFileWriter sees the same rows in the same order.
import type { Manifest } from '../dataset/manifest';
import { removeStaleTemporaries } from '../dataset/mergedFile';
import { log } from '../util/log';
import { RemoteShardWriter } from './shardWriter';
import { PreprocessWorker } from './workerProtocol';

export class StreamedMergedFile {
  private constructor(
    private readonly worker: PreprocessWorker,
    /** Where the day shards forward their blocks. */
    readonly writer: RemoteShardWriter,
    private readonly outPath: string,
  ) {}

  /**
   * Opens `outPath` (written atomically) on a worker of its own, before any shard row is appended (pass
   * `writer` as every day shard's forward). The request is only posted; a failure surfaces at commit.
   */
  static open(outPath: string, numDense: number, numTables: number, partitionBounds: number[]): StreamedMergedFile {
    removeStaleTemporaries(outPath);
    const worker = new PreprocessWorker();
    return new StreamedMergedFile(
      worker,
      RemoteShardWriter.open(worker, outPath, { numDense, numTables, partitionBounds }),
      outPath,
    );
  }

  /** After the last day's rows: writes the index and `manifest`, fsyncs and renames the file into place. */
  async commit(manifest: Manifest): Promise<void> {
    try {
      const rows = await this.writer.commit(manifest);
      if (rows !== manifest.splits.val.end)
        throw new Error(`merged file: ${rows} rows written, the manifest's splits end at ${manifest.splits.val.end}`);
      const sizes = Object.fromEntries(Object.entries(manifest.splits).map(([k, r]) => [k, r.end - r.start]));
      log().info({ file: this.outPath, rows, ...sizes }, 'merged file written (along with the day shards)');
    } finally {
      await this.worker.terminate();
    }
  }

  /** Removes the temporary file and stops the worker. */
  async abort(): Promise<void> {
    await this.writer.abort();
    await this.worker.terminate();
  }
}
