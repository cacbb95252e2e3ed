// Benchmark of `dlrm serve` (docs/SERVING.md, "Benchmark"): the Kaggle architecture (configs/kaggle.json: bottom
// 13-512-256-64-16, top 512-256-1, dot interaction, d = 16) on generated Criteo-shaped rows: `dlrm generate`
// N raw lines, `dlrm preprocess` them (vocabularies + manifest; the tables are as large as the generated
// vocabularies, not the full Kaggle ones), `dlrm train --config configs/kaggle.json --num-batches 1` for a
// checkpoint. Then `dlrm predict` scores all N lines (its own rows/s, from its log), and `dlrm serve` (default
// flags, 127.0.0.1, an ephemeral port) is driven by autocannon in this process with the same raw lines:
//   (a) 1-row requests on 64 connections, (b) 256-row requests on 16 connections, each for --seconds
// after a 2 s warm-up. Prints requests/s, rows/s, p50/p99/p99.9 latency and the targets of issue 11:
// (a) >= 20,000 rows/s with p99 <= 10 ms, (b) >= 70% of predict's rows/s. The load generator shares the
// machine's cores with the server (as does anything else running): the figures are for this machine as it is;
// the CPU seconds the server and the load generator used in each run are printed beside them.
// Both scenarios run once per --workers count (serve --workers: server processes sharing the port). First, (a)'s
// load against a null server (node:http answering a fixed body) measures what this machine can do at all.
// Run: npx tsc -p . && node dist/scripts/bench-serve.js [--rows 1000000] [--seconds 10] [--workers 1,2] [--dir D] [--engine auto]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const repo = path.resolve(__dirname, '..', '..');
const cli = path.join(repo, 'bin', 'dlrm.js');

/** Runs `dlrm ARGS` to completion; returns its stderr (JSON log lines). */
function dlrm(...args: string[]): string {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  console.log(`  dlrm ${args[0]}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return r.stderr;
}

/** The fields of the last JSON log line whose msg is `msg`. */
function logRecord(stderr: string, msg: string): Record<string, unknown> {
  const line = stderr
    .split('\n')
    .reverse()
    .find((l) => l.includes(`"msg":"${msg}"`));
  if (!line) throw new Error(`no "${msg}" log line in:\n${stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Starts `dlrm serve` and resolves with it and its URL once it logs "listening". */
function startServe(model: string, engine: string, workers: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--load-model', model, '--port', '0', '--engine', engine, '--workers', String(workers)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"url":"([^"]+)".*"msg":"listening"/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`dlrm serve exited (${code}):\n${err}`)));
  });
}

/**
 * The ceiling of this machine for scenario (a): a null server (node:http, parses the JSON body and answers a
 * fixed {"probabilities": [0.5], ...}: no model, no framework) under the same load generator.
 */
const NULL_SERVER = `
const http = require('node:http');
const answer = JSON.stringify({ probabilities: [0.5], model: { id: 'null', step: 0 } });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function startNullServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', NULL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve({ child, url: `http://127.0.0.1:${String(d).trim()}` }));
    child.on('exit', (code) => reject(new Error(`the null server exited (${code})`)));
  });
}

interface Scenario {
  name: string;
  rowsPerRequest: number;
  connections: number;
}

interface Measured {
  /** CPU seconds the server process and this process (autocannon) used during the measured run. */
  serverCpu: number;
  clientCpu: number;
  requestsPerSec: number;
  rowsPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  non2xx: number;
  errors: number;
}

/** CPU seconds (user + system) used so far by process `pid` and its children, the serve workers (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    const children = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .filter((c) => c !== '');
    return children.reduce((sum, child) => sum + cpuSeconds(Number(child)), own);
  } catch {
    return NaN;
  }
}

async function drive(url: string, serverPid: number, lines: string[], s: Scenario, seconds: number): Promise<Measured> {
  // autocannon builds every body once per connection: a few distinct bodies (256 of 1 row, 8 of 256 rows),
  // not thousands (16 connections x 1000 bodies of 70 KB made the load generator itself the bottleneck)
  const distinct = Math.min(
    256,
    Math.max(4, Math.floor(2048 / s.rowsPerRequest)),
    Math.floor(lines.length / s.rowsPerRequest),
  );
  const bodies = Array.from({ length: distinct }, (_, k) =>
    JSON.stringify({ rows: lines.slice(k * s.rowsPerRequest, (k + 1) * s.rowsPerRequest) }),
  );
  const requests = bodies.map((body) => ({
    method: 'POST' as const,
    path: '/v1/predict',
    headers: { 'content-type': 'application/json' },
    body,
  }));
  const run = (duration: number) => autocannon({ url, connections: s.connections, duration, requests });
  await run(2);
  const server0 = cpuSeconds(serverPid);
  const client0 = process.cpuUsage();
  const r = await run(seconds);
  const client = process.cpuUsage(client0);
  const ok = r['2xx'];
  return {
    serverCpu: cpuSeconds(serverPid) - server0,
    clientCpu: (client.user + client.system) / 1e6,
    requestsPerSec: ok / r.duration,
    rowsPerSec: (ok * s.rowsPerRequest) / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

async function main(): Promise<void> {
  const rows = Number(arg('--rows', '1000000'));
  const seconds = Number(arg('--seconds', '10'));
  const engine = arg('--engine', 'auto');
  const workerCounts = arg('--workers', '1,2').split(',').map(Number);
  const dir = arg('--dir', fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-serve-')));
  const keep = process.argv.includes('--dir');
  console.log(
    `bench-serve: ${rows} generated rows, ${seconds} s per scenario, engine ${engine}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const raw = path.join(dir, 'rows.txt');
  const merged = path.join(dir, 'rows.dlrm');
  const model = path.join(dir, 'kaggle.ckpt');
  let server: ChildProcess | undefined;
  try {
    if (!fs.existsSync(model)) {
      dlrm('generate', '--rows', String(rows), '--out', raw, '--seed', '1');
      dlrm('preprocess', '--raw-data-file', raw, '--processed-data-file', merged, '--data-randomize', 'none');
      dlrm(
        'train',
        '--config',
        path.join(repo, 'configs', 'kaggle.json'),
        '--processed-data-file',
        merged,
        '--num-batches',
        '1',
        '--save-model',
        model,
        '--engine',
        engine,
      );
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(`${merged}.parts`, 'manifest.json'), 'utf8')) as {
      tables: { count: number }[];
    };
    const tableRows = manifest.tables.reduce((a, t) => a + t.count, 0);
    console.log(
      `  model: Kaggle MLPs, ${manifest.tables.length} tables of ${tableRows} rows in all (${((tableRows * 16 * 4) / 2 ** 20).toFixed(0)} MiB of embeddings)`,
    );

    const predicted = logRecord(
      dlrm(
        'predict',
        '--load-model',
        model,
        '--input',
        raw,
        '--output',
        path.join(dir, 'predictions.csv'),
        '--engine',
        engine,
      ),
      'predict done',
    );
    const predictRowsPerSec = Number(predicted.rowsPerSec);

    const lines = fs
      .readFileSync(raw, 'utf8')
      .split('\n', 4096)
      .filter((l) => l !== '');
    const scenarios: Scenario[] = [
      { name: '(a) 1-row requests', rowsPerRequest: 1, connections: 64 },
      { name: '(b) 256-row requests', rowsPerRequest: 256, connections: 16 },
    ];
    const results: { s: Scenario; workers: number; r: Measured }[] = [];
    const nullServer = await startNullServer();
    server = nullServer.child;
    const ceiling = await drive(nullServer.url, nullServer.child.pid ?? 0, lines, scenarios[0], seconds);
    server.kill('SIGTERM');
    await new Promise((resolve) => server?.once('exit', resolve));
    server = undefined;
    for (const workers of workerCounts) {
      const started = await startServe(model, engine, workers);
      server = started.child;
      for (const s of scenarios)
        results.push({ s, workers, r: await drive(started.url, started.child.pid ?? 0, lines, s, seconds) });
      server.kill('SIGTERM');
      await new Promise((resolve) => server?.once('exit', resolve));
      server = undefined;
    }

    console.log('');
    console.log(
      'scenario               workers conns   requests/s      rows/s   p50 ms   p99 ms  p99.9 ms  non-2xx  errors  server CPU s  client CPU s',
    );
    for (const { s, workers, r } of results) {
      console.log(
        `${s.name.padEnd(22)} ${String(workers).padStart(7)} ${String(s.connections).padStart(5)} ${r.requestsPerSec.toFixed(0).padStart(12)} ${r.rowsPerSec.toFixed(0).padStart(11)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.p999.toFixed(2).padStart(9)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} ${r.serverCpu.toFixed(1).padStart(13)} ${r.clientCpu.toFixed(1).padStart(13)}`,
      );
    }
    console.log(
      `dlrm predict (same rows, ${rows} lines, CSV out)                ${predictRowsPerSec.toFixed(0).padStart(11)} rows/s`,
    );
    const perRequest = (cpu: number, r: Measured) => ((1e6 * cpu) / (r.requestsPerSec * seconds)).toFixed(0);
    console.log(
      `null server, (a)'s load (the machine's ceiling): ${ceiling.requestsPerSec.toFixed(0)} requests/s, p99 ${ceiling.p99.toFixed(2)} ms; CPU per request: server ${perRequest(ceiling.serverCpu, ceiling)} µs, load generator ${perRequest(ceiling.clientCpu, ceiling)} µs`,
    );
    for (const { s, workers, r } of results.filter((x) => x.s === scenarios[0])) {
      console.log(
        `dlrm serve --workers ${workers}, ${s.name}: CPU per request: server ${perRequest(r.serverCpu, r)} µs, load generator ${perRequest(r.clientCpu, r)} µs`,
      );
    }
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log('');
    for (const workers of workerCounts) {
      const [a, b] = results.filter((x) => x.workers === workers).map((x) => x.r);
      console.log(
        `--workers ${workers}: target (a) >= 20000 rows/s with p99 <= 10 ms: ${a.rowsPerSec.toFixed(0)} rows/s, p99 ${a.p99.toFixed(2)} ms -> ${verdict(a.rowsPerSec >= 20_000 && a.p99 <= 10)}; target (b) >= 70% of predict's rows/s: ${((100 * b.rowsPerSec) / predictRowsPerSec).toFixed(0)}% -> ${verdict(b.rowsPerSec >= 0.7 * predictRowsPerSec)}`,
      );
    }
    console.log(
      `load average after: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    server?.kill('SIGTERM');
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
