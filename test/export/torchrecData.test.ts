// Tests of `dlrm export-data --format torchrec`: the day_N_{dense,sparse,labels}.npy files are read back
// with an independent .npy reader written here (magic, version, header dict, 64-byte alignment, exact
// data length) and hold each day shard's rows with TorchRec's dtypes and shapes (float32 [rows, 13],
// int32 [rows, 26], int32 [rows, 1]); a merged file's path finds its parts folder; no temporary is left;
// bad requests are one-line UserErrors.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { generateDayFiles } from '../../src/criteo/generatorText';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { readPartsManifest } from '../../src/dataset/partsSource';
import { runExportData } from '../../src/export/torchrecData';
import { main } from '../../src/cli/main';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

const dir = tempDir('torchrec-data');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const merged = path.join(dir, 'tb.dlrm');
const out = path.join(dir, 'torchrec');

interface NpyArray {
  descr: string;
  shape: number[];
  data: Buffer;
}

/** An independent .npy (v1.0/2.0) reader: checks the magic, the header dict and the data length. */
function readNpy(file: string): NpyArray {
  const buf = fs.readFileSync(file);
  assert.deepEqual([...buf.subarray(0, 6)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], `${file}: magic`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  assert.equal(start % 64, 0, `${file}: data starts at ${start}, not 64-byte aligned`);
  const header = buf.subarray(major === 1 ? 10 : 12, start).toString('latin1');
  assert.ok(header.endsWith('\n'));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  assert.ok(descr && fortran && shapeText !== undefined, `${file}: header ${header}`);
  assert.equal(fortran, 'False');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const itemSize = Number(descr.slice(2));
  const data = buf.subarray(start);
  assert.equal(data.length, shape.reduce((p, n) => p * n, 1) * itemSize, `${file}: data length`);
  return { descr, shape, data };
}

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  await generateDayFiles({
    profile: loadProfile('terabyte'),
    prefix: path.join(dir, 'day'),
    days: 3,
    rowsPerDay: 70_000,
    seed: 4,
    withLabel: true,
  });
  await runPreprocess(
    preprocessConfig(path.join(dir, 'day'), merged, { dataSet: 'terabyte', maxIndRange: 10_000_000 }),
  );
});

test("export-data --format torchrec: each day's three arrays hold the shard's rows with TorchRec's dtypes and shapes", async () => {
  process.exitCode = 0;
  await main([
    'node',
    'dlrm',
    'export-data',
    '--format',
    'torchrec',
    '--processed-data-file',
    merged,
    '--out',
    out,
    '--log-level',
    'warn',
  ]);
  assert.equal(process.exitCode, 0);
  const parts = `${merged}.parts`;
  const m = readPartsManifest(parts);
  assert.deepEqual(
    fs.readdirSync(out).sort(),
    [0, 1, 2].flatMap((d) => [`day_${d}_dense.npy`, `day_${d}_labels.npy`, `day_${d}_sparse.npy`]),
  );
  m.days.forEach((day, d) => {
    const dense = readNpy(path.join(out, `day_${d}_dense.npy`));
    const sparse = readNpy(path.join(out, `day_${d}_sparse.npy`));
    const labels = readNpy(path.join(out, `day_${d}_labels.npy`));
    assert.deepEqual([dense.descr, dense.shape], ['<f4', [day.rows, 13]]);
    assert.deepEqual([sparse.descr, sparse.shape], ['<i4', [day.rows, 26]]);
    assert.deepEqual([labels.descr, labels.shape], ['<i4', [day.rows, 1]]);
    const reader = ProcessedFileReader.open(path.join(parts, day.shard));
    try {
      // 70,000 rows: two row groups, so the chunked writing is covered
      const b = reader.read(0, reader.rows);
      for (let r = 0; r < day.rows; r++) {
        assert.equal(labels.data.readInt32LE(4 * r), b.labels[r], `day ${d} row ${r} label`);
        for (let j = 0; j < 13; j++) assert.equal(dense.data.readFloatLE(4 * (r * 13 + j)), b.dense[r * 13 + j]);
        for (let t = 0; t < 26; t++)
          assert.equal(
            sparse.data.readInt32LE(4 * (r * 26 + t)),
            b.sparse[t].indices[r],
            `day ${d} row ${r} table ${t}`,
          );
      }
    } finally {
      reader.close();
    }
  });
  assert.deepEqual(
    fs.readdirSync(out).filter((f) => !f.endsWith('.npy')),
    [],
    'no temporary left',
  );
});

test('export-data refuses an unknown format, a path without parts folder, and an --out inside the parts folder', async () => {
  const run = (over: Partial<Parameters<typeof runExportData>[0]>) =>
    runExportData({ format: 'torchrec', processedDataFile: merged, out: path.join(dir, 'x'), ...over });
  await assert.rejects(
    run({ format: 'parquet' }),
    (e: unknown) => e instanceof UserError && /--format: 'parquet' is not one of torchrec/.test(e.message),
  );
  await assert.rejects(
    run({ processedDataFile: path.join(dir, 'nothing.dlrm') }),
    (e: unknown) => e instanceof UserError && /no parts folder with manifest.json/.test(e.message),
  );
  await assert.rejects(
    run({ out: path.join(`${merged}.parts`, 'npy') }),
    (e: unknown) => e instanceof UserError && /lies inside .*the parts folder of a processed dataset/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'x')));
});
