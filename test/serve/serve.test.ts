// `dlrm serve` in process on 127.0.0.1 (ephemeral port): the same rows scored through POST /v1/predict (raw
// labelled lines, unlabelled lines, objects of columns; unseen categories; training-run --max-ind-range
// folding and --min-frequency; a custom schema with quoted fields and a multi-hot list) get exactly the
// probabilities `dlrm predict` writes for them; every bad request gets its JSON error and status and leaves
// the server answering; concurrent requests are micro-batched (fewer engine batches than requests, in the
// metrics), and a bad row in a micro-batch fails only its own request; /healthz, /readyz, /v1/model and /metrics report the model.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import type { RunningServer } from '../../src/serve/server';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { predictLines, predictRows, request, startTestServer, type PredictReply } from './fixtures';

const dir = tempDir('serve');
let fx: Fixture;
let rare: Fixture;
let server: RunningServer;

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 3000, seed: 11 });
  rare = await buildFixture(dir, 'rare', {
    rows: 3000,
    seed: 12,
    minFrequency: 3,
    preprocessMaxIndRange: 5000,
    trainMaxIndRange: 40,
  });
  server = await startTestServer(fx.model, { maxBodyBytes: 256 << 10, maxBatchRows: 1000 });
});
after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rawLines = (f: Fixture, a: number, b: number): string[] => fs.readFileSync(f.raw, 'utf8').split('\n').slice(a, b);
const dropLabel = (line: string): string => line.slice(line.indexOf('\t') + 1);

/** Lines with every third categorical replaced by a value no vocabulary holds. */
function withUnseen(lines: string[]): string[] {
  return lines.map((l, i) =>
    l
      .split('\t')
      .map((v, f) => (f > 13 && (f + i) % 3 === 0 ? (0xf0000000 + i * 7919 + f).toString(16) : v))
      .join('\t'),
  );
}

/** A labelled Criteo line as an object of columns (empty fields left out). */
function asObject(line: string): Record<string, string | number> {
  const o: Record<string, string | number> = {};
  line.split('\t').forEach((v, f) => {
    if (f === 0 || v === '') return;
    if (f <= 13) o[`I${f}`] = Number(v);
    else o[`C${f - 13}`] = v;
  });
  return o;
}

function assertSame(got: PredictReply, want: Float32Array, what: string): void {
  assert.equal(got.probabilities.length, want.length, `${what}: one probability per row`);
  got.probabilities.forEach((p, i) =>
    assert.equal(Math.fround(p), want[i], `${what}: row ${i}: serve ${p}, predict ${want[i]}`),
  );
}

test('serve and dlrm predict give identical scores: labelled, unlabelled, objects, unseen categories', async () => {
  const labelled = [...rawLines(fx, 0, 200), ...withUnseen(rawLines(fx, 200, 300))];
  const want = await predictLines(fx.model, dir, 'labelled', labelled);
  assertSame(await predictRows(server, labelled), want, 'labelled lines');
  assertSame(await predictRows(server, labelled.map(asObject)), want, 'objects');
  const unlabelled = labelled.map(dropLabel);
  assertSame(
    await predictRows(server, unlabelled),
    await predictLines(fx.model, dir, 'unlabelled', unlabelled),
    'unlabelled lines',
  );
  // the unseen values really changed the scores (they went to the oovIndex, not to the original values)
  const original = await predictLines(fx.model, dir, 'original', rawLines(fx, 200, 300));
  assert.ok(
    original.some((p, i) => p !== want[200 + i]),
    'unseen categories score differently from the originals',
  );
});

test('serve and dlrm predict agree with --min-frequency, preprocess --max-ind-range and train --max-ind-range', async () => {
  const s = await startTestServer(rare.model);
  try {
    const lines = withUnseen(rawLines(rare, 0, 300));
    const reply = await predictRows(s, lines.map(dropLabel));
    assertSame(reply, await predictLines(rare.model, dir, 'rare', lines), 'folded model');
  } finally {
    await s.close();
  }
});

test('custom schema (quoted CSV, string keys, multi-hot list): serve and dlrm predict agree on lines and objects', async () => {
  const rows = logRows(400, 5);
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(rows));
  const merged = path.join(dir, 'logs.dlrm');
  const model = path.join(dir, 'logs.ckpt');
  for (const args of [
    [
      'preprocess',
      '--schema',
      writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA),
      '--raw-data-file',
      raw,
      '--processed-data-file',
      merged,
    ],
    [
      'train',
      '--processed-data-file',
      merged,
      '--arch-mlp-bot',
      '1-8-4',
      '--arch-mlp-top',
      '8-1',
      '--mini-batch-size',
      '32',
      '--num-batches',
      '10',
      '--save-model',
      model,
    ],
  ]) {
    const r = dlrm(...args);
    assert.equal(r.status, 0, r.stderr);
  }
  const probe = [
    ...rows.slice(0, 50),
    { click: 0, day: '2024-02-01', price: '7.5', country: 'Mars, SOL', user: 'nobody', tags: ['tech', 'never-seen'] },
  ];
  const [header, ...lines] = logCsv(probe, false).trim().split('\n');
  const want = await predictLines(model, dir, 'logs', lines, header);
  const s = await startTestServer(model);
  try {
    assertSame(await predictRows(s, lines), want, 'unlabelled CSV lines');
    assertSame(await predictRows(s, logCsv(probe, true).trim().split('\n').slice(1)), want, 'labelled CSV lines');
    const objects = probe.map((r) => ({
      day: r.day,
      ...(r.price === '' ? {} : { price: Number(r.price) }),
      country: r.country,
      user: r.user,
      tags: r.tags,
    }));
    assertSame(await predictRows(s, objects), want, 'objects with a multi-hot list');
  } finally {
    await s.close();
  }
});

test('bad requests: JSON errors with the right status, naming the row and field; the server keeps answering', async () => {
  const good = rawLines(fx, 0, 2);
  const badField = good[1]
    .split('\t')
    .map((v, f) => (f === 3 ? 'zz' : v))
    .join('\t');
  const cases: {
    name: string;
    body?: unknown;
    headers?: Record<string, string>;
    method?: string;
    path?: string;
    status: number;
    error: RegExp;
  }[] = [
    {
      name: 'malformed JSON',
      body: '{"rows": [',
      headers: { 'content-type': 'application/json' },
      status: 400,
      error: /not valid JSON/,
    },
    {
      name: 'a bad field',
      body: { rows: [good[0], badField] },
      status: 400,
      error: /^rows\[1\]: field 4 \(I3\): 'zz' is not an integer$/,
    },
    {
      name: 'an object with a bad value',
      body: { rows: [{ I1: 1 }, { I1: 1 }, { C2: 'not-hex' }] },
      status: 400,
      error: /^rows\[2\]: field 16 \(C2\): 'not-hex' is not 1 to 8 hex digits$/,
    },
    { name: 'a wrong field count', body: { rows: ['1\t2'] }, status: 400, error: /^rows\[0\]: has 2 fields/ },
    { name: 'rows missing', body: { row: [] }, status: 400, error: /rows/ },
    { name: 'a body that is an array', body: [good[0]], status: 400, error: /^request body must be object$/ },
    {
      name: 'a property beside rows',
      body: { rows: good, extra: 1 },
      status: 400,
      error: /^request body must NOT have additional properties$/,
    },
    { name: 'rows not an array', body: { rows: good[0] }, status: 400, error: /^request body\/rows must be array$/ },
    {
      name: 'no content-type',
      body: new TextEncoder().encode(JSON.stringify({ rows: good })),
      status: 415,
      error: /not without a content-type/,
    },
    { name: 'GET /v1/predict', method: 'GET', status: 404, error: /no route GET \/v1\/predict/ },
    { name: 'a row that is a number', body: { rows: [5] }, status: 400, error: /rows\/0 must be string,object/ },
    {
      name: 'too many rows',
      body: { rows: Array.from({ length: 1001 }, () => 'x') },
      status: 413,
      error: /1001 rows in one request; at most 1000/,
    },
    { name: 'a body over --max-body-bytes', body: { rows: [good[0].repeat(1200)] }, status: 413, error: /too large/ },
    {
      name: 'text/plain',
      body: JSON.stringify({ rows: good }),
      headers: { 'content-type': 'text/plain' },
      status: 415,
      error: /must be JSON \(content-type: application\/json\), not text\/plain/,
    },
    {
      name: 'no such route',
      path: '/v2/predict',
      body: { rows: good },
      status: 404,
      error: /no route POST \/v2\/predict/,
    },
    {
      name: 'reload without --admin-token',
      path: '/admin/reload',
      method: 'POST',
      status: 404,
      error: /no route POST \/admin\/reload/,
    },
  ];
  for (const c of cases) {
    const r = await request(`${server.url}${c.path ?? '/v1/predict'}`, {
      body: c.body,
      headers: c.headers,
      method: c.method,
    });
    assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
    assert.match(r.contentType, /^application\/json/, c.name);
    const error = (r.json as { error?: unknown } | undefined)?.error;
    assert.equal(typeof error, 'string', `${c.name}: body ${r.text}`);
    assert.match(error as string, c.error, c.name);
    assert.deepEqual(Object.keys(r.json as object), ['error'], c.name);
  }
  assert.equal((await predictRows(server, good)).probabilities.length, 2);
});

test('a chunked body (no content-length) over --max-body-bytes is 413; a query string does not change the route', async () => {
  const s = await startTestServer(fx.model, { maxBodyBytes: 4096 });
  try {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${s.url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"rows": ["');
      for (let k = 0; k < 8; k++) req.write('x'.repeat(1000));
      req.end('"]}');
    });
    assert.equal(answer.status, 413, answer.body);
    assert.match((JSON.parse(answer.body) as { error: string }).error, /too large: at most 4096 bytes/);
    const lines = rawLines(fx, 0, 2);
    const r = await request(`${s.url}/v1/predict?trace=1`, { body: { rows: lines } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((r.json as PredictReply).probabilities, (await predictRows(s, lines)).probabilities);
  } finally {
    await s.close();
  }
});

test('concurrent requests are micro-batched: fewer engine batches than requests, every row scored once', async () => {
  const s = await startTestServer(fx.model, { maxBatchDelayMs: 50 });
  try {
    const lines = rawLines(fx, 0, 24);
    const want = await predictLines(fx.model, dir, 'batched', lines);
    const replies = await Promise.all(lines.map((l) => predictRows(s, [l])));
    replies.forEach((r, i) =>
      assert.ok(Math.abs(r.probabilities[0] - want[i]) < 1e-6, `row ${i}: ${r.probabilities[0]} vs ${want[i]}`),
    );
    const metrics = (await request(`${s.url}/metrics`)).text;
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(value('dlrm_serve_rows_scored_total'), 24);
    assert.equal(value('dlrm_serve_batch_rows_sum'), 24);
    const batches = value('dlrm_serve_batch_rows_count');
    assert.ok(batches >= 1 && batches < 24, `${batches} engine batches for 24 concurrent requests`);
  } finally {
    await s.close();
  }
});

test('a bad row in a micro-batch: its request gets its own 400 (rows[i], field), the others of the batch are scored', async () => {
  const s = await startTestServer(fx.model, { maxBatchDelayMs: 50 });
  try {
    const lines = rawLines(fx, 0, 8);
    const want = await predictLines(fx.model, dir, 'batchedBad', lines);
    const bad = lines[5]
      .split('\t')
      .map((v, f) => (f === 3 ? 'zz' : v))
      .join('\t');
    const bodies = lines.map((l, i) => (i === 3 ? [l, bad] : [l]));
    const replies = await Promise.all(bodies.map((rows) => request(`${s.url}/v1/predict`, { body: { rows } })));
    replies.forEach((r, i) => {
      if (i === 3) {
        assert.equal(r.status, 400, r.text);
        assert.deepEqual(r.json, { error: "rows[1]: field 4 (I3): 'zz' is not an integer" });
        return;
      }
      assert.equal(r.status, 200, r.text);
      const p = (r.json as PredictReply).probabilities;
      assert.ok(p.length === 1 && Math.abs(p[0] - want[i]) < 1e-6, `request ${i}: ${p[0]} vs ${want[i]}`);
    });
    const metrics = (await request(`${s.url}/metrics`)).text;
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(value('dlrm_serve_rows_scored_total'), 7);
    assert.ok(value('dlrm_serve_batch_rows_count') < 7, 'the good requests still share engine batches');
  } finally {
    await s.close();
  }
});

test('/healthz, /readyz, /v1/model and /metrics describe the served model', async () => {
  assert.deepEqual((await request(`${server.url}/healthz`)).json, { status: 'ok' });
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(fx.model)).digest('hex');
  const id = sha256.slice(0, 16);
  const header = readCheckpointHeader(fx.model);
  assert.deepEqual((await request(`${server.url}/readyz`)).json, {
    status: 'ready',
    model: { id, step: header.progress.globalStep },
  });
  const m = (await request(`${server.url}/v1/model`)).json as Record<string, unknown>;
  assert.equal(m.sha256, sha256);
  assert.equal(m.id, id);
  assert.deepEqual(m.architecture, header.arch);
  assert.deepEqual(m.dataSchema, fx.manifest.schema);
  assert.deepEqual((m.training as { progress: unknown }).progress, header.progress);
  const metrics = await request(`${server.url}/metrics`);
  assert.match(metrics.contentType, /^text\/plain/);
  assert.match(metrics.text, new RegExp(`^dlrm_serve_model_step ${header.progress.globalStep}$`, 'm'));
  for (const name of [
    'dlrm_serve_requests_total{route="/v1/predict",status="200"}',
    'dlrm_serve_request_duration_seconds_bucket',
    'dlrm_serve_batch_rows_bucket',
    'dlrm_serve_rows_scored_total',
  ]) {
    assert.ok(metrics.text.includes(name), `/metrics has ${name}`);
  }
});
