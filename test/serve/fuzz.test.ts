// Fuzzing POST /v1/predict with random bodies (seeded, bounded in count and time, 127.0.0.1 only): random
// bytes under random content types, random JSON values, and {"rows": [...]} of random strings, objects and
// mutated good lines. Every response must be a JSON body with an error (400, 413 or 415) or one probability in
// [0, 1] per row (200); afterwards the server still answers /healthz and scores a good request as before.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { RunningServer } from '../../src/serve/server';
import { setupLogger } from '../../src/util/log';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { predictRows, request } from './fixtures';
import { startTestServer } from './fixtures';

const dir = tempDir('serve-fuzz');
const BODIES = 400;
const TIME_LIMIT_MS = 40_000;
let fx: Fixture;
let server: RunningServer;

before(async () => {
  setupLogger({ level: 'fatal', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 500, seed: 31 });
  server = await startTestServer(fx.model, { maxBodyBytes: 64 << 10, maxBatchRows: 64 });
});
after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const COLUMNS = [
  'label',
  ...Array.from({ length: 13 }, (_, i) => `I${i + 1}`),
  ...Array.from({ length: 26 }, (_, i) => `C${i + 1}`),
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  '',
];
const ALPHABET = '0123456789abcdefABCDEF\t\t\t\t-\n\r"\\ ,{}[]:é\u0000\u2028';

function randomText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[rng.nextInt(ALPHABET.length)];
  return s;
}

function randomJson(rng: Rng, depth: number): unknown {
  switch (rng.nextInt(depth > 3 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return [0, -1, 1e308, -0.5, 2 ** 53, NaN][rng.nextInt(6)];
    case 3:
    case 4:
      return randomText(rng, rng.nextInt(50));
    case 5:
      return Array.from({ length: rng.nextInt(6) }, () => randomJson(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.nextInt(6) }, () => [
          rng.next() < 0.5 ? COLUMNS[rng.nextInt(COLUMNS.length)] : randomText(rng, 5),
          randomJson(rng, depth + 1),
        ]),
      );
  }
}

/** A good line with a few fields replaced, dropped or doubled. */
function mutatedLine(rng: Rng, good: string[]): string {
  const fields = good[rng.nextInt(good.length)].split('\t');
  for (let k = rng.nextInt(3); k >= 0; k--) {
    const f = rng.nextInt(fields.length);
    const what = rng.nextInt(3);
    if (what === 0) fields[f] = randomText(rng, rng.nextInt(12));
    else if (what === 1) fields.splice(f, 1);
    else fields.splice(f, 0, fields[f]);
  }
  return fields.join('\t');
}

function randomBody(rng: Rng, good: string[]): { body: string | Uint8Array; contentType: string } {
  const contentType = rng.next() < 0.8 ? 'application/json' : CONTENT_TYPES[rng.nextInt(CONTENT_TYPES.length)];
  const kind = rng.nextInt(6);
  if (kind === 0) return { body: Uint8Array.from({ length: rng.nextInt(3000) }, () => rng.nextInt(256)), contentType };
  if (kind === 1) return { body: JSON.stringify(randomJson(rng, 0)) ?? 'null', contentType };
  if (kind === 2) return { body: JSON.stringify({ rows: good.slice(0, 3) }).slice(0, rng.nextInt(200)), contentType };
  if (kind === 3)
    return { body: JSON.stringify({ rows: Array.from({ length: rng.nextInt(100) }, () => good[0]) }), contentType };
  const rows = Array.from({ length: rng.nextInt(8) }, () =>
    rng.next() < 0.5 ? mutatedLine(rng, good) : rng.next() < 0.5 ? good[rng.nextInt(good.length)] : randomJson(rng, 1),
  );
  return { body: JSON.stringify({ rows, ...(rng.next() < 0.1 ? { extra: 1 } : {}) }), contentType };
}

test(`${BODIES} random bodies: every answer is JSON with the right shape; the server answers afterwards`, async () => {
  const good = fs.readFileSync(fx.raw, 'utf8').split('\n').slice(0, 20);
  const before = await predictRows(server, good);
  const rng = new Rng(2026);
  const statuses = new Map<number, number>();
  const deadline = performance.now() + TIME_LIMIT_MS;
  let sent = 0;
  for (; sent < BODIES && performance.now() < deadline; sent++) {
    const { body, contentType } = randomBody(rng, good);
    const r = await request(`${server.url}/v1/predict`, {
      body,
      headers: contentType === '' ? {} : { 'content-type': contentType },
    });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const what = `body ${sent} (${contentType}): ${r.status} ${r.text.slice(0, 200)}`;
    assert.ok([200, 400, 413, 415].includes(r.status), what);
    assert.ok(r.json !== undefined && typeof r.json === 'object', what);
    if (r.status === 200) {
      const p = (r.json as { probabilities: number[] }).probabilities;
      const rows = (JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString()) as { rows: unknown[] })
        .rows;
      assert.equal(p.length, rows.length, what);
      assert.ok(
        p.every((x) => x >= 0 && x <= 1),
        what,
      );
    } else {
      assert.equal(typeof (r.json as { error?: unknown }).error, 'string', what);
    }
  }
  assert.ok(sent >= 100, `only ${sent} bodies in ${TIME_LIMIT_MS} ms`);
  assert.deepEqual(
    [...statuses.keys()].sort(),
    [200, 400, 413, 415],
    `every kind of answer: ${JSON.stringify([...statuses])}`,
  );
  assert.deepEqual((await request(`${server.url}/healthz`)).json, { status: 'ok' });
  assert.deepEqual(await predictRows(server, good), before, 'a good request scores as before');
});
