// The CSV that `dlrm predict` writes, through fast-csv: a header line, then one row per input row.
// Format `csv`: `line[,<id column>],probability[,label]`: the 1-based line number in the input file (header
// included), the row's id (--id-column: its 0-based position among the data rows plus --id-start), the
// click probability as the shortest float32 decimal, the label when the input has labels. Format
// `kaggle-submission`: `Id,Predicted` (Kaggle's Display Advertising Challenge submission: Id = position
// + --id-start, 60000000 by default, the first Id of Kaggle's test.txt). To a file (written under a temporary name and renamed into place
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

export const PREDICT_FORMATS = ['csv', 'kaggle-submission'] as const;
export type PredictFormat = (typeof PREDICT_FORMATS)[number];
/** The first Id of the DAC test rows on Kaggle (test.csv's Id column; test.txt, the same rows in order, has none). */
export const KAGGLE_FIRST_ID = 60_000_000;

/** Which columns the CSV has. */
export interface CsvColumns {
  format: PredictFormat;
  /** csv: the name of an id column (position + idStart), or null for none. */
  idColumn: string | null;
  /** The id of the first data row. */
  idStart: number;
  /** csv: the input has labels (a label column is written). */
  withLabel: boolean;
}

/** The rows of one scored batch. */
export interface ScoredRows {
  /** Input line number of each row (1-based, header included). */
  lines: Float64Array;
  /** 0-based position of the first row among the input's data rows. */
  firstPosition: number;
  probabilities: Float32Array;
  labels: Float32Array;
}

function headers(c: CsvColumns): string[] {
  if (c.format === 'kaggle-submission') return ['Id', 'Predicted'];
  return ['line', ...(c.idColumn === null ? [] : [c.idColumn]), 'probability', ...(c.withLabel ? ['label'] : [])];
}

export class PredictionCsv {
  private readonly csv: CsvFormatterStream<CsvRow, CsvRow>;
  private readonly file: AtomicFile | null;
  private readonly done: Promise<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Starts the CSV: to `output` (atomically) or, when null, to stdout. */
  constructor(
    output: string | null,
    private readonly columns: CsvColumns,
  ) {
    this.csv = format<CsvRow, CsvRow>({ headers: headers(columns), includeEndRowDelimiter: true });
    this.file = output === null ? null : new AtomicFile(output);
    this.csv.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    });
    this.done = once(this.csv, 'end');
    this.done.catch(() => undefined);
  }

  /** Appends one CSV row per scored row and writes out what is formatted. */
  async write(s: ScoredRows): Promise<void> {
    const c = this.columns;
    const kaggle = c.format === 'kaggle-submission';
    let flowing = true;
    for (let i = 0; i < s.probabilities.length; i++) {
      const id = c.idStart + s.firstPosition + i;
      const p = float32Text(s.probabilities[i]);
      const row: CsvRow = kaggle
        ? [id, p]
        : [s.lines[i], ...(c.idColumn === null ? [] : [id]), p, ...(c.withLabel ? [s.labels[i]] : [])];
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
