// The merged processed file written during the day pass, when it keeps file order (--data-randomize
// none): it then holds the days' rows exactly as the day shards do, one after the other, so the shard
// worker appends every block to both files and the merge phase shrinks to writing the index and the
// manifest. The bytes equal those of buildMergedFile (src/dataset/mergedFile.ts) for the same rows:
// the same ProcessedFileWriter sees the same rows in the same order.
import type { Manifest } from '../dataset/manifest';
import { removeStaleTemporaries } from '../dataset/mergedFile';
import { log } from '../util/log';
import type { PreprocessWorker } from './workerProtocol';

export class StreamedMergedFile {
  private opened: Promise<unknown>;

  private constructor(private readonly worker: PreprocessWorker, private readonly outPath: string) {
    this.opened = Promise.resolve();
  }

  /**
   * Opens `outPath` (written atomically) on `worker`, which must be the one writing the day shards,
   * before any shard row is appended. The request is only posted; a failure surfaces at commit.
   */
  static open(worker: PreprocessWorker, outPath: string, numDense: number, numTables: number): StreamedMergedFile {
    removeStaleTemporaries(outPath);
    const m = new StreamedMergedFile(worker, outPath);
    m.opened = worker.request('mergedOpen', { path: outPath, numDense, numTables }, 'ok');
    m.opened.catch(() => undefined); // awaited in commit; this only marks the rejection handled meanwhile
    return m;
  }

  /** After the last day's rows: writes the index and `manifest`, fsyncs and renames the file into place. */
  async commit(manifest: Manifest): Promise<void> {
    await this.opened;
    const { rows } = await this.worker.request('mergedCommit', { metadata: manifest }, 'rows');
    if (rows !== manifest.splits.val.end) throw new Error(`merged file: ${rows} rows written, the manifest's splits end at ${manifest.splits.val.end}`);
    const sizes = Object.fromEntries(Object.entries(manifest.splits).map(([k, r]) => [k, r.end - r.start]));
    log().info({ file: this.outPath, rows, ...sizes }, 'merged file written (along with the day shards)');
  }

  /** Removes the temporary file. */
  async abort(): Promise<void> {
    await this.worker.request('mergedAbort', {}, 'ok').catch(() => undefined);
  }
}
