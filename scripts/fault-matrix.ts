// The reliability matrix: every fault case of test/reliability/*.cases.ts (bad input, unsafe output paths,
// disk full on a small tmpfs when run as root, concurrent runs, corruption, terminal input), plus kill -9
// at random moments with resume, each run through the real CLI in a fresh folder and judged by
// runFaultCase. Prints one line per case and the tally
//   N cases, N clear errors, 0 stack traces, 0 half-written outputs, 0 silent wrong results
// and exits non-zero when any case went wrong. `npm run build` first.
//   node dist/scripts/fault-matrix.js [--kill-trials N] [--seed S] [--only SUBSTRING]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../test/helpers/sharedData';
import { type FaultCase, runFaultCase } from '../test/reliability/faultCase';
import { killResumeCases } from '../test/reliability/killResume.cases';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function isFaultCase(x: unknown): x is FaultCase {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as FaultCase).prepare === 'function' &&
    typeof (x as FaultCase).kind === 'string'
  );
}

/** Every case list exported by the compiled test/reliability/*.cases.js modules (arrays of FaultCase). */
function listedCases(): FaultCase[] {
  const folder = path.join(__dirname, '..', 'test', 'reliability');
  const cases: FaultCase[] = [];
  for (const file of fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.cases.js'))
    .sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(folder, file)) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (Array.isArray(value) && value.every(isFaultCase)) cases.push(...value);
  }
  return cases;
}

async function main(): Promise<void> {
  const trials = Number(arg('kill-trials', '6'));
  const seed = Number(arg('seed', '1'));
  const only = arg('only', '');
  const cases = [...listedCases(), ...killResumeCases(trials, seed)].filter(
    (c) => c.name.includes(only) || c.kind.includes(only),
  );
  const tally = { cases: 0, clearErrors: 0, stackTraces: 0, halfWritten: 0, wrongResults: 0, skipped: 0, failed: 0 };
  const byKind = new Map<string, number>();
  const t0 = Date.now();
  for (const c of cases) {
    const skip = c.skip?.();
    if (skip) {
      tally.skipped++;
      console.log(`skip  ${c.kind}: ${c.name} (${skip})`);
      continue;
    }
    const dir = tempDir('fault');
    try {
      const v = await runFaultCase(c, dir);
      tally.cases++;
      byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
      if (v.clearError) tally.clearErrors++;
      if (v.stackTrace) tally.stackTraces++;
      if (v.halfWritten) tally.halfWritten++;
      if (v.wrongResult) tally.wrongResults++;
      if (v.problems.length) tally.failed++;
      console.log(`${v.problems.length ? 'FAIL' : 'ok  '}  ${c.kind}: ${c.name}${v.note ? ` [${v.note}]` : ''}`);
      for (const p of v.problems) console.log(`        ${p.split('\n').join('\n        ')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    `\nby class: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}; skipped ${tally.skipped}; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(
    `${tally.cases} cases, ${tally.clearErrors} clear errors, ${tally.stackTraces} stack traces, ${tally.halfWritten} half-written outputs, ${tally.wrongResults} silent wrong results` +
      (tally.failed ? ` (${tally.failed} cases did not give their expected outcome)` : ''),
  );
  if (tally.failed) process.exitCode = 1;
}

void main();
