// `dlrm serve` as a process (the built CLI, 127.0.0.1, --port 0): it logs its URL; SIGHUP re-reads the
// checkpoint file (replaced on disk) and swaps the model; SIGTERM stops accepting connections, lets the
// request in flight finish with its scores, and exits 0 (without waiting for kept-alive connections to time
// out); SIGINT exits 0 likewise.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { request, serveProcess, trainSecondModel, type PredictReply, type ServeProcess } from './fixtures';

const dir = tempDir('serve-cli');
let fx: Fixture;
let modelB: string;
const children: ChildProcess[] = [];

before(async () => {
  setupLogger({ level: 'fatal', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 500, seed: 41 });
  modelB = path.join(dir, 'b.ckpt');
  await trainSecondModel(fx.merged, modelB, { numBatches: 3, seed: 5 });
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `dlrm serve` and waits (at most 60 s) for its "listening" log line. */
async function serve(model: string, ...args: string[]): Promise<ServeProcess> {
  const served = await serveProcess(model, args);
  children.push(served.child);
  return served;
}

const sha16 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);

/** A GET on a new connection: its status, or the connection error's code. */
function freshGet(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('SIGHUP reloads the checkpoint file; SIGTERM finishes the request in flight, refuses new connections, exits 0', async () => {
  const served = path.join(dir, 'served.ckpt');
  fs.copyFileSync(fx.model, served);
  const s = await serve(served, '--max-batch-delay-ms', '600', '--log-level', 'info');
  const line = fs.readFileSync(fx.raw, 'utf8').split('\n')[0];
  assert.equal(((await request(`${s.url}/v1/model`)).json as { id: string }).id, sha16(fx.model));
  // a new checkpoint under the same name (renamed into place, as dlrm train writes it), then SIGHUP
  fs.copyFileSync(modelB, `${served}.tmp`);
  fs.renameSync(`${served}.tmp`, served);
  s.child.kill('SIGHUP');
  const deadline = performance.now() + 30_000;
  let id = '';
  while (id !== sha16(modelB) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    id = ((await request(`${s.url}/v1/model`)).json as { id: string }).id;
  }
  assert.equal(id, sha16(modelB), 'SIGHUP swapped in the new checkpoint');
  // a request waits in the micro-batcher (600 ms) while SIGTERM arrives
  const inFlight = request(`${s.url}/v1/predict`, { body: { rows: [line] } });
  await new Promise((r) => setTimeout(r, 150));
  s.child.kill('SIGTERM');
  const termAt = performance.now();
  await new Promise((r) => setTimeout(r, 150));
  const late = await freshGet(`${s.url}/healthz`);
  assert.ok(late === 'ECONNREFUSED' || late === 503, `a new connection after SIGTERM: ${late}`);
  const reply = await inFlight;
  assert.equal(reply.status, 200, reply.text);
  assert.equal((reply.json as PredictReply).probabilities.length, 1);
  assert.equal((reply.json as PredictReply).model.id, sha16(modelB));
  assert.equal(await s.exit, 0, s.stderr());
  // not held open until the kept-alive connections time out (72 s)
  assert.ok(performance.now() - termAt < 20_000, `exited ${Math.round(performance.now() - termAt)} ms after SIGTERM`);
  assert.match(s.stderr(), /"msg":"model reloaded"/);
  assert.match(s.stderr(), /"signal":"SIGTERM".*"msg":"shutting down/);
  assert.match(s.stderr(), /"msg":"stopped"/);
});

test('SIGINT exits 0', async () => {
  const s = await serve(fx.model);
  assert.equal((await request(`${s.url}/healthz`)).status, 200);
  s.child.kill('SIGINT');
  assert.equal(await s.exit, 0, s.stderr());
});
