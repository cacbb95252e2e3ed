// The logs of `dlrm serve`: one debug line per request (method, URL, status, ms) and the periodic summary at
// info (requests, errors, rows, batches since the last one; the model), read back from --log-file's JSON lines.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningServer } from '../../src/serve/server';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { predictRows, request, startTestServer } from './fixtures';

const dir = tempDir('serve-logs');
const logFile = path.join(dir, 'serve.jsonl');
let fx: Fixture;
let server: RunningServer;

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 500, seed: 51 });
  setupLogger({ level: 'debug', pretty: false, logFile });
  server = await startTestServer(fx.model, { summaryMs: 300 });
});
after(async () => {
  await server?.close();
  setupLogger({ level: 'warn', pretty: false });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('one debug line per request and a summary line per period', async () => {
  const lines = fs.readFileSync(fx.raw, 'utf8').split('\n').slice(0, 3);
  await predictRows(server, lines);
  await predictRows(server, [lines[0]]);
  await request(`${server.url}/v1/predict`, { body: { rows: ['bad'] } });
  await new Promise((r) => setTimeout(r, 700));
  const records = fs
    .readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const perRequest = records.filter((r) => r.msg === 'request' && r.url === '/v1/predict');
  assert.deepEqual(
    perRequest.map((r) => [r.level, r.method, r.status]),
    [
      [20, 'POST', 200],
      [20, 'POST', 200],
      [20, 'POST', 400],
    ],
  );
  assert.ok(perRequest.every((r) => typeof r.ms === 'number'));
  const summaries = records.filter((r) => r.msg === 'serve summary (last minute)');
  assert.ok(summaries.length >= 1, 'a summary line');
  const sum = (key: string): number => summaries.reduce((a, r) => a + Number(r[key]), 0);
  const total = { requests: sum('requests'), errors: sum('errors'), rows: sum('rows') };
  assert.deepEqual(total, { requests: 3, errors: 1, rows: 4 });
  assert.ok(summaries.every((r) => r.level === 30 && typeof r.model === 'string'));
});
