// Hot reload under load (POST /admin/reload): requests keep flowing from several clients while the model is
// swapped; every response is 200, carries the old or the new model's id, and its scores are that model's
// scores for its rows (so no request, and no engine batch, mixes the two); requests started after the
// reload returned get the new model. A bad checkpoint is refused with a JSON error and the current model keeps
// serving; the admin route needs the bearer token.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningServer } from '../../src/serve/server';
import { setupLogger } from '../../src/util/log';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { predictLines, request, startTestServer, trainSecondModel, type PredictReply } from './fixtures';

const dir = tempDir('serve-reload');
const TOKEN = 'test-token';
let fx: Fixture;
let modelB: string;
let server: RunningServer;

before(async () => {
  setupLogger({ level: 'fatal', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 2000, seed: 21 });
  modelB = path.join(dir, 'b.ckpt');
  await trainSecondModel(fx.merged, modelB, { numBatches: 45, seed: 77, learningRate: 0.5 });
  server = await startTestServer(fx.model, { adminToken: TOKEN, maxBatchDelayMs: 2 });
});
after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

test('a reload under load: no request fails, none mixes models, later requests get the new model', async () => {
  const lines = fs.readFileSync(fx.raw, 'utf8').split('\n').slice(0, 200);
  const scores = { a: await predictLines(fx.model, dir, 'a', lines), b: await predictLines(modelB, dir, 'b', lines) };
  const idA = ((await request(`${server.url}/v1/model`)).json as { id: string }).id;
  let idB = '';
  let reloadedAt = Infinity;
  let stop = false;
  let count = 0;
  const seen: { id: string; startedAt: number }[] = [];
  const problems: string[] = [];
  const deadline = performance.now() + 30_000;
  const client = async (seed: number): Promise<void> => {
    const rng = new Rng(seed);
    while (!stop && count < 3000 && performance.now() < deadline) {
      const start = rng.nextInt(lines.length - 5);
      const k = 1 + rng.nextInt(5);
      const startedAt = performance.now();
      const r = await request(`${server.url}/v1/predict`, { body: { rows: lines.slice(start, start + k) } });
      count++;
      if (r.status !== 200) {
        problems.push(`status ${r.status}: ${r.text}`);
        continue;
      }
      const reply = r.json as PredictReply;
      seen.push({ id: reply.model.id, startedAt });
      const own = reply.model.id === idA ? scores.a : reply.model.id === idB ? scores.b : null;
      const other = own === scores.a ? scores.b : scores.a;
      if (own === null) problems.push(`unknown model id ${reply.model.id}`);
      else {
        reply.probabilities.forEach((p, i) => {
          const row = start + i;
          if (Math.abs(p - own[row]) > 1e-5)
            problems.push(
              `row ${row}: ${p} is not model ${reply.model.id}'s ${own[row]} (the other model gives ${other[row]})`,
            );
        });
      }
    }
  };
  const clients = [1, 2, 3, 4, 5, 6].map(client);
  while (count < 150 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const reloaded = await request(`${server.url}/admin/reload`, { body: { path: modelB }, headers: auth });
  assert.equal(reloaded.status, 200, reloaded.text);
  idB = (reloaded.json as { model: { id: string } }).model.id;
  reloadedAt = performance.now();
  const before = count;
  while (count < before + 150 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  stop = true;
  await Promise.all(clients);
  assert.deepEqual(problems.slice(0, 5), []);
  assert.notEqual(idA, idB);
  assert.ok(seen.some((s) => s.id === idA) && seen.some((s) => s.id === idB), 'responses from both models');
  const late = seen.filter((s) => s.startedAt > reloadedAt && s.id !== idB);
  assert.equal(late.length, 0, 'requests started after the reload returned use the new model');
  assert.equal(
    (await request(`${server.url}/v1/model`)).json &&
      ((await request(`${server.url}/v1/model`)).json as { id: string }).id,
    idB,
  );
  assert.ok(
    scores.a.some((p, i) => Math.abs(p - scores.b[i]) > 1e-4),
    'the two models score differently (the mixing check can fail)',
  );
});

test('a bad checkpoint is refused with a JSON error and the current model keeps serving', async () => {
  const current = ((await request(`${server.url}/v1/model`)).json as { id: string }).id;
  const truncated = path.join(dir, 'truncated.ckpt');
  fs.writeFileSync(truncated, fs.readFileSync(fx.model).subarray(0, 5000));
  for (const bad of [truncated, fx.raw, path.join(dir, 'missing.ckpt')]) {
    const r = await request(`${server.url}/admin/reload`, { body: { path: bad }, headers: auth });
    assert.equal(r.status, 422, r.text);
    assert.match(
      (r.json as { error: string }).error,
      new RegExp(`^reload refused: .*; model ${current} \\(step \\d+\\) keeps serving$`),
    );
  }
  const line = fs.readFileSync(fx.raw, 'utf8').split('\n')[0];
  const r = await request(`${server.url}/v1/predict`, { body: { rows: [line] } });
  assert.equal(r.status, 200);
  assert.equal((r.json as PredictReply).model.id, current);
  const metrics = (await request(`${server.url}/metrics`)).text;
  assert.match(metrics, /^dlrm_serve_reloads_total\{result="refused"\} 3$/m);
});

test('POST /admin/reload needs the bearer token; without a body it re-reads the current file', async () => {
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }] as Record<string, string>[]) {
    const r = await request(`${server.url}/admin/reload`, { method: 'POST', headers });
    assert.equal(r.status, 403, r.text);
    assert.match((r.json as { error: string }).error, /Authorization: Bearer/);
  }
  const current = (await request(`${server.url}/v1/model`)).json as { id: string; file: string };
  const r = await request(`${server.url}/admin/reload`, { method: 'POST', headers: auth });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((r.json as { model: { id: string; file: string } }).model.id, current.id);
});
