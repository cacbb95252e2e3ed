// `dlrm export-data --format torchrec`: a processed dataset's days in TorchRec's Criteo layout, as
// torchrec/datasets/criteo.py (BinaryCriteoUtils, InMemoryBinaryCriteoIterDataPipe) reads them, one
// triple per day of the parts folder, rows in the shard's (file) order:
//   day_N_dense.npy   float32 [rows, 13]  the dense values as preprocessed (log(max(x, 0) + 1))
//   day_N_sparse.npy  int32   [rows, 26]  the contiguous indices (order of first appearance), as its
//                                          sparse_to_contiguous step gives them
//   day_N_labels.npy  int32   [rows, 1]
// Each file is written under a temporary name and renamed when complete (src/util/atomic.ts). The
// per-table counts (TorchRec's num_embeddings_per_feature) are returned for the caller to print.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPartsManifest } from '../dataset/partsSource';
import { ProcessedFileReader } from '../dataset/processedFile';
import { AtomicFile } from '../util/atomic';
import { UserError } from '../util/errors';
import { refuseUnsafeOutputs } from '../util/paths';
import { npyHeader } from './npy';

export const DATA_EXPORT_FORMATS = ['torchrec'] as const;

/** TorchRec's Criteo column counts (INT_FEATURE_COUNT, CAT_FEATURE_COUNT). */
const TORCHREC_DENSE = 13;
const TORCHREC_TABLES = 26;

export interface ExportDataConfig {
  format: string;
  /** A merged processed file F (its parts folder F.parts/ is read) or the parts folder itself. */
  processedDataFile: string;
  /** The folder to write the day files into (created if missing). */
  out: string;
}

export interface ExportDataResult {
  files: string[];
  rows: number;
  numEmbeddingsPerFeature: number[];
}

/** The parts folder of `file`: itself when it is a folder, else F.parts/ beside the merged file. */
function partsFolderOf(file: string): string {
  let isDir = false;
  try {
    isDir = fs.statSync(file).isDirectory();
  } catch {
    // not there: look for its parts folder
  }
  const dir = isDir ? file : `${file}.parts`;
  if (!fs.existsSync(path.join(dir, 'manifest.json')))
    throw new UserError(
      `--processed-data-file ${file}: no parts folder with manifest.json at ${dir} (export-data reads the day shards dlrm preprocess leaves there)`,
    );
  return dir;
}

/** The file names of day d. */
export function torchrecDayFiles(out: string, d: number): { dense: string; sparse: string; labels: string } {
  return {
    dense: path.join(out, `day_${d}_dense.npy`),
    sparse: path.join(out, `day_${d}_sparse.npy`),
    labels: path.join(out, `day_${d}_labels.npy`),
  };
}

export async function runExportData(c: ExportDataConfig): Promise<ExportDataResult> {
  if (!(DATA_EXPORT_FORMATS as readonly string[]).includes(c.format))
    throw new UserError(`--format: '${c.format}' is not one of ${DATA_EXPORT_FORMATS.join(', ')}`);
  if (os.endianness() !== 'LE')
    throw new Error('export-data writes little-endian arrays from memory: a big-endian host is not supported');
  const dir = partsFolderOf(c.processedDataFile);
  const manifest = readPartsManifest(dir);
  if (manifest.numDense !== TORCHREC_DENSE || manifest.tables.length !== TORCHREC_TABLES) {
    throw new UserError(
      `${dir}: has ${manifest.numDense} dense and ${manifest.tables.length} categorical columns; TorchRec's Criteo layout has ${TORCHREC_DENSE} and ${TORCHREC_TABLES}`,
    );
  }
  const shards = manifest.days.map((d) => path.join(dir, d.shard));
  const outputs = manifest.days.flatMap((_, d) => Object.values(torchrecDayFiles(c.out, d)));
  refuseUnsafeOutputs({
    files: outputs.map((p) => ({ flag: '--out', path: p })),
    inputs: shards.map((p) => ({ flag: '--processed-data-file', path: p })),
  });
  fs.mkdirSync(c.out, { recursive: true });
  let rows = 0;
  for (let d = 0; d < shards.length; d++) rows += await exportDay(shards[d], torchrecDayFiles(c.out, d));
  return { files: outputs, rows, numEmbeddingsPerFeature: manifest.tables.map((t) => t.count) };
}

/** Writes one shard's rows as the three arrays; returns its row count. */
async function exportDay(shard: string, files: { dense: string; sparse: string; labels: string }): Promise<number> {
  const reader = ProcessedFileReader.open(shard);
  const T = reader.numTables;
  const D = reader.numDense;
  const dense = new AtomicFile(files.dense);
  const sparse = new AtomicFile(files.sparse);
  const labels = new AtomicFile(files.labels);
  const all = [dense, sparse, labels];
  try {
    dense.write(npyHeader('<f4', [reader.rows, D]));
    sparse.write(npyHeader('<i4', [reader.rows, T]));
    labels.write(npyHeader('<i4', [reader.rows, 1]));
    for (let a = 0; a < reader.rows; a += reader.rowsPerGroup) {
      const b = Math.min(reader.rows, a + reader.rowsPerGroup);
      const batch = await reader.readAsync(a, b);
      const n = batch.size;
      const rowMajor = new Int32Array(n * T);
      batch.sparse.forEach((bag, t) => {
        if (bag.indices.length !== n)
          throw new UserError(
            `${shard}: table ${t} holds bags of other than one index; TorchRec's Criteo layout has one index per table`,
          );
        for (let r = 0; r < n; r++) {
          const ix = bag.indices[r];
          if (ix > 0x7fffffff) throw new UserError(`${shard}: table ${t} index ${ix} does not fit int32`);
          rowMajor[r * T + t] = ix;
        }
      });
      dense.write(batch.dense);
      sparse.write(rowMajor);
      labels.write(Int32Array.from(batch.labels));
    }
    for (const f of all) f.commit();
    return reader.rows;
  } catch (err) {
    for (const f of all) f.abort();
    throw err;
  } finally {
    reader.close();
  }
}
