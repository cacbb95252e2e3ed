// The `dlrm report` page: one self-contained HTML document (inline CSS and SVG, no script, no network)
// with charts of training loss, learning rate, samples/s, training and eval accuracy together (as the DLRM
// paper's figure) and eval AUC / logloss / accuracy over steps, every run overlaid in its own colour (eval splits after the first dashed), and a
// table of each run's final numbers.
import * as path from 'node:path';
import type { EvalMetric, EvalPoint, RunRecord, TrainPoint } from './metricsFile';
import { escapeHtml, formatNumber, renderLineChart, type ChartSeries } from './svgChart';

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #666; margin-bottom: 16px; }
.legend span { display: inline-block; margin: 0 16px 6px 0; }
.legend i { display: inline-block; width: 18px; height: 4px; vertical-align: middle; margin-right: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 6px; }
.chart figcaption { font-weight: 600; margin: 2px 6px; }
.chart .empty { width: 548px; height: 60px; color: #999; margin: 8px; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; } svg .frame { fill: none; stroke: #bbb; }
svg .tick { font-size: 11px; fill: #555; } svg .axis-label { font-size: 12px; fill: #333; }
svg .series { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
table { border-collapse: collapse; margin-top: 20px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
td.text + td.text, td { white-space: nowrap; } td:first-child { white-space: normal; max-width: 420px; overflow-wrap: anywhere; }
details { margin-top: 10px; } pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
`;

/**
 * Display names: the run's name (`--run-name`, by default the metrics file's base name); for files written
 * before run names, the runId, prefixed by the file name when several files are compared. Runs that
 * would share a name are told apart by #2, #3, ... in order of appearance.
 */
function runLabels(runs: RunRecord[]): string[] {
  const files = new Set(runs.map((r) => r.file));
  const names = runs.map((r) => r.name ?? (files.size > 1 ? `${path.basename(r.file)} · ${r.runId}` : r.runId));
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} #${k}`;
  });
}

function trainSeries(runs: RunRecord[], labels: string[], field: keyof Omit<TrainPoint, 'step'>): ChartSeries[] {
  return runs.map((run, i) => {
    const pts = run.train.filter((p) => p[field] !== null);
    return {
      label: labels[i],
      color: PALETTE[i % PALETTE.length],
      xs: pts.map((p) => p.step),
      ys: pts.map((p) => p[field] as number),
    };
  });
}

function splitsOf(run: RunRecord): string[] {
  return [...new Set(run.eval.map((e) => e.split))];
}

function evalSeries(runs: RunRecord[], labels: string[], metric: EvalMetric): ChartSeries[] {
  return runs.flatMap((run, i) =>
    splitsOf(run).map((split, k) => {
      const pts = run.eval.filter((e) => e.split === split && e[metric] !== null);
      return {
        label: `${labels[i]} (${split})`,
        color: PALETTE[i % PALETTE.length],
        dashed: k > 0,
        markers: true,
        xs: pts.map((p) => p.step),
        ys: pts.map((p) => p[metric] as number),
      };
    }),
  );
}

const cell = (v: number | null | undefined): string =>
  `<td>${v === null || v === undefined ? '–' : formatNumber(v)}</td>`;
/** An exact count (steps, rows) with thousands separators. */
const countCell = (v: number | null | undefined): string =>
  `<td>${v === null || v === undefined ? '–' : v.toLocaleString('en-US')}</td>`;

/** The last value of a train field (ignoring nulls), and the median throughput. */
function lastTrain(run: RunRecord, field: keyof TrainPoint): number | null {
  for (let i = run.train.length - 1; i >= 0; i--) if (run.train[i][field] !== null) return run.train[i][field];
  return null;
}

function medianThroughput(run: RunRecord): number | null {
  const v = run.train
    .map((p) => p.samplesPerSec)
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
}

function finalTable(runs: RunRecord[], labels: string[]): string {
  const head =
    '<tr><th>run</th><th>engine</th><th>last step</th><th>train loss</th><th>median samples/s</th><th>eval split</th><th>rows</th>' +
    '<th>AUC</th><th>logloss</th><th>NE</th><th>accuracy</th><th>calibration</th><th>avg precision</th></tr>';
  const rows = runs.flatMap((run, i) => {
    const finals: (EvalPoint | null)[] = splitsOf(run).map((s) => run.eval.filter((e) => e.split === s).pop() ?? null);
    if (finals.length === 0) finals.push(null);
    const lastStep = [...run.train, ...run.eval].reduce((m, p) => Math.max(m, p.step), -Infinity);
    return finals.map(
      (e) =>
        `<tr><td class="text"><i style="color:${PALETTE[i % PALETTE.length]}">■</i> ${escapeHtml(labels[i])}</td>` +
        `<td class="text">${escapeHtml(run.engine ?? '–')}</td>${countCell(Number.isFinite(lastStep) ? lastStep : null)}${cell(lastTrain(run, 'loss'))}` +
        `${cell(medianThroughput(run))}<td class="text">${escapeHtml(e?.split ?? '–')}</td>${countCell(e?.rows)}${cell(e?.auc)}${cell(e?.logloss)}` +
        `${cell(e?.ne)}${cell(e?.accuracy)}${cell(e?.calibration)}${cell(e?.averagePrecision)}</tr>`,
    );
  });
  return `<table>${head}${rows.join('')}</table>`;
}

export function renderReport(runs: RunRecord[], title = 'DLRM training report'): string {
  const labels = runLabels(runs);
  const legend = runs
    .map(
      (run, i) =>
        `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${escapeHtml(labels[i])}${run.starts > 1 ? ` (resumed ${run.starts - 1}×)` : ''}</span>`,
    )
    .join('');
  const charts = [
    renderLineChart({
      title: 'Training loss',
      xLabel: 'step',
      xIntegers: true,
      series: trainSeries(runs, labels, 'loss'),
    }),
    renderLineChart({
      title: 'Learning rate',
      xLabel: 'step',
      xIntegers: true,
      series: trainSeries(runs, labels, 'lr'),
      yFromZero: true,
    }),
    renderLineChart({
      title: 'Samples / s',
      xLabel: 'step',
      xIntegers: true,
      series: trainSeries(runs, labels, 'samplesPerSec'),
      yFromZero: true,
    }),
    renderLineChart({ title: 'Eval AUC', xLabel: 'step', xIntegers: true, series: evalSeries(runs, labels, 'auc') }),
    renderLineChart({
      title: 'Eval logloss',
      xLabel: 'step',
      xIntegers: true,
      series: evalSeries(runs, labels, 'logloss'),
    }),
    // as the DLRM paper's figure: each run's training accuracy solid, its evaluations' dashed
    renderLineChart({
      title: 'Accuracy: training (solid), eval (dashed)',
      xLabel: 'step',
      xIntegers: true,
      series: [
        ...trainSeries(runs, labels, 'accuracy'),
        ...evalSeries(runs, labels, 'accuracy').map((s) => ({ ...s, dashed: true })),
      ],
    }),
    renderLineChart({
      title: 'Eval accuracy',
      xLabel: 'step',
      xIntegers: true,
      series: evalSeries(runs, labels, 'accuracy'),
    }),
  ];
  const configs = runs
    .filter((r) => r.config)
    .map(
      (r) =>
        `<details><summary>config of ${escapeHtml(labels[runs.indexOf(r)])}</summary><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre></details>`,
    )
    .join('');
  const files = [...new Set(runs.map((r) => r.file))].map((f) => escapeHtml(path.basename(f))).join(', ');
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeHtml(title)}</h1><div class="meta">${runs.length} run${runs.length === 1 ? '' : 's'} from ${files}</div>` +
    `<div class="legend">${legend}</div><div class="charts">${charts.join('')}</div>${finalTable(runs, labels)}${configs}</body></html>\n`
  );
}
