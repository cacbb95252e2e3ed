// `dlrm predict` end to end through the built CLI. The key check: scoring raw lines (with the label, without
// it, gzipped) gives exactly the probabilities the engine gives on the processed rows of the same lines
// (raw path == processed path), also with --min-frequency, preprocess --max-ind-range and train
// --max-ind-range. Unseen categories score as the table's oovIndex; CSV shape; bad lines are refused
// naming file, line and field, and no output file is left behind.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Batch } from '../../src/dataset/batch';
import type { Engine } from '../../src/engine/engine';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, dlrm, foldBatch, mergedRows, predictInChunks, referenceEngine, type Fixture } from './fixtures';

const dir = tempDir('predict');
const CHUNK = 4096;
let fx: Fixture;
let rare: Fixture;
let engine: Engine;
let rareEngine: Engine;

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 5000, seed: 7 });
  rare = await buildFixture(dir, 'rare', {
    rows: 4000,
    seed: 8,
    minFrequency: 3,
    preprocessMaxIndRange: 5000,
    trainMaxIndRange: 40,
  });
  engine = await referenceEngine(fx);
  rareEngine = await referenceEngine(rare);
});
after(() => {
  engine?.dispose();
  rareEngine?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Csv {
  header: string[];
  rows: string[][];
}

function parseCsv(text: string): Csv {
  assert.ok(text.endsWith('\n'), 'the CSV ends with a newline');
  const [head, ...rest] = text.slice(0, -1).split('\n');
  return { header: head.split(','), rows: rest.map((l) => l.split(',')) };
}

function predictCsv(...args: string[]): Csv {
  const r = dlrm('predict', '--mini-batch-size', String(CHUNK), ...args);
  assert.equal(r.status, 0, r.stderr);
  return parseCsv(r.stdout);
}

/** Asserts the CSV's probabilities are exactly (as float32) `want`, lines numbered 1..N. */
function assertProbabilities(csv: Csv, want: Float32Array): void {
  assert.equal(csv.rows.length, want.length, 'one row per input line');
  csv.rows.forEach((r, i) => {
    assert.equal(r[0], String(i + 1), 'line number');
    assert.equal(Math.fround(Number(r[1])), want[i], `line ${i + 1}: probability ${r[1]} vs ${want[i]}`);
  });
}

/** The lines of a raw file without their first (label) field. */
function unlabelled(raw: string, out: string): string {
  const lines = fs
    .readFileSync(raw, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  fs.writeFileSync(out, lines.map((l) => l.slice(l.indexOf('\t') + 1)).join('\n') + '\n');
  return out;
}

async function processedPath(f: Fixture, e: Engine): Promise<{ p: Float32Array; labels: Float32Array }> {
  const batch = mergedRows(f, 0, f.manifest.totalRows);
  return { p: await predictInChunks(e, batch, CHUNK), labels: batch.labels };
}

test('raw labelled lines score exactly as the processed rows of the same lines; CSV line,probability,label', async () => {
  const want = await processedPath(fx, engine);
  const csv = predictCsv('--load-model', fx.model, '--input', fx.raw, '--processed-data-file', fx.merged);
  assert.deepEqual(csv.header, ['line', 'probability', 'label']);
  assertProbabilities(csv, want.p);
  csv.rows.forEach((r, i) => assert.equal(Number(r[2]), want.labels[i]));
  assert.ok(new Set(csv.rows.map((r) => r[1])).size > 100, 'the model gives varied probabilities');
});

test('unlabelled (39-field) lines, plain and gzipped, to --output: the same probabilities, CSV line,probability', async () => {
  const want = await processedPath(fx, engine);
  const plain = unlabelled(fx.raw, path.join(dir, 'gen-test.txt'));
  const gz = path.join(dir, 'gen-test.txt.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)));
  for (const input of [plain, gz]) {
    const out = path.join(dir, 'out.csv');
    // vocabularies found through the processed file the checkpoint records
    const r = dlrm(
      'predict',
      '--mini-batch-size',
      String(CHUNK),
      '--load-model',
      fx.model,
      '--input',
      input,
      '--output',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'nothing on stdout with --output');
    const csv = parseCsv(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(csv.header, ['line', 'probability']);
    assert.ok(csv.rows.every((row) => row.length === 2));
    assertProbabilities(csv, want.p);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('.tmp-')),
      [],
      'no temporary file left',
    );
    fs.rmSync(out);
  }
});

test('raw path == processed path with --min-frequency, preprocess --max-ind-range and train --max-ind-range', async () => {
  assert.ok(
    rare.manifest.tables.some((t) => t.count > 40),
    'train folding is exercised',
  );
  const want = await processedPath(rare, rareEngine);
  const viaManifest = predictCsv(
    '--load-model',
    rare.model,
    '--input',
    rare.raw,
    '--manifest',
    path.join(`${rare.merged}.parts`, 'manifest.json'),
  );
  assertProbabilities(viaManifest, want.p);
});

/** `n` lines of dense values and categories never seen in preprocessing (values outside every vocabulary, after preprocess's modulo). */
function unseenLines(f: Fixture, n: number): { lines: string[]; dense: number[][] } {
  const M = f.manifest.options.maxIndRange;
  const vocab = f.manifest.tables.map((t) => {
    const b = fs.readFileSync(path.join(`${f.merged}.parts`, t.vocabFile));
    return new Set(new Uint32Array(b.buffer, b.byteOffset, b.length / 4));
  });
  const lines: string[] = [];
  const dense: number[][] = [];
  for (let i = 0; i < n; i++) {
    const d = Array.from({ length: 13 }, (_, k) => ((k * 37 + i * 11) % 500) - (k === 1 ? 3 : 0));
    const cats = vocab.map((seen, t) => {
      let v = (0xf0000000 + t * 1000 + i) >>> 0;
      while (seen.has(M > 0 ? v % M : v)) v++;
      return v.toString(16);
    });
    lines.push(['0', ...d.map(String), ...cats].join('\t'));
    dense.push(d.map((x) => Math.fround(Math.log(Math.fround(Math.max(0, x) + 1)))));
  }
  return { lines, dense };
}

test('categories never seen in preprocessing score as the index oovIndex of their table', async () => {
  for (const [f, e] of [
    [fx, engine],
    [rare, rareEngine],
  ] as const) {
    const { lines, dense } = unseenLines(f, 50);
    const input = path.join(dir, 'unseen.txt');
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const oov = f.manifest.tables.map((t) => t.oovIndex);
    if (f === rare)
      assert.deepEqual(
        oov,
        f.manifest.tables.map((t) => t.count - 1),
        'with --min-frequency the OOV row is the shared rare row',
      );
    const batch: Batch = {
      size: lines.length,
      numDense: 13,
      dense: Float32Array.from(dense.flat()),
      labels: new Float32Array(lines.length),
      sparse: oov.map((idx) => ({
        offsets: Uint32Array.from({ length: lines.length + 1 }, (_, i) => i),
        indices: new Uint32Array(lines.length).fill(idx),
      })),
    };
    const want = await e.predict(
      foldBatch(
        batch,
        f.manifest.tables.map((t) => t.count),
        f.trainMaxIndRange,
      ),
    );
    assertProbabilities(predictCsv('--load-model', f.model, '--input', input, '--processed-data-file', f.merged), want);
  }
});

test('a wrong field count or a bad value is refused naming file, line and field; no output file is written', () => {
  const lines = fs.readFileSync(fx.raw, 'utf8').split('\n').slice(0, 5);
  const cases: { name: string; edit: (l: string[]) => void; message: RegExp }[] = [
    {
      name: 'short.txt',
      edit: (l) => (l[2] = l[2].slice(l[2].indexOf('\t') + 1)),
      message: /short\.txt:3: the line has 39 fields, expected 40/,
    },
    {
      name: 'unlabelled-long.txt',
      edit: (l) => {
        for (let i = 0; i < 5; i++) l[i] = l[i].slice(l[i].indexOf('\t') + 1);
        l[3] = `1\t${l[3]}`;
      },
      message: /unlabelled-long\.txt:4: the line has 40 fields, expected 39/,
    },
    {
      name: 'bad-dense.txt',
      edit: (l) => {
        const f = l[1].split('\t');
        f[5] = '12x';
        l[1] = f.join('\t');
      },
      message: /bad-dense\.txt:2: field 6 \(I5\): '12x' is not an integer/,
    },
    {
      name: 'bad-hex.txt',
      edit: (l) => {
        const f = l[4].split('\t');
        f[20] = 'zz';
        l[4] = f.join('\t');
      },
      message: /bad-hex\.txt:5: field 21 \(C7\): 'zz' is not 1 to 8 hex digits/,
    },
  ];
  for (const c of cases) {
    const copy = [...lines];
    c.edit(copy);
    const input = path.join(dir, c.name);
    fs.writeFileSync(input, copy.join('\n') + '\n');
    const out = path.join(dir, `${c.name}.csv`);
    const r = dlrm('predict', '--load-model', fx.model, '--input', input, '--output', out);
    assert.equal(r.status, 2, c.name);
    assert.match(r.stderr, c.message);
    assert.ok(!fs.existsSync(out), `${c.name}: no output file`);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.includes('.tmp-')),
      [],
      'no temporary file left',
    );
  }
});

test('vocabularies that do not fit the model, a missing input and a missing output folder are refused', () => {
  const r = dlrm('predict', '--load-model', fx.model, '--input', fx.raw, '--processed-data-file', rare.merged);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not those of the processed file the model was trained on/, 'a warning first');
  assert.match(r.stderr, /does not fit the vocabularies of .*rare\.dlrm/);
  const missing = dlrm('predict', '--load-model', fx.model, '--input', path.join(dir, 'none.txt'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--input .*none\.txt: cannot read it/);
  const noFolder = dlrm(
    'predict',
    '--load-model',
    fx.model,
    '--input',
    fx.raw,
    '--output',
    path.join(dir, 'no-such-folder', 'p.csv'),
  );
  assert.equal(noFolder.status, 2);
  assert.match(noFolder.stderr, /--output .*p\.csv: folder .*no-such-folder does not exist/);
});

test('a vocabulary file that disagrees with its manifest is refused, naming the file', () => {
  const copy = path.join(dir, 'copy.parts');
  fs.cpSync(`${fx.merged}.parts`, copy, { recursive: true });
  const t = fx.manifest.tables[3];
  const vocabFile = path.join(copy, t.vocabFile);
  fs.truncateSync(vocabFile, fs.statSync(vocabFile).size - 4);
  const r = dlrm(
    'predict',
    '--load-model',
    fx.model,
    '--input',
    fx.raw,
    '--manifest',
    path.join(copy, 'manifest.json'),
  );
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(`${t.vocabFile.replace('.', '\\.')}: ${(t.count - 1) * 4} bytes, expected ${t.count} uint32 values`),
  );
});

test('a bad line after several MB (batches already scored and written) still leaves no output file', () => {
  const text = fs.readFileSync(fx.raw, 'utf8');
  const copies = Math.ceil((5 << 20) / text.length); // past the first 4 MiB block
  const input = path.join(dir, 'late-error.txt');
  fs.writeFileSync(input, text.repeat(copies) + '1\t2\n');
  const out = path.join(dir, 'late-error.csv');
  const r = dlrm('predict', '--mini-batch-size', '1000', '--load-model', fx.model, '--input', input, '--output', out);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`late-error\\.txt:${fx.manifest.totalRows * copies + 1}: the line has 2 fields, expected 40`),
  );
  assert.ok(!fs.existsSync(out));
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => n.includes('.tmp-')),
    [],
    'no temporary file left',
  );
});
