// `dlrm inspect --stats`: one pass over a processed file (merged file or day shard) gathering what decides
// a model's size and quality: per table its rows, lookups, the share of lookups that go to the top 1% of
// its categories, the missing rate (rows whose bag is empty or holds the column's missing value) and the
// mean bag length; per dense column min/max/mean; the label rate per split; and the memory the embedding
// tables take at embedding dimension d (params + optimizer state, float32), compared with a budget of half
// the machine's memory (os.totalmem(), or --memory-gb), with a suggested --max-ind-range and
// --min-frequency when they do not fit, and what the reference's default QR and MD flags would take instead.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Manifest, SplitName } from './manifest';
import { readAheadChunks } from './loader';
import type { ProcessedFileReader } from './processedFile';
import { DelimitedRowParser } from '../rawformat/delimitedParser';
import { startProgress } from '../util/progress';
import { defaultCompressions, embeddingMemory, type EmbeddingMemory } from '../embedding/compressedLayout';

export interface TableStats {
  name: string;
  rows: number;
  lookups: number;
  /** Share of lookups going to the most frequent ceil(1%) of the table's rows. */
  top1PercentShare: number;
  /** Share of file rows with an empty bag or the missing value; null when the missing value is not known. */
  missingRate: number | null;
  meanBagLength: number;
}

export interface DenseStats {
  name: string;
  min: number;
  max: number;
  mean: number;
}

export interface MemoryEstimate {
  embeddingDim: number;
  /** Bytes of the embedding tables' float32 weights. */
  paramBytes: number;
  /** Optimizer state bytes per optimizer (sgd none, adagrad one per weight, rowwise-adagrad one per row). */
  optimizerBytes: Record<'sgd' | 'adagrad' | 'rowwise-adagrad', number>;
  machineBytes: number;
  /** Half the machine memory: left for the tables (weights + adagrad state); the rest is for batches, MLPs, OS. */
  budgetBytes: number;
  fits: boolean;
  suggestMaxIndRange?: number;
  suggestMinFrequency?: number;
  /** The same tables under the reference's default QR / MD flags (src/embedding/compressedLayout.ts). */
  compressed: ({ option: string; fits: boolean } & EmbeddingMemory)[];
}

export interface FileStats {
  rows: number;
  tables: TableStats[];
  dense: DenseStats[];
  labelRate: Record<string, { rows: number; positives: number; rate: number }>;
  memory: MemoryEstimate;
}

const MIN_FREQUENCIES = [2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];
const MAX_IND_RANGES = [
  50_000_000, 20_000_000, 10_000_000, 5_000_000, 2_000_000, 1_000_000, 500_000, 200_000, 100_000, 50_000, 20_000,
  10_000, 5_000, 2_000, 1_000,
];

/** The index of the column's missing value (from its vocabulary file), -1 when it has none, null if unknown. */
function missingIndex(manifest: Manifest, partsDir: string, t: number): number | null {
  const table = manifest.tables[t];
  const column = manifest.schema.categorical[t];
  if (!column || column.multiHotSeparator !== undefined) return -1;
  const file = path.join(partsDir, table.vocabFile);
  if (!fs.existsSync(file)) return null;
  const [hi, lo] = new DelimitedRowParser(manifest.schema, manifest.options.maxIndRange).missingKey(t);
  const bytes = fs.readFileSync(file);
  const words = new Uint32Array(bytes.length >>> 2);
  new Uint8Array(words.buffer).set(bytes.subarray(0, words.byteLength));
  const wide = table.keyBits === 64;
  for (let i = 0; i < (wide ? words.length / 2 : words.length); i++) {
    if (wide ? words[2 * i] === lo && words[2 * i + 1] === hi : words[i] === lo && hi === 0) return i;
  }
  return -1;
}

/** Total table rows once every table is folded to at most M rows. */
const foldedRows = (counts: number[], M: number): number => counts.reduce((s, c) => s + Math.min(c, M), 0);

export async function computeStats(
  reader: ProcessedFileReader,
  embeddingDim: number,
  memoryBytes = os.totalmem(),
): Promise<FileStats> {
  const meta = reader.metadata as Partial<Manifest> | null;
  const manifest = meta && Array.isArray(meta.tables) && meta.schema ? (meta as Manifest) : undefined;
  const T = reader.numTables,
    D = reader.numDense;
  // table sizes: the manifest's counts, else (a shard) the largest index seen + 1, found while counting
  let freq: Uint32Array[] = Array.from(
    { length: T },
    (_, t) => new Uint32Array(manifest ? manifest.tables[t].count : 1024),
  );
  const missing = Array.from({ length: T }, (_, t) =>
    manifest ? missingIndex(manifest, path.resolve(reader.path) + '.parts', t) : null,
  );
  const missingRows = new Float64Array(T),
    lookups = new Float64Array(T);
  const dense = Array.from({ length: D }, () => ({ min: Infinity, max: -Infinity, sum: 0 }));
  const ranges: [string, number, number][] = meta?.splits
    ? (Object.entries(meta.splits) as [SplitName, { start: number; end: number }][]).map(([k, r]) => [
        k,
        r.start,
        r.end,
      ])
    : [['all', 0, reader.rows]];
  const positives = new Float64Array(ranges.length);
  const bar = startProgress('stats', Math.max(1, reader.rows), 'rows');
  let row = 0;
  try {
    for await (const b of readAheadChunks(reader, 0, reader.rows, 65_536, 2)) {
      for (let i = 0; i < b.size; i++) {
        const r = row + i;
        const s = ranges.findIndex(([, a, e]) => r >= a && r < e);
        if (s >= 0) positives[s] += b.labels[i];
        for (let k = 0; k < D; k++) {
          const v = b.dense[i * D + k],
            d = dense[k];
          if (v < d.min) d.min = v;
          if (v > d.max) d.max = v;
          d.sum += v;
        }
      }
      for (let t = 0; t < T; t++) {
        const { offsets, indices } = b.sparse[t];
        const m = missing[t];
        for (let i = 0; i < b.size; i++) {
          const a = offsets[i],
            e = offsets[i + 1];
          if (a === e || (m !== null && m >= 0 && indices.subarray(a, e).includes(m))) missingRows[t]++;
        }
        let f = freq[t];
        for (let j = 0; j < indices.length; j++) {
          const x = indices[j];
          if (x >= f.length) {
            const grown = new Uint32Array(Math.max(x + 1, 2 * f.length));
            grown.set(f);
            f = freq[t] = grown;
          }
          f[x]++;
        }
        lookups[t] += indices.length;
      }
      row += b.size;
      bar.update(row);
    }
  } finally {
    bar.stop();
  }
  if (!manifest) {
    freq = freq.map((f) => {
      let n = f.length;
      while (n > 0 && f[n - 1] === 0) n--;
      return f.subarray(0, n);
    });
  }
  // a day shard carries the schema (names) but not the table counts
  const schema =
    meta?.schema && meta.schema.categorical?.length === T && meta.schema.dense?.length === D ? meta.schema : undefined;
  const names = schema ? schema.categorical.map((c) => c.name) : freq.map((_, t) => `table ${t}`);
  const tables: TableStats[] = freq.map((f, t) => {
    const sorted = Uint32Array.from(f).sort();
    const top = Math.max(1, Math.ceil(f.length / 100));
    let topLookups = 0;
    for (let i = sorted.length - top; i < sorted.length; i++) topLookups += i >= 0 ? sorted[i] : 0;
    return {
      name: names[t],
      rows: f.length,
      lookups: lookups[t],
      top1PercentShare: lookups[t] > 0 ? topLookups / lookups[t] : 0,
      missingRate: missing[t] === null || reader.rows === 0 ? null : missingRows[t] / reader.rows,
      meanBagLength: reader.rows > 0 ? lookups[t] / reader.rows : 0,
    };
  });
  const denseNames = schema ? schema.dense.map((d) => d.name) : dense.map((_, k) => `dense ${k}`);
  const counts = tables.map((t) => t.rows);
  const rowsTotal = counts.reduce((a, b) => a + b, 0);
  const perRow = embeddingDim * 4;
  const budget = memoryBytes / 2;
  const memory: MemoryEstimate = {
    embeddingDim,
    paramBytes: rowsTotal * perRow,
    optimizerBytes: { sgd: 0, adagrad: rowsTotal * perRow, 'rowwise-adagrad': rowsTotal * 4 },
    machineBytes: memoryBytes,
    budgetBytes: budget,
    fits: 2 * rowsTotal * perRow <= budget,
    compressed: defaultCompressions(embeddingDim).map(({ name, compression }) => {
      const m = embeddingMemory(counts, embeddingDim, compression);
      return { option: name, ...m, fits: m.paramBytes + m.optimizerBytes.adagrad <= budget };
    }),
  };
  if (!memory.fits) {
    memory.suggestMaxIndRange = MAX_IND_RANGES.find((M) => 2 * foldedRows(counts, M) * perRow <= budget);
    memory.suggestMinFrequency = MIN_FREQUENCIES.find(
      (K) => 2 * freq.reduce((s, f) => s + f.filter((c) => c >= K).length + 1, 0) * perRow <= budget,
    );
  }
  return {
    rows: reader.rows,
    tables,
    dense: dense.map((d, k) => ({
      name: denseNames[k],
      min: reader.rows ? d.min : NaN,
      max: reader.rows ? d.max : NaN,
      mean: reader.rows ? d.sum / reader.rows : NaN,
    })),
    labelRate: Object.fromEntries(
      ranges.map(([k, a, e], s) => [
        k,
        { rows: e - a, positives: positives[s], rate: e > a ? positives[s] / (e - a) : 0 },
      ]),
    ),
    memory,
  };
}

const gib = (b: number): string =>
  b < 2 ** 30 ? `${(b / 2 ** 20).toFixed(2)} MiB` : `${(b / 2 ** 30).toFixed(1)} GiB`;
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** The stats as readable text. */
export function formatStats(s: FileStats): string {
  const w = Math.max(5, ...s.tables.map((t) => t.name.length), ...s.dense.map((d) => d.name.length));
  let out = `rows ${s.rows.toLocaleString('en-US')}\n\nlabel rate per split\n`;
  for (const [k, v] of Object.entries(s.labelRate))
    out += `  ${k.padEnd(6)} ${pct(v.rate).padStart(7)} of ${v.rows.toLocaleString('en-US')} rows\n`;
  out += `\n${'table'.padEnd(w)}  ${'rows'.padStart(12)}  ${'top 1% share'.padStart(12)}  ${'missing'.padStart(8)}  ${'bag len'.padStart(7)}\n`;
  for (const t of s.tables)
    out += `${t.name.padEnd(w)}  ${t.rows.toLocaleString('en-US').padStart(12)}  ${pct(t.top1PercentShare).padStart(12)}  ${pct(t.missingRate).padStart(8)}  ${t.meanBagLength.toFixed(2).padStart(7)}\n`;
  if (s.dense.length > 0) {
    out += `\n${'dense'.padEnd(w)}  ${'min'.padStart(12)}  ${'max'.padStart(12)}  ${'mean'.padStart(12)}\n`;
    for (const d of s.dense)
      out += `${d.name.padEnd(w)}  ${d.min.toPrecision(6).padStart(12)}  ${d.max.toPrecision(6).padStart(12)}  ${d.mean.toPrecision(6).padStart(12)}\n`;
  }
  const m = s.memory;
  out += `\nembedding tables at d=${m.embeddingDim}: weights ${gib(m.paramBytes)}; optimizer state: sgd 0, adagrad ${gib(m.optimizerBytes.adagrad)}, rowwise-adagrad ${gib(m.optimizerBytes['rowwise-adagrad'])}\n`;
  out += `machine memory ${gib(m.machineBytes)} (os.totalmem() unless --memory-gb); budget for tables = half: ${gib(m.budgetBytes)}: weights + adagrad state ${m.fits ? 'fit' : 'do NOT fit'}\n`;
  for (const c of m.compressed) {
    out += `  ${c.option}: weights ${gib(c.paramBytes)} (${pct(c.paramBytes / Math.max(1, m.paramBytes))} of plain); adagrad ${gib(c.optimizerBytes.adagrad)}, rowwise-adagrad ${gib(c.optimizerBytes['rowwise-adagrad'])}: weights + adagrad state ${c.fits ? 'fit' : 'do NOT fit'}\n`;
  }
  if (!m.fits) {
    out += m.suggestMaxIndRange
      ? `suggestion: dlrm preprocess/train --max-ind-range ${m.suggestMaxIndRange} (tables fold to at most that many rows)\n`
      : 'no --max-ind-range from 1,000 up fits\n';
    out += m.suggestMinFrequency
      ? `suggestion: dlrm preprocess --min-frequency ${m.suggestMinFrequency} (rarer values share one row per table)\n`
      : 'no --min-frequency up to 1000 fits\n';
  }
  return out;
}
