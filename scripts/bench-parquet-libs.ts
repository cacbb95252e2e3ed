// Measures the Parquet readers the project could use (issue 12): writes a header-like 5M-row, 12-column
// file (a timestamp, 3 string categoricals, 2 int64 ids, a list<string> tag column, 4 double dense, an int
// label; one categorical 5% null) with snappy and with zstd, then reads every column of it, row group by
// row group, with hyparquet (+ hyparquet-compressors), parquet-wasm (+ apache-arrow) and @duckdb/node-api,
// each in its own child process, and prints rows/s and the child's peak RSS. Each reader touches every
// value it decodes (sums of numbers, string lengths, list lengths) so lazy decoding cannot flatter it.
//   node dist/scripts/bench-parquet-libs.js [--rows 5000000] [--dir /tmp/dlrm-parquet-bench] [--libs hyparquet,parquet-wasm,duckdb]
// Only hyparquet is a dependency: to rerun, `npm install --no-save parquet-wasm apache-arrow @duckdb/node-api`
// (they are loaded by require() through the few calls typed below, so the script compiles without them).
// Figures and the choice: docs/SCHEMA.md "Parquet".
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const COLUMNS = [
  'ts',
  'country',
  'site',
  'device',
  'user_id',
  'item_id',
  'tags',
  'price',
  'score',
  'dwell',
  'rank',
  'click',
];

/** The parts of @duckdb/node-api, parquet-wasm and apache-arrow this script calls. */
interface DuckdbApi {
  DuckDBInstance: {
    create(
      path: string,
      options?: Record<string, string>,
    ): Promise<{ connect(): Promise<DuckdbConnection>; closeSync(): void }>;
  };
}
interface DuckdbConnection {
  run(sql: string): Promise<unknown>;
  stream(sql: string): Promise<{ fetchChunk(): Promise<{ rowCount: number; getColumns(): unknown[][] } | null> }>;
  closeSync(): void;
}
interface ParquetWasmApi {
  ParquetFile: {
    fromFile(blob: Blob): Promise<{
      metadata(): { numRowGroups(): number };
      read(options: object): Promise<{ intoIPCStream(): Uint8Array }>;
    }>;
  };
}
interface ArrowApi {
  tableFromIPC(bytes: Uint8Array): {
    numRows: number;
    getChild(name: string): { toArray(): ArrayLike<unknown> } | null;
  };
}
// the measured alternatives are not in the lock file (npm install --no-save them to rerun): loaded untyped
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(name: string): T => require(name) as T;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Writes the benchmark file with duckdb's COPY (fast, and independent of the readers measured). */
async function writeFile(file: string, rows: number, codec: 'snappy' | 'zstd'): Promise<void> {
  const { DuckDBInstance } = load<DuckdbApi>('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const h = (k: number): string => `hash(i + ${k})`;
  await con.run(`COPY (SELECT
      TIMESTAMP '2024-01-01' + to_seconds((i * 604800) // ${rows}) AS ts,
      'c' || (${h(1)} % 200) AS country,
      CASE WHEN ${h(2)} % 20 = 0 THEN NULL ELSE 'site' || (${h(3)} % 10000) END AS site,
      ['mobile', 'desktop', 'tablet'][(1 + ${h(4)} % 3)::BIGINT] AS device,
      (${h(5)} % 1000000)::BIGINT AS user_id,
      (${h(6)} % 100000)::BIGINT AS item_id,
      list_transform(range((${h(7)} % 4)::BIGINT), x -> 'tag' || ((${h(8)} + x) % 50)) AS tags,
      (${h(9)} % 100000) / 100.0 AS price,
      (${h(10)} % 1000) / 1000.0 - 0.5 AS score,
      (${h(11)} % 600)::DOUBLE AS dwell,
      (${h(12)} % 30)::DOUBLE AS rank,
      (${h(13)} % 4 = 0)::INTEGER AS click
    FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 1048576)`);
  con.closeSync();
  db.closeSync();
}

/** A checksum over decoded values, so every value is really produced. */
function touch(values: ArrayLike<unknown>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') s += v;
    else if (typeof v === 'bigint') s += Number(v & 0xffn);
    else if (typeof v === 'string') s += v.length;
    else if (Array.isArray(v)) s += v.length;
    else if (v instanceof Date) s += v.getTime() % 7;
    else if (v !== null && v !== undefined) s += 1;
  }
  return s;
}

async function readHyparquet(file: string): Promise<number> {
  const { parquetMetadataAsync, parquetRead } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const fd = fs.openSync(file, 'r');
  const buf = {
    byteLength: fs.fstatSync(fd).size,
    slice(start: number, end?: number): ArrayBuffer {
      const out = Buffer.alloc((end ?? this.byteLength) - start);
      fs.readSync(fd, out, 0, out.length, start);
      return out.buffer.slice(out.byteOffset, out.byteOffset + out.length);
    },
  };
  const metadata = await parquetMetadataAsync(buf);
  let rowStart = 0,
    rows = 0;
  for (const rg of metadata.row_groups) {
    const rowEnd = rowStart + Number(rg.num_rows);
    await parquetRead({
      file: buf,
      metadata,
      compressors,
      columns: COLUMNS,
      rowStart,
      rowEnd,
      onChunk: (c) => {
        touch(c.columnData);
      },
    });
    rows += rowEnd - rowStart;
    rowStart = rowEnd;
  }
  return rows;
}

async function readParquetWasm(file: string): Promise<number> {
  const wasm = load<ParquetWasmApi>('parquet-wasm');
  const arrow = load<ArrowApi>('apache-arrow');
  const pf = await wasm.ParquetFile.fromFile(await fs.openAsBlob(file));
  const groups = pf.metadata().numRowGroups();
  let rows = 0;
  for (let g = 0; g < groups; g++) {
    const table = arrow.tableFromIPC(
      (await pf.read({ rowGroups: [g], columns: COLUMNS, batchSize: 65536 })).intoIPCStream(),
    );
    for (const name of COLUMNS) touch(table.getChild(name)?.toArray() ?? []);
    rows += table.numRows;
  }
  return rows;
}

async function readDuckdb(file: string): Promise<number> {
  const { DuckDBInstance } = load<DuckdbApi>('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await db.connect();
  const result = await con.stream(`SELECT ${COLUMNS.join(', ')} FROM read_parquet('${file}')`);
  let rows = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (const col of chunk.getColumns()) touch(col);
    rows += chunk.rowCount;
  }
  con.closeSync();
  db.closeSync();
  return rows;
}

const READERS: Record<string, (file: string) => Promise<number>> = {
  hyparquet: readHyparquet,
  'parquet-wasm': readParquetWasm,
  duckdb: readDuckdb,
};

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , lib, file] = process.argv;
    const t = process.hrtime.bigint();
    const rows = await READERS[lib](file);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    process.stdout.write(JSON.stringify({ rows, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
    return;
  }
  const rows = Number(arg('--rows', '5000000'));
  const dir = arg('--dir', '/tmp/dlrm-parquet-bench');
  const libs = arg('--libs', Object.keys(READERS).join(',')).split(',');
  fs.mkdirSync(dir, { recursive: true });
  for (const codec of ['snappy', 'zstd'] as const) {
    const file = path.join(dir, `bench-${rows}.${codec}.parquet`);
    if (!fs.existsSync(file)) {
      const t = Date.now();
      await writeFile(file, rows, codec);
      console.log(
        `wrote ${file}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`,
      );
    }
    for (const lib of libs) {
      const out = execFileSync(process.execPath, [__filename, '--child', lib, file], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      const r = JSON.parse(out.trim().split('\n').pop() as string) as {
        rows: number;
        seconds: number;
        maxRssMB: number;
      };
      if (r.rows !== rows) throw new Error(`${lib} read ${r.rows} rows of ${rows}`);
      console.log(
        `${codec.padEnd(6)} ${lib.padEnd(12)} ${(r.rows / r.seconds).toFixed(0).padStart(10)} rows/s  ${r.seconds.toFixed(2).padStart(6)} s  peak RSS ${r.maxRssMB.toFixed(0).padStart(5)} MB`,
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
