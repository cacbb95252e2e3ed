// The CSV that `dlrm predict` writes, through fast-csv: a header line, then one row per input line:
// `line,probability` (1-based input line number, the click probability as the shortest float32 decimal),
// plus `label` when the input has labels. To a file (written under a temporary name and renamed into place
// only when complete, via AtomicFile) or to stdout. fast-csv emits one small chunk per row; they are
// gathered into ~1 MiB writes. Each batch of rows is formatted and handed on before the next is accepted,
// so memory stays bounded whatever the input size.
import { once } from 'node:events';
import { format, type CsvFormatterStream } from 'fast-csv';
import { AtomicFile } from '../util/atomic';
import { float32Text } from '../util/float32Text';
import { writeStdout } from '../util/stdout';

type CsvRow = (string | number)[];

const FLUSH_BYTES = 1 << 20;

export class PredictionCsv {
  private readonly csv: CsvFormatterStream<CsvRow, CsvRow>;
  private readonly file: AtomicFile | null;
  private readonly done: Promise<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Starts the CSV: to `output` (atomically) or, when null, to stdout. */
  constructor(output: string | null, readonly withLabel: boolean) {
    this.csv = format<CsvRow, CsvRow>({ headers: withLabel ? ['line', 'probability', 'label'] : ['line', 'probability'], includeEndRowDelimiter: true });
    this.file = output === null ? null : new AtomicFile(output);
    this.csv.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    });
    this.done = once(this.csv, 'end');
    this.done.catch(() => undefined);
  }

  /** Appends one row per probability (the first is input line `firstLine`, 1-based) and writes out what is formatted. */
  async write(firstLine: number, probabilities: Float32Array, labels: Float32Array): Promise<void> {
    let flowing = true;
    for (let i = 0; i < probabilities.length; i++) {
      const row: CsvRow = [firstLine + i, float32Text(probabilities[i])];
      if (this.withLabel) row.push(labels[i]);
      flowing = this.csv.write(row);
    }
    if (!flowing) await once(this.csv, 'drain');
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /** Ends the CSV: the file is renamed into place, stdout is flushed. */
  async close(): Promise<void> {
    this.csv.end();
    await this.done;
    await this.flush();
    this.file?.commit();
  }

  /** Stops after an error: a file output is removed, never renamed into place. */
  abort(): void {
    this.csv.destroy();
    this.file?.abort();
  }

  /** Writes the gathered chunks in one call (waiting for stdout when it is behind; a failed write throws). */
  private async flush(): Promise<void> {
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.file) this.file.write(data);
    else await writeStdout(data);
  }
}
