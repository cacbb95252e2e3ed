// Evaluation during training: model probabilities over a whole held-out source (the test split of a
// processed file, or a held-out block of random/synthetic rows), scored with the metrics module.
import type { Engine } from '../engine/engine';
import type { BatchSource } from '../dataset/source';
import { MetricsAccumulator, type BinaryMetrics } from '../eval/metrics';
import { startProgress } from '../util/progress';

/** All metrics of the engine's predictions over every row of `source`, in batches of `batchSize`. */
export async function evaluate(engine: Engine, source: BatchSource, batchSize: number): Promise<BinaryMetrics> {
  const acc = new MetricsAccumulator();
  const bar = startProgress('eval', source.rows, 'rows');
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
