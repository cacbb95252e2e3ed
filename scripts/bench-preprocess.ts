// Benchmark of `dlrm preprocess` end to end: generates a Kaggle-shaped train.txt with the Criteo generator
// (src/criteo/generator.ts; default 5M lines, cached in the temp folder) or takes --input FILE, runs the
// whole pipeline (line count, parse, vocabularies, shards, merged file) and prints lines/s, MB/s, peak
// RSS, wall seconds per phase and CPU seconds over all threads (a figure less sensitive to other load on
// the machine). The reference's preprocessing runs at ~5,500 lines/s here. --schema benchmarks a user's own
// log instead: a generated 12-column CSV (header, a date, 3 string categoricals, 2 numeric ids, a multi-hot
// tag list, 4 dense; date split) through `preprocess --schema`. --baseline DIST also runs the same benchmark
// (Criteo preset or --schema) with another build's pipeline (e.g. /work/main/dist) on the same input, for a
// comparison on a busy machine.
//   node dist/scripts/bench-preprocess.js [--lines N] [--input FILE] [--workers W] [--max-ind-range M] [--randomize total|day|none]
//                                         [--schema] [--baseline DIST]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTextFile } from '../src/criteo/generatorText';
import { loadProfile } from '../src/criteo/generatorProfile';
import { runPreprocess, type PreprocessConfig, type PreprocessResult } from '../src/preprocess/pipeline';
import { Rng } from '../src/util/random';
import { setupLogger } from '../src/util/log';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const SCHEMA = {
  delimiter: ',',
  header: true,
  columns: ['click', 'day', 'country', 'device', 'page', 'user_id', 'ad_id', 'tags', 'price', 'count', 'age', 'dwell'],
  label: { name: 'click' },
  dense: [
    { name: 'price', transform: 'standardize' },
    { name: 'count', transform: 'log1p' },
    { name: 'age', transform: 'none' },
    { name: 'dwell', transform: 'log1p' },
  ],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'device', encoding: 'string' },
    { name: 'page', encoding: 'string' },
    { name: 'user_id', encoding: 'decimal' },
    { name: 'ad_id', encoding: 'decimal' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
  split: { by: 'date', column: 'day', test: '2024-01-07' },
};

/** Writes `rows` rows of the 12-column benchmark CSV (seeded, 7 days). */
function writeSchemaCsv(file: string, rows: number): void {
  const rng = new Rng(1);
  const fd = fs.openSync(`${file}.tmp`, 'w');
  const devices = ['ios', 'android', 'web', 'tv'];
  const tags = ['sports', 'news', 'tech', 'music', 'games', 'food', 'travel', 'cars'];
  let chunk = `${SCHEMA.columns.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    const t: string[] = [];
    for (const tag of tags) if (rng.next() < 0.2) t.push(tag);
    chunk +=
      `${rng.next() < 0.2 ? 1 : 0},2024-01-0${1 + Math.floor((7 * i) / rows)},c${rng.nextInt(200)},${devices[rng.nextInt(4)]},/p/${rng.nextInt(50_000)},` +
      `${rng.nextInt(2_000_000)},${rng.nextInt(100_000)},${t.join('|')},${(rng.next() * 100).toFixed(2)},${rng.nextInt(1000)},${18 + rng.nextInt(60)},${rng.nextInt(100_000)}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
}

function report(label: string, input: string, res: PreprocessResult, cpuSeconds: number): void {
  const bytes = fs.statSync(input).size;
  console.log(
    `${label}: ${res.lines} lines, ${(bytes / 1e6).toFixed(0)} MB: ${res.seconds.toFixed(2)} s, ${Math.round(res.lines / res.seconds).toLocaleString('en-US')} lines/s end to end, ${(bytes / 1e6 / res.seconds).toFixed(1)} MB/s`,
  );
  console.log(
    `  phases (wall s): ${Object.entries(res.phases)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}`,
  );
  console.log(
    `  CPU (all threads): ${cpuSeconds.toFixed(2)} s = ${Math.round(res.lines / cpuSeconds).toLocaleString('en-US')} lines per CPU-second; tables: ${res.manifest.tables.map((t) => t.count).join(' ')}`,
  );
}

async function timed(run: () => Promise<PreprocessResult>): Promise<{ res: PreprocessResult; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const res = await run();
  const cpu = process.cpuUsage(before);
  return { res, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** --baseline DIST: the same run with another build's module src/preprocess/<file> (loaded at run time: its path is only known then). */
async function runBaseline<M>(
  file: string,
  input: string,
  run: (other: M) => Promise<PreprocessResult>,
): Promise<void> {
  const baseline = arg('baseline', '');
  if (!baseline) return;
  // another build's module, named at run time: only require() loads it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const other = require(path.resolve(baseline, 'src', 'preprocess', file)) as M;
  const b = await timed(() => run(other));
  report(`baseline ${baseline} (same input and flags)`, input, b.res, b.cpuSeconds);
}

async function main(): Promise<void> {
  setupLogger({ level: 'warn' });
  const lines = Number(arg('lines', '5000000'));
  const workers = Number(arg('workers', '2'));
  const maxIndRange = Number(arg('max-ind-range', '-1'));
  const randomize = arg('randomize', 'total') as 'total' | 'day' | 'none';
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-pp-'));
  const options = {
    maxIndRange,
    dataSubSampleRate: 0,
    dataRandomize: randomize,
    minFrequency: 0,
    seed: 0,
    skipInvalidLines: false,
    workers,
  };
  try {
    if (process.argv.includes('--schema')) {
      const input = path.join(os.tmpdir(), `dlrm-bench-schema-${lines}.csv`);
      if (!fs.existsSync(input)) writeSchemaCsv(input, lines);
      const schemaFile = path.join(outDir, 'schema.json');
      fs.writeFileSync(schemaFile, JSON.stringify(SCHEMA));
      const schemaCfg = (out: string): PreprocessConfig => ({
        ...options,
        schemaFile,
        resume: false,
        rawDataFile: input,
        processedDataFile: path.join(outDir, out),
      });
      const { res, cpuSeconds } = await timed(() => runPreprocess(schemaCfg('logs.dlrm')));
      report(`--schema (12-column CSV, workers ${workers}, randomize ${randomize})`, input, res, cpuSeconds);
      // builds before the one orchestrator ran --schema in customPreprocess.js
      const older = fs.existsSync(path.resolve(arg('baseline', '.'), 'src', 'preprocess', 'customPreprocess.js'));
      if (older)
        await runBaseline<{ runCustomPreprocess: typeof runPreprocess }>('customPreprocess.js', input, (other) =>
          other.runCustomPreprocess(schemaCfg('baseline.dlrm')),
        );
      else
        await runBaseline<{ runPreprocess: typeof runPreprocess }>('pipeline.js', input, (other) =>
          other.runPreprocess(schemaCfg('baseline.dlrm')),
        );
      return;
    }
    let input = arg('input', '');
    if (!input) {
      input = path.join(os.tmpdir(), `dlrm-bench-kaggle-${lines}.txt`);
      if (!fs.existsSync(input)) {
        const t0 = Date.now();
        await generateTextFile({
          profile: loadProfile('kaggle'),
          rows: lines,
          out: input,
          seed: 1,
          withLabel: true,
          workers: 2,
        });
        console.log(`generated ${lines} lines into ${input} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
    const cfg = (out: string): PreprocessConfig => ({
      ...options,
      rawDataFile: input,
      processedDataFile: path.join(outDir, out),
      dataSet: 'kaggle',
      resume: false,
    });
    const { res, cpuSeconds } = await timed(() => runPreprocess(cfg('train.dlrm')));
    report(`Criteo preset (workers ${workers}, randomize ${randomize})`, input, res, cpuSeconds);
    console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (main thread + workers)`);
    await runBaseline<{ runPreprocess: typeof runPreprocess }>('pipeline.js', input, (other) =>
      other.runPreprocess(cfg('baseline.dlrm')),
    );
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
