// `dlrm serve --workers N`: N processes (node:cluster) each run the whole server (src/serve/server.ts) with
// its own copy of the model, on one shared listening socket; the primary only supervises. The per-request
// cost of HTTP in Node is one JavaScript thread's work, so more processes score more requests per second
// on more cores (docs/SERVING.md, "Workers").
// Invariants:
// - "listening" is logged by the primary once every worker listens; a worker that fails to start fails the
//   whole start (one `dlrm:` line from the primary, exit 2), before any request is served.
// - A reload (POST /admin/reload on any worker, or SIGHUP to the primary) is two-phase: every worker loads
//   the checkpoint beside its model (prepare); only when all have loaded does each swap (commit), else every
//   worker drops it (abort) and all keep the old model. A request never mixes two models (each worker's
//   ModelSlot); for the few milliseconds between two workers' commits, two workers serve different models.
// - GET /metrics on any worker answers the sum over all workers (prom-client's AggregatorRegistry).
// - SIGTERM/SIGINT to the primary shuts every worker down gracefully, then the primary returns (exit 0).
// - A worker that dies while serving is replaced; one that dies within its first seconds is not (a crash loop).
import cluster, { type Worker } from 'node:cluster';
import * as os from 'node:os';
import { AggregatorRegistry } from 'prom-client';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { HttpError } from './httpError';
import { commitReload, prepareReload, startServer, type RunningServer, type ServeConfig } from './server';
import type { ReloadOutcome, ServedModel } from './servedModel';

/** A worker that exits sooner than this after its start is not replaced. */
const CRASH_LOOP_MS = 5_000;

/** Messages from a worker to the primary. `dlrm` tells them from prom-client's own messages on the channel. */
type FromWorker =
  | { dlrm: 'listening'; url: string; port: number }
  | { dlrm: 'failed'; message: string }
  | { dlrm: 'reload'; id: number; file?: string }
  | { dlrm: 'metrics'; id: number }
  | { dlrm: 'prepared'; id: number }
  | { dlrm: 'refused'; id: number; status: number; message: string }
  | { dlrm: 'committed'; id: number; outcome: ReloadOutcome };

/** Messages from the primary to a worker. */
type FromPrimary =
  | { dlrm: 'prepare'; id: number; file?: string }
  | { dlrm: 'commit'; id: number }
  | { dlrm: 'abort'; id: number }
  | { dlrm: 'answer'; id: number; value: ReloadOutcome | string }
  | { dlrm: 'error'; id: number; status: number; message: string }
  | { dlrm: 'shutdown' };

function isMessage<T extends { dlrm: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { dlrm?: unknown }).dlrm === 'string';
}

function send(w: Worker, m: FromPrimary): void {
  if (w.isConnected()) w.send(m);
}

/** The error of a failed step, as {status, message} (an HttpError keeps its status; anything else is a 500). */
function refusal(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
  return { status: 500, message: err instanceof Error ? err.message : String(err) };
}

// ---------------------------------------------------------------------------------------------------------
// The primary

/** Replies of the workers to one step of a reload, by worker id. */
class Step<T> {
  private readonly replies = new Map<number, T>();
  private resolveAll!: (replies: Map<number, T>) => void;
  readonly done = new Promise<Map<number, T>>((resolve) => (this.resolveAll = resolve));

  constructor(private readonly waiting: Set<number>) {
    if (waiting.size === 0) this.resolveAll(this.replies);
  }

  reply(workerId: number, value: T): void {
    if (!this.waiting.delete(workerId)) return;
    this.replies.set(workerId, value);
    if (this.waiting.size === 0) this.resolveAll(this.replies);
  }
}

type PrepareReply = { ok: true } | { ok: false; status: number; message: string };

class Primary {
  private readonly workers = new Map<number, { worker: Worker; startedAt: number }>();
  private readonly aggregator = new AggregatorRegistry();
  private nextId = 0;
  private reloading = false;
  private prepares: { id: number; step: Step<PrepareReply> } | null = null;
  private commits: { id: number; step: Step<ReloadOutcome | null> } | null = null;
  private started = false;
  private closing = false;

  /** `onEmpty` is called when the last worker has died and none replaces it. */
  constructor(
    private readonly count: number,
    private readonly onEmpty: () => void,
  ) {}

  /** Forks the workers; resolves with the URL once all listen, rejects with the first failure. */
  async start(): Promise<string> {
    const started = await Promise.allSettled(Array.from({ length: this.count }, () => this.fork()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      this.closing = true;
      for (const { worker } of this.workers.values()) worker.kill();
      throw failed.reason;
    }
    this.started = true;
    return (started[0] as PromiseFulfilledResult<string>).value;
  }

  /** Starts one worker; resolves with its URL when it listens. */
  private fork(): Promise<string> {
    // the workers share the cores: each engine gets its share of threads unless DLRM_NATIVE_THREADS says otherwise
    const threads =
      process.env.DLRM_NATIVE_THREADS ?? String(Math.max(1, Math.floor(os.availableParallelism() / this.count)));
    const worker = cluster.fork({ DLRM_NATIVE_THREADS: threads });
    this.workers.set(worker.id, { worker, startedAt: Date.now() });
    return new Promise<string>((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (!isMessage<FromWorker>(m)) return;
        if (m.dlrm === 'listening') resolve(m.url);
        else if (m.dlrm === 'failed') reject(new UserError(m.message));
        else this.onMessage(worker, m);
      });
      worker.on('exit', (code, signal) => {
        reject(new UserError(`a serve worker exited before listening (${signal ?? `exit code ${code}`})`));
        this.onExit(worker, code, signal);
      });
    });
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const entry = this.workers.get(worker.id);
    this.workers.delete(worker.id);
    this.prepares?.step.reply(worker.id, {
      ok: false,
      status: 500,
      message: `worker ${worker.process.pid} exited during the reload`,
    });
    this.commits?.step.reply(worker.id, null);
    if (!this.started || this.closing || entry === undefined) return;
    const early = Date.now() - entry.startedAt < CRASH_LOOP_MS;
    log().error(
      { pid: worker.process.pid, code, signal, replaced: !early, workers: this.workers.size },
      early ? 'serve worker died right after its start; not replaced' : 'serve worker died; starting another',
    );
    if (!early)
      this.fork().catch((err: unknown) =>
        log().error({ error: refusal(err).message }, 'the replacement serve worker did not start'),
      );
    else if (this.workers.size === 0) this.onEmpty();
  }

  private onMessage(worker: Worker, m: FromWorker): void {
    switch (m.dlrm) {
      case 'reload':
        this.reload(m.file).then(
          (value) => send(worker, { dlrm: 'answer', id: m.id, value }),
          (err: unknown) => send(worker, { dlrm: 'error', id: m.id, ...refusal(err) }),
        );
        break;
      case 'metrics':
        this.aggregator.clusterMetrics().then(
          (value) => send(worker, { dlrm: 'answer', id: m.id, value }),
          (err: unknown) => send(worker, { dlrm: 'error', id: m.id, ...refusal(err) }),
        );
        break;
      case 'prepared':
        if (this.prepares?.id === m.id) this.prepares.step.reply(worker.id, { ok: true });
        break;
      case 'refused':
        if (this.prepares?.id === m.id)
          this.prepares.step.reply(worker.id, { ok: false, status: m.status, message: m.message });
        break;
      case 'committed':
        if (this.commits?.id === m.id) this.commits.step.reply(worker.id, m.outcome);
        break;
    }
  }

  /** Reloads every worker, all or none (see the header); throws an HttpError when refused. */
  async reload(file?: string): Promise<ReloadOutcome> {
    if (this.reloading) throw new HttpError(409, 'a reload is already running');
    if (this.closing) throw new HttpError(503, 'shutting down');
    this.reloading = true;
    try {
      const id = this.nextId++;
      const live = [...this.workers.values()].map((e) => e.worker);
      this.prepares = { id, step: new Step<PrepareReply>(new Set(live.map((w) => w.id))) };
      for (const w of live) send(w, { dlrm: 'prepare', id, file });
      const prepared = await this.prepares.step.done;
      const refused = [...prepared.values()].find((r): r is Extract<PrepareReply, { ok: false }> => !r.ok);
      if (refused) {
        for (const w of live) if (prepared.get(w.id)?.ok === true) send(w, { dlrm: 'abort', id });
        throw new HttpError(refused.status, refused.message);
      }
      const ready = live.filter((w) => this.workers.has(w.id));
      this.commits = { id, step: new Step<ReloadOutcome | null>(new Set(ready.map((w) => w.id))) };
      for (const w of ready) send(w, { dlrm: 'commit', id });
      const outcomes = [...(await this.commits.step.done).values()].filter((o): o is ReloadOutcome => o !== null);
      if (outcomes.length === 0) throw new HttpError(500, 'no serve worker completed the reload');
      return outcomes[0];
    } finally {
      this.prepares = null;
      this.commits = null;
      this.reloading = false;
    }
  }

  /** Asks every worker to shut down gracefully; resolves when all have exited. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const exits = [...this.workers.values()].map(
      ({ worker }) =>
        new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))),
    );
    for (const { worker } of this.workers.values()) send(worker, { dlrm: 'shutdown' });
    await Promise.all(exits);
  }
}

/** The primary of `dlrm serve --workers N`: starts N workers, reloads on SIGHUP, shuts down on SIGTERM/SIGINT. */
export async function runServePrimary(workers: number): Promise<void> {
  let stop!: (why: NodeJS.Signals | 'no worker left') => void;
  const stopped = new Promise<NodeJS.Signals | 'no worker left'>((resolve) => (stop = resolve));
  const primary = new Primary(workers, () => stop('no worker left'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let url: string;
  try {
    url = await primary.start();
  } catch (err) {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    throw err;
  }
  log().info({ url, workers, pids: Object.values(cluster.workers ?? {}).map((w) => w?.process.pid) }, 'listening');
  const onHup = () =>
    void primary.reload().catch((err: unknown) => log().error({ error: refusal(err).message }, 'reload refused'));
  process.on('SIGHUP', onHup);
  const why = await stopped;
  process.off('SIGHUP', onHup);
  if (why === 'no worker left') {
    await primary.shutdown();
    throw new UserError('every serve worker died (see the log above); stopped');
  }
  log().info({ signal: why }, 'shutting down: no new connections, the workers finish the requests in flight');
  await primary.shutdown();
  log().info('stopped');
}

// ---------------------------------------------------------------------------------------------------------
// A worker

/** Questions this worker asks the primary (a reload of all workers, the summed metrics), by request id. */
class PrimaryChannel {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: ReloadOutcome | string) => void; reject: (e: Error) => void }
  >();

  ask(m: { dlrm: 'reload'; file?: string } | { dlrm: 'metrics' }): Promise<ReloadOutcome | string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      process.send?.({ ...m, id } satisfies FromWorker);
    });
  }

  answer(m: Extract<FromPrimary, { dlrm: 'answer' | 'error' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.dlrm === 'answer') p.resolve(m.value);
    else p.reject(new HttpError(m.status, m.message));
  }
}

/** One worker of `dlrm serve --workers N`: the whole server, with reloads and metrics through the primary. */
export async function runServeWorker(c: ServeConfig): Promise<void> {
  const channel = new PrimaryChannel();
  const tell = (m: FromWorker) => process.send?.(m);
  let server: RunningServer;
  try {
    server = await startServer(c, {
      reload: async (file) => (await channel.ask({ dlrm: 'reload', file })) as ReloadOutcome,
      metricsText: async () => (await channel.ask({ dlrm: 'metrics' })) as string,
      listeningLevel: 'debug',
    });
  } catch (err) {
    // the primary reports it (one line for all workers)
    tell({ dlrm: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exitCode = 2;
    process.disconnect();
    return;
  }
  new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
  AggregatorRegistry.setRegistries([server.metrics.registry]);

  let prepared: { id: number; model: ServedModel } | null = null;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onMessage = (m: unknown) => {
    if (!isMessage<FromPrimary>(m)) return;
    switch (m.dlrm) {
      case 'answer':
      case 'error':
        channel.answer(m);
        break;
      case 'prepare':
        prepareReload(server.slot, server.metrics, m.file).then(
          (model) => {
            prepared = { id: m.id, model };
            tell({ dlrm: 'prepared', id: m.id });
          },
          (err: unknown) => tell({ dlrm: 'refused', id: m.id, ...refusal(err) }),
        );
        break;
      case 'commit':
        if (prepared?.id === m.id) {
          tell({ dlrm: 'committed', id: m.id, outcome: commitReload(server.slot, server.metrics, prepared.model) });
          prepared = null;
        }
        break;
      case 'abort':
        if (prepared?.id === m.id) {
          server.slot.abort(prepared.model);
          prepared = null;
        }
        break;
      case 'shutdown':
        stop();
        break;
    }
  };
  process.on('message', onMessage);
  const ignoreHup = () => undefined; // the primary runs reloads; a hangup of the terminal must not kill a worker
  process.on('SIGHUP', ignoreHup);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  tell({ dlrm: 'listening', url: server.url, port: server.port });
  await stopped;
  await server.close();
  process.off('message', onMessage);
  process.off('SIGHUP', ignoreHup);
  process.disconnect();
}

/** True in a process that cluster started as a serve worker. */
export function isServeWorker(): boolean {
  return cluster.isWorker;
}
