// The CSV that `dlrm predict` writes, through fast-csv: a header line, then one row per input line:
// `line,probability` (1-based input line number, the click probability as the shortest float32 decimal),
// plus `label` when the input has labels. To a file (written under a temporary name and renamed into place
// only when complete, via AtomicFile) or to stdout; rows are streamed with back-pressure, so memory stays
// bounded whatever the input size.
import { once } from 'node:events';
import { format, type CsvFormatterStream } from 'fast-csv';
import { AtomicFile } from '../util/atomic';
import { float32Text } from './float32Text';

type CsvRow = (string | number)[];

export class PredictionCsv {
  private readonly csv: CsvFormatterStream<CsvRow, CsvRow>;
  private readonly file: AtomicFile | null;
  private readonly done: Promise<unknown>;

  /** Starts the CSV: to `output` (atomically) or, when null, to stdout. */
  constructor(output: string | null, readonly withLabel: boolean) {
    this.csv = format<CsvRow, CsvRow>({ headers: withLabel ? ['line', 'probability', 'label'] : ['line', 'probability'], includeEndRowDelimiter: true });
    if (output === null) {
      this.file = null;
      this.csv.pipe(process.stdout, { end: false });
    } else {
      const file = new AtomicFile(output);
      this.file = file;
      this.csv.on('data', (chunk: Buffer) => file.write(chunk));
    }
    this.done = once(this.csv, 'end');
    this.done.catch(() => undefined);
  }

  /** Appends one row per probability; the first is input line `firstLine` (1-based). */
  async write(firstLine: number, probabilities: Float32Array, labels: Float32Array): Promise<void> {
    for (let i = 0; i < probabilities.length; i++) {
      const row: CsvRow = [firstLine + i, float32Text(probabilities[i])];
      if (this.withLabel) row.push(labels[i]);
      if (!this.csv.write(row)) await once(this.csv, 'drain');
    }
  }

  /** Ends the CSV: the file is renamed into place, stdout is flushed. */
  async close(): Promise<void> {
    this.csv.end();
    await this.done;
    if (this.file) this.file.commit();
    else if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
  }

  /** Stops after an error: a file output is removed, never renamed into place. */
  abort(): void {
    this.csv.destroy();
    this.file?.abort();
  }
}
