// `dlrm train --metrics-file` then `dlrm report`, through the CLI (spawned `node bin/dlrm.js`): a run
// shorter than --print-freq still has its last step on every train chart, drawn as a visible point over
// whole-number step ticks; a run resumed with --load-model continues the same run in the report
// ("resumed 1×", one legend entry); runs are named by --run-name or the metrics file's base name; a run
// stopped by SIGINT logs its last step; train lines carry their window's training accuracy, which the report
// draws.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('train-report');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const bin = path.join(repoRoot(), 'bin', 'dlrm.js');
const smoke = path.join(repoRoot(), 'configs', 'smoke.json');

function dlrm(...args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args, '--log-level', 'warn'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `dlrm ${args.join(' ')}: ${r.stderr}`);
}

function jsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The SVG of the chart titled `title` in a report page. */
function chart(html: string, title: string): string {
  const start = html.indexOf(`<figcaption>${title}</figcaption>`);
  assert.ok(start >= 0, `chart ${title}`);
  return html.slice(start, html.indexOf('</figure>', start));
}

/** The x-axis tick labels of a chart (centred under the plot; y ticks are right-aligned). */
function xTicks(svg: string): string[] {
  return [...svg.matchAll(/<text class="tick"[^>]*text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** The legend entries of a report page. */
function legend(html: string): string[] {
  const block = /<div class="legend">(.*?)<\/div>/.exec(html)![1];
  return [...block.matchAll(/<\/i>([^<]*)<\/span>/g)].map((m) => m[1]);
}

test('a run shorter than --print-freq: its last step is a visible point on every train chart, with whole-number step ticks', () => {
  const metrics = path.join(dir, 'short.jsonl');
  const out = path.join(dir, 'short.html');
  dlrm('train', '--config', smoke, '--num-batches', '5', '--print-freq', '1024', '--metrics-file', metrics);
  const train = jsonLines(metrics).filter((l) => l.type === 'train');
  assert.deepEqual(
    train.map((l) => l.step),
    [5],
  );
  dlrm('report', '--metrics', metrics, '--out', out);
  const html = fs.readFileSync(out, 'utf8');
  for (const title of ['Training loss', 'Learning rate', 'Samples / s', 'Eval AUC', 'Eval logloss']) {
    const svg = chart(html, title);
    assert.match(
      svg,
      /<circle cx="[\d.]+" cy="[\d.]+" r="3" fill="[^"]+"><title>short[^:]*: step 5, /,
      `${title}: a marker at step 5`,
    );
    const ticks = xTicks(svg);
    assert.ok(ticks.includes('5'), `${title}: ticks ${ticks.join(' ')}`);
    assert.ok(
      ticks.every((t) => /^\d+$/.test(t)),
      `${title}: step ticks must be whole numbers, got ${ticks.join(' ')}`,
    );
  }
});

test('train lines carry the training accuracy of their print window, drawn solid beside the dashed eval accuracy', () => {
  const metrics = path.join(dir, 'accuracy.jsonl');
  const out = path.join(dir, 'accuracy.html');
  // smoke.json: 128 rows per batch, so a 2-step window has 256 rows
  dlrm(
    'train',
    '--config',
    smoke,
    '--num-batches',
    '8',
    '--print-freq',
    '2',
    '--metrics-file',
    metrics,
    '--test-freq',
    '4',
  );
  const train = jsonLines(metrics).filter((l) => l.type === 'train');
  assert.deepEqual(
    train.map((l) => l.step),
    [2, 4, 6, 8],
  );
  for (const l of train) {
    const acc = l.accuracy as number;
    assert.ok(acc >= 0 && acc <= 1, `accuracy ${acc}`);
    assert.ok(Math.abs(acc * 256 - Math.round(acc * 256)) < 1e-9, `accuracy ${acc} is a count of 256 rows`);
  }
  assert.ok(new Set(train.map((l) => l.accuracy)).size > 1, 'the windows differ');
  dlrm('report', '--metrics', metrics, '--out', out);
  const svg = chart(fs.readFileSync(out, 'utf8'), 'Accuracy: training (solid), eval (dashed)');
  assert.match(svg, /<polyline class="series" data-series="accuracy" data-points="4" points="[^"]+" stroke="[^"]+"\/>/);
  assert.match(
    svg,
    /<polyline class="series" data-series="accuracy \(heldout\)" data-points="2" [^>]*stroke-dasharray/,
  );
});

test('a run resumed with --load-model and the same --metrics-file is one run in the report, named after the file, "resumed 1×"', () => {
  const metrics = path.join(dir, 'kaggle.jsonl');
  const ckpt = path.join(dir, 'resume.ckpt');
  const out = path.join(dir, 'resume.html');
  dlrm('train', '--config', smoke, '--num-batches', '4', '--save-model', ckpt, '--metrics-file', metrics);
  dlrm('train', '--load-model', ckpt, '--save-model', ckpt, '--nepochs', '2', '--metrics-file', metrics);
  const runs = jsonLines(metrics).filter((l) => l.type === 'run');
  assert.equal(runs.length, 2);
  assert.equal(runs[1].runId, runs[0].runId, 'the resumed run keeps its run id');
  assert.deepEqual(
    runs.map((r) => r.runName),
    ['kaggle', 'kaggle'],
  );
  // a fresh run with a name, and a fresh run without one, in the same file
  dlrm('train', '--config', smoke, '--num-batches', '2', '--run-name', 'adagrad <lr 0.05>', '--metrics-file', metrics);
  dlrm('train', '--config', smoke, '--num-batches', '2', '--metrics-file', metrics);
  dlrm('report', '--metrics', metrics, '--out', out);
  const html = fs.readFileSync(out, 'utf8');
  assert.deepEqual(legend(html), ['kaggle (resumed 1×)', 'adagrad &lt;lr 0.05&gt;', 'kaggle #2']);
  assert.match(
    html,
    /data-series="kaggle" data-points="2"/,
    'the resumed run has the train points of both epochs (steps 4 and 8)',
  );
  assert.doesNotMatch(html, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/, 'no UUID is shown');
});

test('--run-name is refused when empty or multi-line, naming the flag', () => {
  for (const bad of ['', 'a\nb']) {
    const r = spawnSync(process.execPath, [bin, 'train', '--config', smoke, '--run-name', bad], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /^dlrm: option '--run-name <text>' argument .* is invalid\. .* must be 1 to 100 characters on one line/s,
    );
  }
});

test('a run stopped by SIGINT logs a train line at the step it stopped at, even between --print-freq steps', async () => {
  const ckpt = path.join(dir, 'stop.ckpt');
  const metrics = path.join(dir, 'stop.jsonl');
  const child = spawn(
    process.execPath,
    [
      bin,
      'train',
      '--log-level',
      'info',
      '--config',
      smoke,
      '--data-size',
      '10000000',
      '--print-freq',
      '100000',
      '--save-model',
      ckpt,
      '--metrics-file',
      metrics,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((done = true), resolve(code))));
  // the log's "training" line comes before the first step; interrupt a little after it
  while (!done && !stderr.includes('"msg":"training"') && !stdout.includes('"msg":"training"'))
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!done, 'training ended before it could be interrupted');
  child.kill('SIGINT');
  assert.equal(await exited, 130);
  const stopped = Number(/^stopped at step (\d+) /.exec(stdout)?.[1]);
  assert.ok(stopped > 0, stdout);
  const train = jsonLines(metrics).filter((l) => l.type === 'train');
  assert.deepEqual(
    train.map((l) => l.step),
    [stopped],
  );
});
