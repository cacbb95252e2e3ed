// Evaluation of a model over a whole BatchSource: the engine's probabilities for every row, batch by batch
// (B rows at a time, any number of rows: only scores and labels are kept, 8 bytes per row), scored with the
// metrics module. The one evaluation loop: `dlrm eval` and the train-time evaluation both run it.
import type { Engine } from '../engine/engine';
import type { BatchSource } from '../dataset/source';
import { startProgress } from '../util/progress';
import { MetricsAccumulator, type BinaryMetrics } from './metrics';

/** All metrics of the engine's predictions over every row of `source`, in batches of `batchSize`; `label` names the progress bar. */
export async function evaluate(
  engine: Engine,
  source: BatchSource,
  batchSize: number,
  label = 'eval',
): Promise<BinaryMetrics> {
  const acc = new MetricsAccumulator();
  const bar = startProgress(label, source.rows, 'rows');
  try {
    for await (const batch of source.batches(batchSize)) {
      acc.add(await engine.predict(batch), batch.labels);
      bar.update(acc.rows);
    }
  } finally {
    bar.stop();
  }
  return acc.compute();
}
