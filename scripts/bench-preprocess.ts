// Benchmark of `dlrm preprocess` end to end: generates a Kaggle-shaped train.txt with the Criteo generator
// (src/criteo/generator.ts; default 5M lines, cached in the temp folder) or takes --input FILE, runs the
// whole pipeline (line count, parse, vocabularies, shards, merged file) and prints lines/s, MB/s, peak
// RSS, wall seconds per phase and CPU seconds over all threads (a figure less sensitive to other load on
// the machine). The reference's preprocessing runs at ~5,500 lines/s here.
//   node dist/scripts/bench-preprocess.js [--lines N] [--input FILE] [--workers W] [--max-ind-range M] [--randomize total|day|none]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTextFile } from '../src/criteo/generatorText';
import { loadProfile } from '../src/criteo/generatorProfile';
import { runPreprocess } from '../src/preprocess/pipeline';
import { setupLogger } from '../src/util/log';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  setupLogger({ level: 'warn' });
  const lines = Number(arg('lines', '5000000'));
  const workers = Number(arg('workers', '2'));
  const maxIndRange = Number(arg('max-ind-range', '-1'));
  const randomize = arg('randomize', 'total') as 'total' | 'day' | 'none';
  let input = arg('input', '');
  if (!input) {
    input = path.join(os.tmpdir(), `dlrm-bench-kaggle-${lines}.txt`);
    if (!fs.existsSync(input)) {
      const t0 = Date.now();
      await generateTextFile({ profile: loadProfile('kaggle'), rows: lines, out: input, seed: 1, withLabel: true, workers: 2 });
      console.log(`generated ${lines} lines into ${input} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-pp-'));
  const bytes = fs.statSync(input).size;
  try {
    const cpuBefore = process.cpuUsage();
    const res = await runPreprocess({
      rawDataFile: input,
      processedDataFile: path.join(outDir, 'train.dlrm'),
      dataSet: 'kaggle',
      maxIndRange,
      dataSubSampleRate: 0,
      dataRandomize: randomize,
      minFrequency: 0,
      seed: 0,
      skipInvalidLines: false,
      resume: false,
      workers,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`input ${input}: ${res.lines} lines, ${(bytes / 1e6).toFixed(0)} MB; workers ${workers}, randomize ${randomize}`);
    console.log(`preprocess end to end: ${res.seconds.toFixed(2)} s, ${Math.round(res.lines / res.seconds).toLocaleString('en-US')} lines/s, ${(bytes / 1e6 / res.seconds).toFixed(1)} MB/s, peak RSS ${rss.toFixed(0)} MB (main thread + workers)`);
    console.log(`phases (wall s): ${Object.entries(res.phases).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}; the 'days' phase alone: ${Math.round(res.lines / (res.phases.days ?? res.seconds)).toLocaleString('en-US')} lines/s`);
    console.log(`CPU (all threads): ${cpuSeconds.toFixed(2)} s = ${Math.round(res.lines / cpuSeconds).toLocaleString('en-US')} lines per CPU-second (on an idle machine with ${os.cpus().length} cores the wall-clock bound is ${os.cpus().length}x that)`);
    console.log(`tables: ${res.manifest.tables.map((t) => t.count).join(' ')}`);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
