// `dlrm serve --workers 2` as a process (the built CLI, 127.0.0.1, --port 0): both workers answer on the one
// port with the same scores as `dlrm predict`; GET /metrics on any worker sums both; a reload (POST
// /admin/reload or SIGHUP) reaches every worker, and a refused one leaves every worker on the old model; a
// worker killed with SIGKILL is replaced; SIGTERM stops all and exits 0; a bad checkpoint fails the start
// with one line.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { float32Text } from '../../src/util/float32Text';
import { setupLogger } from '../../src/util/log';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { buildFixture, type Fixture } from '../predict/fixtures';
import { predictLines, serveProcess, trainSecondModel, type PredictReply, type ServeProcess } from './fixtures';

const dir = tempDir('serve-cluster');
const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
let fx: Fixture;
let modelB: string;
const children: ChildProcess[] = [];

before(async () => {
  setupLogger({ level: 'fatal', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 400, seed: 43 });
  modelB = path.join(dir, 'b.ckpt');
  await trainSecondModel(fx.merged, modelB, { numBatches: 3, seed: 6 });
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Served extends ServeProcess {
  pids: number[];
}

/** Starts `dlrm serve --workers 2` (tfjs engine, as the predict comparison) and waits for its "listening" line. */
async function serveWorkers(model: string, ...args: string[]): Promise<Served> {
  const served = await serveProcess(model, ['--workers', '2', '--engine', 'tfjs', '--backend', 'cpu', ...args], 90_000);
  children.push(served.child);
  assert.equal(served.listening.workers, 2);
  return { ...served, pids: served.listening.pids as number[] };
}

/** A request on a new connection (so that the cluster hands it to either worker): status and parsed JSON body. */
function fresh(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: data === undefined ? 'GET' : 'POST',
        agent: false,
        headers: { ...(data === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** The ids each worker pid reports on GET /v1/model over `n` fresh connections. */
async function modelsByPid(url: string, n: number): Promise<Map<number, Set<string>>> {
  const seen = new Map<number, Set<string>>();
  for (let i = 0; i < n; i++) {
    const m = (await fresh(`${url}/v1/model`)).json as { id: string; pid: number };
    if (!seen.has(m.pid)) seen.set(m.pid, new Set());
    seen.get(m.pid)?.add(m.id);
  }
  return seen;
}

const sha16 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("two workers answer on one port with dlrm predict's scores; /metrics sums both; SIGTERM stops all, exit 0", async () => {
  const lines = fs.readFileSync(fx.raw, 'utf8').split('\n').slice(0, 8);
  const expected = await predictLines(fx.model, dir, 'expected', lines);
  const s = await serveWorkers(fx.model);
  const byPid = await modelsByPid(s.url, 40);
  assert.deepEqual([...byPid.keys()].sort(), [...s.pids].sort(), 'both workers answered GET /v1/model');
  const n = 30;
  for (let i = 0; i < n; i++) {
    const r = await fresh(`${s.url}/v1/predict`, { rows: lines });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      (r.json as PredictReply).probabilities.map((p) => float32Text(p)),
      Array.from(expected, (p) => float32Text(p)),
    );
  }
  const metrics = (await fresh(`${s.url}/metrics`)).text;
  assert.match(
    metrics,
    new RegExp(`dlrm_serve_requests_total\\{route="/v1/predict",status="200"\\} ${n}\\n`),
    'the predict requests of both workers, summed',
  );
  assert.match(metrics, new RegExp(`dlrm_serve_rows_scored_total ${n * lines.length}\\n`));
  assert.match(metrics, /dlrm_serve_model_step 3\n/, 'the model step is not summed over the workers');
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0, s.stderr());
  for (const pid of s.pids) assert.ok(!alive(pid), `worker ${pid} stopped`);
  assert.match(s.stderr(), /"msg":"stopped"/);
});

test('a reload reaches every worker; a refused reload leaves every worker on the old model; SIGHUP reloads all', async () => {
  const served = path.join(dir, 'served.ckpt');
  fs.copyFileSync(fx.model, served);
  const s = await serveWorkers(served, '--admin-token', 'sesame');
  const auth = { authorization: 'Bearer sesame' };
  const r = await fresh(`${s.url}/admin/reload`, { path: modelB }, auth);
  assert.equal(r.status, 200, r.text);
  assert.equal((r.json as { model: { id: string } }).model.id, sha16(modelB));
  let byPid = await modelsByPid(s.url, 40);
  assert.equal(byPid.size, 2);
  for (const [pid, ids] of byPid) assert.deepEqual([...ids], [sha16(modelB)], `worker ${pid} serves the new model`);

  const broken = path.join(dir, 'broken.ckpt');
  fs.writeFileSync(broken, fs.readFileSync(modelB).subarray(0, 200));
  const refused = await fresh(`${s.url}/admin/reload`, { path: broken }, auth);
  assert.equal(refused.status, 422, refused.text);
  assert.match((refused.json as { error: string }).error, /^reload refused: .*keeps serving$/);
  byPid = await modelsByPid(s.url, 40);
  for (const [pid, ids] of byPid) assert.deepEqual([...ids], [sha16(modelB)], `worker ${pid} kept the model it had`);

  // SIGHUP to the primary: every worker re-reads the file of the model it serves (modelB's path)
  fs.copyFileSync(fx.model, `${modelB}.tmp`);
  const keepB = fs.readFileSync(modelB);
  fs.renameSync(`${modelB}.tmp`, modelB);
  s.child.kill('SIGHUP');
  const deadline = performance.now() + 30_000;
  let ids = new Set<string>();
  while (performance.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
    byPid = await modelsByPid(s.url, 20);
    ids = new Set([...byPid.values()].flatMap((v) => [...v]));
    if (ids.size === 1 && ids.has(sha16(fx.model)) && byPid.size === 2) break;
  }
  fs.writeFileSync(modelB, keepB);
  assert.deepEqual([...ids], [sha16(fx.model)], 'SIGHUP reloaded both workers');
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0, s.stderr());
});

test('a worker killed with SIGKILL is replaced and the port keeps answering', async () => {
  const s = await serveWorkers(fx.model);
  await new Promise((res) => setTimeout(res, 5_500)); // past the crash-loop window of a worker's start
  process.kill(s.pids[0], 'SIGKILL');
  const deadline = performance.now() + 60_000;
  let pids: number[] = [];
  while (performance.now() < deadline) {
    await new Promise((res) => setTimeout(res, 200));
    pids = [...(await modelsByPid(s.url, 20)).keys()];
    if (pids.length === 2 && !pids.includes(s.pids[0])) break;
  }
  assert.equal(pids.length, 2, `two workers answer again: ${pids.join(', ')}`);
  assert.ok(
    pids.includes(s.pids[1]) && !pids.includes(s.pids[0]),
    `the killed worker was replaced: ${pids.join(', ')}`,
  );
  assert.match(s.stderr(), /"msg":"serve worker died; starting another"/);
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0, s.stderr());
});

test('a checkpoint that does not load fails the start: one dlrm: line, exit 2, no worker left', () => {
  const broken = path.join(dir, 'broken-start.ckpt');
  fs.writeFileSync(broken, 'not a checkpoint\n');
  const r = spawnSync(process.execPath, [cli, 'serve', '--load-model', broken, '--port', '0', '--workers', '2'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('dlrm: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /broken-start\.ckpt/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
