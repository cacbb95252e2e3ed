// Test helper: a trained fixture's raw lines through `dlrm predict` score exactly as the engine scores their
// processed rows, and `dlrm serve` (the first 20 lines, label dropped, in one request) exactly as predict.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { dlrm, mergedRows, predictInChunks, referenceEngine, type Fixture } from './fixtures';
import { predictRows, startTestServer } from '../serve/fixtures';

export async function assertPredictAndServeMatchEngine(fx: Fixture): Promise<void> {
  const engine = await referenceEngine(fx);
  try {
    const batch = mergedRows(fx, 0, fx.manifest.totalRows);
    const want = await predictInChunks(engine, batch, 4096);
    const r = dlrm(
      'predict',
      '--mini-batch-size',
      '4096',
      '--load-model',
      fx.model,
      '--input',
      fx.raw,
      '--processed-data-file',
      fx.merged,
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    assert.equal(rows.length, want.length);
    rows.forEach((row, i) => assert.equal(Math.fround(Number(row[1])), want[i], `line ${i + 1}`));
    assert.ok(new Set(rows.map((row) => row[1])).size > 100, 'varied probabilities');
    const lines = fs
      .readFileSync(fx.raw, 'utf8')
      .split('\n')
      .slice(0, 20)
      .map((l) => l.slice(l.indexOf('\t') + 1));
    const server = await startTestServer(fx.model);
    try {
      const reply = await predictRows(server, lines);
      assert.deepEqual(Float32Array.from(reply.probabilities), want.subarray(0, 20));
    } finally {
      await server.close();
    }
  } finally {
    engine.dispose();
  }
}
