// Tests of `dlrm report` (src/report/*, src/cli/report.ts): JSONL parsing into runs (resumes merged,
// nulls kept out of charts), bad lines rejected with file and line, and a self-contained HTML page that
// holds every series, the final numbers and no network reference.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { renderReport } from '../../src/report/html';
import { parseMetricsText, readMetricsFile } from '../../src/report/metricsFile';
import { formatNumber, niceTicks, renderLineChart } from '../../src/report/svgChart';
import { checkOutputFile } from '../../src/util/atomic';
import { UserError } from '../../src/util/errors';
import { tempDir } from '../helpers/sharedData';

const dir = tempDir('report');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A metrics file as `dlrm train --metrics-file` writes it: a run, train lines, eval lines, a resume. */
function metricsJsonl(runId: string, steps: number, aucs: number[]): string {
  const lines: object[] = [
    {
      type: 'run',
      runId,
      startedAt: '2026-01-01T00:00:00Z',
      engine: 'tfjs-cpu',
      config: { learningRate: 0.1, note: '<b>' },
    },
  ];
  for (let s = 1; s <= steps; s++) {
    lines.push({
      type: 'train',
      step: s * 10,
      epoch: 0,
      loss: 0.7 - s * 0.001,
      lr: 0.1,
      samplesPerSec: 20000 + s,
      time: 'x',
      extra: 'ignored',
    });
    if (s === Math.floor(steps / 2)) lines.push({ ...lines[0], startedAt: '2026-01-01T01:00:00Z' });
  }
  aucs.forEach((auc, k) => {
    lines.push({
      type: 'eval',
      step: (k + 1) * 100,
      epoch: 0,
      split: 'test',
      rows: 5000,
      auc,
      logloss: 0.5 - k * 0.01,
      accuracy: 0.77,
      ne: 0.9,
      calibration: 1.01,
      averagePrecision: 0.5,
      positiveRate: 0.25,
      time: 'x',
    });
  });
  lines.push({
    type: 'eval',
    step: aucs.length * 100,
    split: 'val',
    rows: 10,
    auc: null,
    logloss: 0.61,
    accuracy: 0.7,
    ne: null,
    calibration: null,
    averagePrecision: null,
    positiveRate: 0,
  });
  lines.push({ type: 'checkpoint', step: 1 });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

test('parses runs: resumed run lines continue the run, unknown types and fields are ignored', () => {
  const runs = parseMetricsText(metricsJsonl('r1', 50, [0.61, 0.7, 0.7891]), 'm.jsonl');
  assert.equal(runs.length, 1);
  const [run] = runs;
  assert.equal(run.runId, 'r1');
  assert.equal(run.starts, 2);
  assert.equal(run.engine, 'tfjs-cpu');
  assert.equal(run.startedAt, '2026-01-01T00:00:00Z');
  assert.equal(run.train.length, 50);
  assert.deepEqual(run.train[49], {
    step: 500,
    epoch: 0,
    loss: 0.7 - 0.05,
    accuracy: null,
    lr: 0.1,
    samplesPerSec: 20050,
  });
  assert.equal(run.eval.length, 4);
  assert.equal(run.eval[3].auc, null);
  assert.equal(run.eval[3].epoch, null);
  // a run resumed from an earlier checkpoint logs steps 20.. again: the new points replace the old ones
  const replay = [
    { type: 'run', runId: 'r' },
    ...[10, 20, 30, 40].map((step) => ({ type: 'train', step, loss: 1 })),
    { type: 'eval', step: 40, auc: 0.6 },
    { type: 'run', runId: 'r' },
    ...[30, 40, 50].map((step) => ({ type: 'train', step, loss: 2 })),
    { type: 'eval', step: 50, auc: 0.7 },
  ];
  const [resumed] = parseMetricsText(replay.map((l) => JSON.stringify(l)).join('\n'), 'r.jsonl');
  assert.deepEqual(
    resumed.train.map((p) => [p.step, p.loss]),
    [
      [10, 1],
      [20, 1],
      [30, 2],
      [40, 2],
      [50, 2],
    ],
  );
  assert.deepEqual(
    resumed.eval.map((p) => [p.step, p.auc]),
    [
      [40, 0.6],
      [50, 0.7],
    ],
  );
  const orphan = parseMetricsText('{"type":"train","step":1,"loss":0.5}\n', 'o.jsonl');
  assert.equal(orphan[0].runId, '(no run line)');
});

test('bad lines are UserErrors naming the file, line and field', () => {
  const good = metricsJsonl('r1', 3, [0.6]).split('\n');
  const bad = (lines: string[]): string => lines.join('\n');
  const cases: [string, RegExp][] = [
    [bad([good[0], good[1], '{"type":"train",', good[2]]), /^m\.jsonl:3: not valid JSON/],
    [bad([good[0], '[1,2]']), /^m\.jsonl:2: each line must be a JSON object/],
    [
      bad([good[0], '{"type":"train","step":"ten","loss":1}']),
      /^m\.jsonl:2: field step: "step" must be a number or null, got "ten"/,
    ],
    [bad([good[0], '{"type":"eval","step":5,"auc":"high"}']), /^m\.jsonl:2: field auc:/],
    [bad(['{"type":"run"}']), /^m\.jsonl:1: field runId: "runId" is missing/],
    [bad(['{"step":1}']), /^m\.jsonl:1: field type:/],
  ];
  for (const [text, want] of cases) {
    assert.throws(
      () => parseMetricsText(text, 'm.jsonl'),
      (err: unknown) => err instanceof UserError && want.test(err.message),
      String(want),
    );
  }
  assert.throws(
    () => readMetricsFile(path.join(dir, 'absent.jsonl')),
    (err: unknown) => err instanceof UserError && /cannot read/.test(err.message),
  );
});

test('the HTML page holds every run, series, eval point and final number, and no network reference', () => {
  const a = path.join(dir, 'a.jsonl');
  const b = path.join(dir, 'b.jsonl');
  fs.writeFileSync(a, metricsJsonl('first', 50, [0.61, 0.7, 0.7891]));
  fs.writeFileSync(b, metricsJsonl('second', 20, [0.55, 0.6543]));
  const html = renderReport([...readMetricsFile(a), ...readMetricsFile(b)]);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|<img|url\(/);
  for (const label of ['a.jsonl · first', 'b.jsonl · second']) {
    assert.ok(
      html.includes(`data-series="${label}" data-points="${label.includes('first') ? 50 : 20}"`),
      `train series of ${label}`,
    );
    assert.ok(html.includes(`data-series="${label} (test)"`), `eval series of ${label}`);
  }
  for (const title of ['Training loss', 'Learning rate', 'Samples / s', 'Eval AUC', 'Eval logloss', 'Eval accuracy'])
    assert.ok(html.includes(`<figcaption>${title}</figcaption>`), title);
  assert.ok(html.includes('<title>a.jsonl · first (test): step 300, 0.7891</title>'));
  assert.ok(html.includes('<title>b.jsonl · second (test): step 200, 0.6543</title>'));
  assert.ok(html.includes('<td>0.7891</td>') && html.includes('<td>0.6543</td>'), 'final AUCs in the table');
  assert.ok(html.includes('(resumed 1×)'));
  assert.ok(html.includes('&quot;note&quot;: &quot;&lt;b&gt;&quot;'), 'config is escaped');
  assert.ok(!html.includes('<b>'));
});

test('dlrm report writes the page atomically from several --metrics files', async () => {
  const c = path.join(dir, 'c.jsonl');
  const d = path.join(dir, 'd.jsonl');
  fs.writeFileSync(c, metricsJsonl('cli', 10, [0.7]));
  fs.writeFileSync(d, metricsJsonl('other', 10, [0.7]));
  const out = path.join(dir, 'report.html');
  await main(['node', 'dlrm', 'report', '--metrics', c, '--metrics', d, '--out', out, '--log-level', 'warn']);
  const html = fs.readFileSync(out, 'utf8');
  assert.ok(html.includes('data-series="c.jsonl · cli"') && html.includes('data-series="d.jsonl · other"'));
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
  );
  assert.throws(
    () => checkOutputFile('--out', dir),
    (e: unknown) => e instanceof UserError && /is a folder, not a file/.test(e.message),
  );
  assert.throws(
    () => checkOutputFile('--out', path.join(dir, 'absent', 'r.html')),
    /--out .*r\.html: folder .*absent does not exist/,
  );
});

test('charts: nice ticks, short numbers, and thinning that keeps a spike of a long series', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.43, 0.52), [0.44, 0.46, 0.48, 0.5, 0.52]);
  assert.deepEqual(niceTicks(0, 25000, 5), [0, 5000, 10000, 15000, 20000, 25000]);
  // steps are whole numbers: one point at step 145 gets 144 145 146, never 144.5
  assert.deepEqual(niceTicks(144, 146, 6, true), [144, 145, 146]);
  assert.deepEqual(niceTicks(1, 3, 6, true), [1, 2, 3]);
  assert.deepEqual(niceTicks(0, 25000, 5, true), [0, 5000, 10000, 15000, 20000, 25000]);
  assert.equal(formatNumber(12345.6), '12.3k');
  assert.equal(formatNumber(2_500_000), '2.5M');
  assert.equal(formatNumber(0.78912345), '0.7891');
  assert.equal(formatNumber(0.0001234), '1.23e-4');
  const n = 100_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const ys = xs.map((i) => (i === 54_321 ? 10 : 1));
  const svg = renderLineChart({ title: 't', xLabel: 'step', series: [{ label: 's', color: '#000', xs, ys }] });
  const points = / points="([^"]+)"/.exec(svg)![1].split(' ');
  assert.ok(points.length < 2000, `${points.length} points drawn`);
  const topY = Math.min(...points.map((p) => Number(p.split(',')[1])));
  assert.ok(topY < 60, `the spike is drawn (top y ${topY})`);
  assert.match(renderLineChart({ title: 'empty', xLabel: 'step', series: [] }), /no data/);
});
