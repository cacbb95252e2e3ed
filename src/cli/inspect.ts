// `dlrm inspect --processed-data-file F [--rows a:b] [--split S] [--json]`: looks inside a processed file
// (a merged file or a per-day shard). Without --rows it prints a summary (rows, row groups, split sizes,
// per-table counts, sources, options) as a readable table or JSON; with --rows it prints the decoded rows
// (label, dense [D], indices per table [T bags]) as JSON lines, rows counted within --split when given;
// with --stats it scans the file for table sizes, skew, missing rates and embedding memory (src/dataset/stats.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ColumnSchema } from '../rawformat/schema';
import type { Batch } from '../dataset/batch';
import { splitOf } from '../dataset/loader';
import type { Manifest, RowRange, SplitName } from '../dataset/manifest';
import { ProcessedFileReader } from '../dataset/processedFile';
import { UserError } from '../util/errors';
import { float32Text } from '../util/float32Text';
import { writeStdout } from '../util/stdout';
import { choiceOption, floatOption, intOption } from '../util/options';
import { computeStats, formatStats } from '../dataset/stats';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

/** A --rows value: [start, end) with either bound left open ('a:', ':b'), or one row 'a'. */
interface RowsArg {
  start?: number;
  end?: number;
  text: string;
}

interface InspectOptions extends CommonOptions {
  processedDataFile: string;
  rows?: RowsArg;
  split?: SplitName;
  json?: boolean;
  stats?: boolean;
  check?: boolean;
  verify: boolean;
  embeddingDim: number;
  memoryGb?: number;
}

const SAMPLE_CHUNK_ROWS = 4096;

function parseRows(value: string): RowsArg {
  const m = /^\s*(\d*)\s*(:?)\s*(\d*)\s*$/.exec(value);
  if (!m || (m[1] === '' && m[3] === '') || (m[2] === '' && (m[1] === '' || m[3] !== ''))) {
    throw new InvalidArgumentError(`'${value}' is not a row range (a:b, a:, :b or a single row a).`);
  }
  const start = m[1] === '' ? undefined : Number(m[1]);
  if (m[2] === '') return { start, end: (start as number) + 1, text: value };
  return { start, end: m[3] === '' ? undefined : Number(m[3]), text: value };
}

/** The rows to print, in file rows, checked against the file or split size. */
function resolveRows(arg: RowsArg, base: RowRange, where: string): RowRange {
  const n = base.end - base.start;
  const start = arg.start ?? 0;
  const end = arg.end ?? n;
  if (end > n) throw new UserError(`--rows ${arg.text}: ${where} has ${n} rows (valid rows are 0..${n - 1})`);
  if (start >= end)
    throw new UserError(`--rows ${arg.text}: the range is empty (start ${start} must be below end ${end})`);
  return { start: base.start + start, end: base.start + end };
}

/** One decoded row as a JSON line. */
function sampleLine(batch: Batch, i: number, row: number): string {
  const D = batch.numDense;
  const dense = Array.from(batch.dense.subarray(i * D, (i + 1) * D), float32Text).join(',');
  const sparse = batch.sparse
    .map((bag) => `[${bag.indices.subarray(bag.offsets[i], bag.offsets[i + 1]).join(',')}]`)
    .join(',');
  return `{"row":${row},"label":${float32Text(batch.labels[i])},"dense":[${dense}],"sparse":[${sparse}]}\n`;
}

async function printSamples(reader: ProcessedFileReader, range: RowRange): Promise<void> {
  for (let a = range.start; a < range.end; a += SAMPLE_CHUNK_ROWS) {
    const b = Math.min(range.end, a + SAMPLE_CHUNK_ROWS);
    const batch = await reader.readAsync(a, b);
    let text = '';
    for (let i = 0; i < batch.size; i++) text += sampleLine(batch, i, a + i);
    await writeStdout(text);
  }
}

/** The summary as one JSON-able object: the file's shape plus its embedded metadata. */
function summaryOf(reader: ProcessedFileReader, split?: SplitName): Record<string, unknown> {
  const m = reader.metadata as Partial<Manifest> | null;
  const splits = m && typeof m === 'object' && m.splits ? m.splits : undefined;
  return {
    file: reader.path,
    kind: splits ? 'merged processed file' : 'processed shard (no splits)',
    formatVersion: reader.formatVersion,
    bytes: reader.fileBytes,
    rows: reader.rows,
    numDense: reader.numDense,
    numTables: reader.numTables,
    rowsPerGroup: reader.rowsPerGroup,
    rowGroups: reader.groups,
    ...(splits
      ? { splits: Object.fromEntries(Object.entries(splits).map(([k, r]) => [k, { ...r, rows: r.end - r.start }])) }
      : {}),
    ...(split ? { selectedSplit: split } : {}),
    metadata: reader.metadata,
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A compact one-line rendering of a metadata value. */
function brief(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** 'log1p x13' style counts of the distinct values of a list. */
function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} x${n}`).join(', ');
}

/** The column schema in one line: column count, delimiter, dense transforms, categorical encodings. */
function schemaLine(schema: ColumnSchema): string {
  return (
    `${schema.columns.length} columns, delimiter ${JSON.stringify(schema.delimiter)}${schema.header ? ', header line' : ''}, ` +
    `${schema.dense.length} dense (${tally(schema.dense.map((d) => d.transform))}), ` +
    `${schema.categorical.length} categorical (${tally(schema.categorical.map((c) => c.encoding + (c.multiHotSeparator ? ' multi-hot' : '')))})`
  );
}

/** The summary as aligned `key  value` lines, then a per-table table when the metadata lists tables. */
function readableSummary(s: Record<string, unknown>): string {
  const lines: [string, string][] = [
    ['file', String(s.file)],
    ['file kind', String(s.kind)],
    [
      'file format',
      `version ${String(s.formatVersion)}, ${fmt(Number(s.bytes))} bytes, ${fmt(Number(s.rowGroups))} row group${Number(s.rowGroups) === 1 ? '' : 's'} of ${fmt(Number(s.rowsPerGroup))} rows`,
    ],
    ['rows', fmt(Number(s.rows))],
    ['dense features', String(s.numDense)],
    ['tables', String(s.numTables)],
  ];
  const splits = s.splits as Record<string, RowRange & { rows: number }> | undefined;
  if (splits) {
    for (const [name, r] of Object.entries(splits)) {
      lines.push([
        `split ${name}${name === s.selectedSplit ? ' (selected)' : ''}`,
        `rows [${fmt(r.start)}, ${fmt(r.end)}): ${fmt(r.rows)}`,
      ]);
    }
  }
  const meta = s.metadata;
  const tables =
    meta && typeof meta === 'object' && Array.isArray((meta as Partial<Manifest>).tables)
      ? (meta as Manifest).tables
      : undefined;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    lines.push(['metadata', '']);
    for (const [key, value] of Object.entries(meta as Record<string, unknown>)) {
      const at = `  ${key}`;
      if (key === 'splits' || key === 'tables') continue;
      if (key === 'sources' && Array.isArray(value)) {
        for (const src of value as Manifest['sources'])
          lines.push([at, `${src.path} (${fmt(src.bytes)} bytes, sha256 ${String(src.sha256).slice(0, 16)}…)`]);
      } else if (key === 'days' && Array.isArray(value)) {
        lines.push([at, (value as Manifest['days']).map((d) => `${d.name}: ${fmt(d.rows)}`).join(', ')]);
      } else if (key === 'options' && value && typeof value === 'object') {
        lines.push([
          at,
          Object.entries(value)
            .map(([k, v]) => `${k}=${brief(v)}`)
            .join(' '),
        ]);
      } else if (
        key === 'schema' &&
        value &&
        typeof value === 'object' &&
        Array.isArray((value as ColumnSchema).columns)
      ) {
        lines.push([at, schemaLine(value as ColumnSchema)]);
      } else if (key === 'denseTransforms' && Array.isArray(value)) {
        lines.push([at, tally(value.map(String))]);
      } else {
        lines.push([at, brief(value)]);
      }
    }
  } else {
    lines.push(['metadata', brief(meta)]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  let out = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
  if (tables) {
    const nameWidth = Math.max(5, ...tables.map((t) => String(t.name).length));
    out += `\n${'table'.padStart(5)}  ${'name'.padEnd(nameWidth)}  ${'count'.padStart(13)}  ${'oovIndex'.padStart(13)}\n`;
    tables.forEach((t, i) => {
      out += `${String(i).padStart(5)}  ${String(t.name).padEnd(nameWidth)}  ${fmt(t.count).padStart(13)}  ${(t.oovIndex === undefined ? '' : fmt(t.oovIndex)).padStart(13)}\n`;
    });
  }
  return out;
}

async function runInspect(opts: InspectOptions): Promise<void> {
  const reader = ProcessedFileReader.open(opts.processedDataFile, { verify: opts.verify });
  try {
    const base = opts.split ? splitOf(reader, opts.split).range : { start: 0, end: reader.rows };
    if (opts.check) {
      if (!opts.verify) throw new UserError('--check reads the file to verify it; it cannot go with --no-verify');
      await reader.checkAllGroups();
      const what =
        reader.formatVersion >= 3
          ? 'checksums and values'
          : `values (format version ${reader.formatVersion} has no checksums)`;
      await writeStdout(`${reader.path}: ${reader.groups} row groups, ${reader.rows} rows: ${what} good\n`);
    } else if (opts.stats) {
      const stats = await computeStats(
        reader,
        opts.embeddingDim,
        opts.memoryGb === undefined ? undefined : opts.memoryGb * 2 ** 30,
      );
      await writeStdout(opts.json ? JSON.stringify(stats, null, 2) + '\n' : formatStats(stats));
    } else if (opts.rows) {
      const where = opts.split ? `split '${opts.split}' of ${reader.path}` : reader.path;
      await printSamples(reader, resolveRows(opts.rows, base, where));
    } else {
      const summary = summaryOf(reader, opts.split);
      await writeStdout(opts.json ? JSON.stringify(summary, null, 2) + '\n' : readableSummary(summary));
    }
  } finally {
    reader.close();
  }
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description(
      'show a processed file: a summary (rows, splits, table counts, source, options) or decoded rows as JSON lines',
    )
    .requiredOption('--processed-data-file <path>', 'a merged processed file or a per-day shard')
    .addOption(
      new Option('--rows <a:b>', 'print rows [a, b) as JSON lines (also a:, :b or one row a)').argParser(parseRows),
    )
    .addOption(
      new Option('--split <name>', 'count --rows within this split (train, val or test)').argParser(
        choiceOption(['train', 'val', 'test'] as const),
      ),
    )
    .option('--json', 'print the summary as JSON')
    .option(
      '--check',
      'read every row group and check its checksum and values (a summary checks only the header, group index and metadata)',
    )
    .option(
      '--no-verify',
      "skip the check of the checksums and of each row group's values (read a damaged file anyway)",
    )
    .option(
      '--stats',
      'scan the file: table sizes, top-1% share, missing rates, dense ranges, label rate per split, embedding memory (docs/SCHEMA.md)',
    )
    .option('--embedding-dim <d>', '--stats: embedding dimension for the memory estimate', intOption(1, 65536), 16)
    .option(
      '--memory-gb <x>',
      '--stats: machine memory to plan for (default: this machine, os.totalmem())',
      floatOption(1e-9, 1e9),
    );
  addCommonOptions(cmd).action(runAction(runInspect));
}
