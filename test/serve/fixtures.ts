// Fixtures of the serve tests: an in-process `dlrm serve` on 127.0.0.1 and an ephemeral port (the pure-JS
// tfjs engine, as in the predict tests, so scores compare exactly with `dlrm predict` in process), `dlrm
// serve` as a process of the built CLI (serveProcess), a second small model to reload, a JSON client on
// fetch, and `dlrm predict` run in process on a file of lines with the same engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { runPredict } from '../../src/predict/predict';
import { startServer, type RunningServer, type ServeConfig } from '../../src/serve/server';
import { resolveTrainConfig } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { repoRoot } from '../helpers/sharedData';

export const ENGINE = { engine: 'tfjs', backend: 'cpu' } as const;

/** Starts a server for `model` (defaults: 1 ms batch delay, 4096 rows, 1 MiB bodies, no admin token). */
export function startTestServer(model: string, o: Partial<ServeConfig> = {}): Promise<RunningServer> {
  return startServer({
    loadModel: model,
    host: '127.0.0.1',
    port: 0,
    maxBatchDelayMs: 1,
    maxBatchRows: 4096,
    maxBodyBytes: 1 << 20,
    ...ENGINE,
    ...o,
  });
}

export interface Reply {
  status: number;
  contentType: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  text: string;
}

/** Sends a request; a string body is sent as is, anything else as JSON. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === 'string' || init.body instanceof Uint8Array
        ? init.body
        : JSON.stringify(init.body);
  const headers = {
    ...(init.body !== undefined && typeof init.body !== 'string' && !(init.body instanceof Uint8Array)
      ? { 'content-type': 'application/json' }
      : {}),
    ...init.headers,
  };
  const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), body, headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json, text };
}

export interface PredictReply {
  probabilities: number[];
  model: { id: string; step: number };
}

/** POST /v1/predict that must succeed. */
export async function predictRows(server: RunningServer, rows: unknown[]): Promise<PredictReply> {
  const r = await request(`${server.url}/v1/predict`, { body: { rows } });
  if (r.status !== 200) throw new Error(`POST /v1/predict: ${r.status} ${r.text}`);
  return r.json as PredictReply;
}

/** `dlrm predict` in process on `lines` (one engine batch): the probabilities, as float32. */
export async function predictLines(
  model: string,
  dir: string,
  name: string,
  lines: string[],
  header?: string,
): Promise<Float32Array> {
  const input = path.join(dir, `${name}.in`);
  const output = path.join(dir, `${name}.csv`);
  fs.writeFileSync(input, [...(header === undefined ? [] : [header]), ...lines].join('\n') + '\n');
  await runPredict({
    loadModel: model,
    input,
    output,
    miniBatchSize: lines.length,
    format: 'csv',
    idColumn: null,
    idStart: null,
    ...ENGINE,
  });
  const rows = fs.readFileSync(output, 'utf8').trim().split('\n').slice(1);
  return Float32Array.from(rows, (r) => Number(r.split(',')[1]));
}

/** Trains a second small model (bottom 13-16-8, top 16-1) on `merged` into `file`, for reloads. */
export async function trainSecondModel(
  merged: string,
  file: string,
  o: { numBatches: number; seed: number; learningRate?: number },
): Promise<void> {
  await runTraining(
    resolveTrainConfig({
      processedDataFile: merged,
      archMlpBot: [13, 16, 8],
      archMlpTop: [16, 1],
      miniBatchSize: 128,
      printFreq: 1000,
      saveModel: file,
      ...o,
    }),
  );
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The fields of its "listening" log line (url; with --workers also workers and pids). */
  listening: Record<string, unknown>;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Starts `dlrm serve --load-model MODEL --port 0 ARGS` (the built CLI, JSON log lines on stderr) and waits
 * (at most `timeoutMs`) for its "listening" line; the caller kills what it starts (push `child` to a list).
 */
export async function serveProcess(model: string, args: string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'dlrm.js'), 'serve', '--load-model', model, '--port', '0', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line in ${timeoutMs / 1000} s: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    void exit.then((code) => reject(new Error(`dlrm serve exited (${code}) before listening: ${err}`)));
  });
  return { child, url: String(listening.url), listening, stderr: () => err, exit };
}
