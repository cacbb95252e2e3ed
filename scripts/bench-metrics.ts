// Benchmark of src/eval/metrics.ts: all metrics over N scores (default 3.3 million, the size of a Kaggle
// test split), through computeMetrics and through the batch accumulator. Prints wall and CPU times
// (the CPU time is the steadier figure on a shared machine).
//   node dist/scripts/bench-metrics.js [rows]
import { MetricsAccumulator, computeMetrics, rocAuc } from '../src/eval/metrics';
import { Rng } from '../src/util/random';

function main(): void {
  const rows = Number(process.argv[2] ?? 3_300_000);
  const rng = new Rng(1);
  const labels = new Float32Array(rows);
  const scores = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = rng.next() < 0.25 ? 1 : 0;
    scores[i] = 1 / (1 + Math.exp(-(rng.normal() + (labels[i] ? 1 : -0.3))));
  }
  const time = (name: string, f: () => unknown): void => {
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const out = f();
    const cpu = process.cpuUsage(cpu0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(
      `${name}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU ${typeof out === 'number' ? `(${out.toFixed(6)})` : ''}\n`,
    );
  };
  process.stdout.write(`rows: ${rows}\n`);
  time('rocAuc', () => rocAuc(scores, labels));
  time('computeMetrics (all)', () => computeMetrics(scores, labels).auc);
  time('accumulator (2048-row batches) + compute', () => {
    const acc = new MetricsAccumulator();
    for (let i = 0; i < rows; i += 2048) acc.add(scores.subarray(i, i + 2048), labels.subarray(i, i + 2048));
    return acc.compute().auc;
  });
}

main();
