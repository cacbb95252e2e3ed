// How `dlrm eval` prints its result: a readable table for people, or one JSON object (one line) for
// programs. Undefined metrics (NaN: one class only, see docs/METRICS.md) print as 'n/a' in the table and
// null in the JSON.
import type { BinaryMetrics } from './metrics';
import type { EvalResult } from './evaluateRun';

/** The metrics in table order with their printed names. */
const METRIC_ROWS: [keyof BinaryMetrics, string][] = [
  ['rows', 'rows'],
  ['positiveRate', 'positive rate'],
  ['accuracy', 'accuracy (p >= 0.5)'],
  ['auc', 'ROC AUC'],
  ['logloss', 'logloss'],
  ['ne', 'normalized entropy'],
  ['calibration', 'calibration'],
  ['averagePrecision', 'average precision'],
];

/** The result as one JSON object: where it comes from, every metric (NaN -> null) and the speed. */
export function evalJson(r: EvalResult): string {
  const metrics = Object.fromEntries(METRIC_ROWS.map(([k]) => [k, Number.isNaN(r.metrics[k]) ? null : r.metrics[k]]));
  return JSON.stringify({
    model: r.model,
    modelSteps: r.modelSteps,
    processedDataFile: r.processedDataFile,
    split: r.split,
    engine: r.engine,
    ...metrics,
    seconds: r.seconds,
    samplesPerSec: r.samplesPerSec,
  });
}

/** The result as an aligned two-column table. */
export function evalTable(r: EvalResult): string {
  const rows: [string, string][] = METRIC_ROWS.map(([k, name]) => {
    const v = r.metrics[k];
    return [name, k === 'rows' ? v.toLocaleString('en-US') : Number.isNaN(v) ? 'n/a' : v.toFixed(6)];
  });
  rows.push(['samples/s', Math.round(r.samplesPerSec).toLocaleString('en-US')]);
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `model ${r.model} (trained ${r.modelSteps.toLocaleString('en-US')} steps)`,
    `data  ${r.processedDataFile}, split ${r.split} (engine ${r.engine})`,
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
  ].join('\n');
}
