// `dlrm serve`'s life: load the model, listen (on 127.0.0.1 unless told otherwise), micro-batch requests into
// the engine, reload on request (POST /admin/reload or SIGHUP), log a summary once a minute, and shut down
// gracefully on SIGTERM/SIGINT: stop accepting connections, finish the requests in flight, dispose the
// engines, return (exit 0). startServer is the in-process API (tests); runServe adds the signals (the CLI).
// With --workers N the processes of src/serve/cluster.ts each run startServer with hooks that take reloads
// and the metrics text through the primary process.
import type { AddressInfo } from 'node:net';
import type { EngineOptions } from '../engine/createEngine';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { buildApp } from './app';
import type { ServeLimits } from './context';
import { HttpError } from './httpError';
import { ServeMetrics } from './metrics';
import { MicroBatcher } from './microBatcher';
import { ModelSlot } from './modelSlot';
import {
  loadServedModel,
  type ReloadOutcome,
  type RequestBlock,
  type ServedModel,
  type VocabularyFlags,
} from './servedModel';

export interface ServeConfig extends EngineOptions, VocabularyFlags, ServeLimits {
  loadModel: string;
  host: string;
  /** 0: an ephemeral port. */
  port: number;
  maxBatchDelayMs: number;
  /** Summary log line period (default one minute). */
  summaryMs?: number;
}

/** What serving needs from beyond this process; by default everything is this process's own. */
export interface ServeHooks {
  /** Runs a reload (default: this process's ModelSlot). Cluster workers: a reload of every worker. */
  reload?: (file?: string) => Promise<ReloadOutcome>;
  /** The Prometheus text of GET /metrics (default: this process's registry). */
  metricsText?: () => Promise<string>;
  /** The level of the "listening" line (cluster workers: debug; the primary logs one for all). */
  listeningLevel?: 'info' | 'debug';
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Reloads (see ServeContext.reload): resolves to the new model, rejects with an HttpError when refused. */
  reload(file?: string): Promise<ReloadOutcome>;
  /** The model slot and metrics, for a cluster worker's two-phase reloads. */
  slot: ModelSlot;
  metrics: ServeMetrics;
  /** Graceful shutdown: no new connections, requests in flight finish, engines disposed. */
  close(): Promise<void>;
}

/** Loads `file` into `slot` (prepare) as a reload refused or not: a refusal is an HttpError naming the model that keeps serving. */
export async function prepareReload(slot: ModelSlot, metrics: ServeMetrics, file?: string): Promise<ServedModel> {
  const from = slot.current;
  try {
    return await slot.prepare(file);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    metrics.reload(false);
    const reason = err instanceof Error ? err.message : String(err);
    log().error(
      { file: file ?? from.file, error: reason, serving: from.id },
      'reload refused; the previous model keeps serving',
    );
    throw new HttpError(
      err instanceof UserError ? 422 : 500,
      `reload refused: ${reason}; model ${from.id} (step ${from.step}) keeps serving`,
    );
  }
}

/** Makes a prepared model current (commit), counts and logs it. */
export function commitReload(slot: ModelSlot, metrics: ServeMetrics, model: ServedModel): ReloadOutcome {
  const previous = slot.commit(model);
  metrics.reload(true);
  metrics.model(model.step);
  log().info({ file: model.file, id: model.id, step: model.step, previous: previous.id }, 'model reloaded');
  return {
    model: { id: model.id, step: model.step, sha256: model.sha256, file: model.file },
    previous: { id: previous.id, step: previous.step },
  };
}

export async function startServer(c: ServeConfig, hooks: ServeHooks = {}): Promise<RunningServer> {
  const engineOptions: EngineOptions = { engine: c.engine, backend: c.backend };
  const vocabularies: VocabularyFlags = { processedDataFile: c.processedDataFile, manifest: c.manifest };
  const load = (file: string) => loadServedModel(file, engineOptions, vocabularies);
  const metrics = new ServeMetrics();
  const slot = new ModelSlot(await load(c.loadModel), load);
  metrics.model(slot.current.step);
  const batcher = new MicroBatcher<ServedModel, RequestBlock>(
    { maxDelayMs: c.maxBatchDelayMs, maxRows: c.maxBatchRows },
    async (model, batch) => {
      metrics.batch(batch.size);
      return model.predict(batch);
    },
    (model, blocks) => model.encodeBlocks(blocks),
  );
  let closing = false;
  const localReload = async (file?: string): Promise<ReloadOutcome> =>
    commitReload(slot, metrics, await prepareReload(slot, metrics, file));
  const reload = hooks.reload ?? localReload;
  const app = buildApp({
    slot,
    metrics,
    batcher,
    limits: c,
    reload,
    metricsText: hooks.metricsText ?? (() => metrics.text()),
    closing: () => closing,
  });
  try {
    await app.listen({ host: c.host, port: c.port });
  } catch (err) {
    slot.dispose();
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot listen on ${c.host}:${c.port}: ${e.code ?? e.message}`);
  }
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${port}`;
  const summary = setInterval(() => {
    const s = metrics.takeSummary();
    log().info({ ...s, model: slot.current.id, step: slot.current.step }, 'serve summary (last minute)');
  }, c.summaryMs ?? 60_000);
  summary.unref();
  log()[hooks.listeningLevel ?? 'info'](
    {
      url,
      model: slot.current.file,
      id: slot.current.id,
      step: slot.current.step,
      engine: slot.current.engine.name,
      maxBatchDelayMs: c.maxBatchDelayMs,
      maxBatchRows: c.maxBatchRows,
      admin: c.adminToken !== undefined,
    },
    'listening',
  );
  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    reload,
    slot,
    metrics,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        clearInterval(summary);
        await app.close();
        slot.dispose();
      })()),
  };
}

/** Serves until SIGTERM or SIGINT, then shuts down gracefully; SIGHUP reloads the current checkpoint file. */
export async function runServe(c: ServeConfig): Promise<void> {
  const server = await startServer(c);
  const onHup = () => void server.reload().catch(() => undefined); // refused reloads are logged by reload
  process.on('SIGHUP', onHup);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log().info({ signal }, 'shutting down: no new connections, finishing the requests in flight');
  process.off('SIGHUP', onHup);
  await server.close();
  log().info('stopped');
}
