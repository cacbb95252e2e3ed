// The Parquet side of the preprocess benchmark (issue 12): writes a header-like N-row, 12-column Parquet
// file with hyparquet-writer (a timestamp over 7 days, 3 string categoricals, 2 int64 ids, a list<string>
// tag column, 4 double dense, a 0/1 int label; 1M rows per row group, snappy), then times
// `dlrm preprocess --schema` on it end to end in a child process and prints rows/s and the child's peak RSS.
//   node dist/scripts/bench-parquet.js [--rows 5000000] [--dir /tmp/dlrm-bench-parquet] [--randomize total|none]
// Target (issue 12): >= 800,000 rows/s on the one pipeline; figures in docs/SCHEMA.md "Parquet".
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../src/util/random';

const ROW_GROUP = 1 << 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const SCHEMA = {
  columns: [
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
  ],
  label: { name: 'click' },
  dense: [
    { name: 'price', transform: 'log1p' },
    { name: 'score', transform: 'standardize' },
    { name: 'dwell', transform: 'log1p' },
    { name: 'rank', transform: 'none' },
  ],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'site', encoding: 'string' },
    { name: 'device', encoding: 'string' },
    { name: 'user_id', encoding: 'decimal' },
    { name: 'item_id', encoding: 'decimal' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
  split: { by: 'date', column: 'ts', test: '2024-01-07' },
};

async function writeBenchFile(file: string, rows: number): Promise<void> {
  const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
  const leaf = (name: string, type: string, extra: object = {}) => ({
    name,
    type,
    repetition_type: 'OPTIONAL',
    ...extra,
  });
  const schema = [
    { name: 'root', num_children: 12 },
    leaf('ts', 'INT64', { converted_type: 'TIMESTAMP_MILLIS' }),
    leaf('country', 'BYTE_ARRAY', { converted_type: 'UTF8' }),
    leaf('site', 'BYTE_ARRAY', { converted_type: 'UTF8' }),
    leaf('device', 'BYTE_ARRAY', { converted_type: 'UTF8' }),
    leaf('user_id', 'INT64'),
    leaf('item_id', 'INT64'),
    { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    leaf('element', 'BYTE_ARRAY', { converted_type: 'UTF8' }),
    leaf('price', 'DOUBLE'),
    leaf('score', 'DOUBLE'),
    leaf('dwell', 'DOUBLE'),
    leaf('rank', 'DOUBLE'),
    leaf('click', 'INT32'),
  ];
  const bytes = new ByteWriter();
  const writer = new ParquetWriter({ writer: bytes, schema } as unknown as ConstructorParameters<
    typeof ParquetWriter
  >[0]);
  const rng = new Rng(1);
  const devices = ['mobile', 'desktop', 'tablet'];
  for (let a = 0; a < rows; a += ROW_GROUP) {
    const n = Math.min(ROW_GROUP, rows - a);
    const col = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(a + i));
    await writer.write({
      columnData: [
        { name: 'ts', data: col((i) => new Date(Date.UTC(2024, 0, 1) + Math.floor((i * 7 * 86400) / rows) * 1000)) },
        { name: 'country', data: col(() => `c${rng.nextInt(200)}`) },
        { name: 'site', data: col(() => (rng.next() < 0.05 ? null : `site${rng.nextInt(10000)}`)) },
        { name: 'device', data: col(() => devices[rng.nextInt(3)]) },
        { name: 'user_id', data: col(() => BigInt(rng.nextInt(1000000))) },
        { name: 'item_id', data: col(() => BigInt(rng.nextInt(100000))) },
        { name: 'tags', data: col(() => Array.from({ length: rng.nextInt(4) }, () => `tag${rng.nextInt(50)}`)) },
        { name: 'price', data: col(() => rng.nextInt(100000) / 100) },
        { name: 'score', data: col(() => rng.next() - 0.5) },
        { name: 'dwell', data: col(() => rng.nextInt(600)) },
        { name: 'rank', data: col(() => rng.nextInt(30)) },
        { name: 'click', data: col(() => (rng.next() < 0.25 ? 1 : 0)) },
      ],
      rowGroupSize: ROW_GROUP,
    });
  }
  await writer.finish();
  fs.writeFileSync(file, new Uint8Array(bytes.getBuffer()));
}

async function main(): Promise<void> {
  const rows = Number(arg('--rows', '5000000'));
  const dir = arg('--dir', '/tmp/dlrm-bench-parquet');
  const randomize = arg('--randomize', 'total');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `events-${rows}.parquet`);
  if (!fs.existsSync(file)) {
    const t = Date.now();
    await writeBenchFile(`${file}.tmp`, rows);
    fs.renameSync(`${file}.tmp`, file);
    console.log(
      `wrote ${file}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  const schemaFile = path.join(dir, 'schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(SCHEMA, null, 2));
  const out = path.join(dir, 'events.dlrm');
  fs.rmSync(out, { force: true });
  fs.rmSync(`${out}.parts`, { recursive: true, force: true });
  const bin = path.join(__dirname, '..', '..', 'bin', 'dlrm.js');
  const t = process.hrtime.bigint();
  // /usr/bin/time -v reports the child's peak RSS where it exists
  const timeBin = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', '-v'] : [];
  const args = [
    ...timeBin,
    process.execPath,
    bin,
    'preprocess',
    '--schema',
    schemaFile,
    '--raw-data-file',
    file,
    '--processed-data-file',
    out,
    '--data-randomize',
    randomize,
    '--log-level',
    'info',
  ];
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`preprocess failed: ${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  // CPU seconds (user + system) tell more than wall time on a shared, loaded machine
  const cpu = ['User', 'System'].reduce(
    (sum, k) => sum + Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN),
    0,
  );
  const phases = /"phases":(\{[^}]*\})/.exec(r.stderr);
  console.log(
    `preprocess --schema ${path.basename(file)} (--data-randomize ${randomize}): ${rows} rows in ${seconds.toFixed(1)} s = ${Math.round(rows / seconds)} rows/s end to end; phases ${phases?.[1] ?? '?'}; CPU ${cpu.toFixed(1)} s = ${Math.round(rows / cpu)} rows per CPU second; peak RSS ${rss ? `${Math.round(Number(rss[1]) / 1024)} MB` : 'n/a'}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
