// `dlrm serve`'s life: load the model, listen (on 127.0.0.1 unless told otherwise), micro-batch requests into
// the engine, reload on request (POST /admin/reload or SIGHUP), log a summary once a minute, and shut down
// gracefully on SIGTERM/SIGINT: stop accepting connections, finish the requests in flight, dispose the
// engines, return (exit 0). startServer is the in-process API (tests); runServe adds the signals (the CLI).
import type { AddressInfo } from 'node:net';
import type { EngineOptions } from '../engine/createEngine';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { buildApp, type ServeLimits } from './app';
import { HttpError } from './httpError';
import { ServeMetrics } from './metrics';
import { MicroBatcher } from './microBatcher';
import { ModelSlot } from './modelSlot';
import { loadServedModel, type RequestBlock, type ServedModel, type VocabularyFlags } from './servedModel';

export interface ServeConfig extends EngineOptions, VocabularyFlags, ServeLimits {
  loadModel: string;
  host: string;
  /** 0: an ephemeral port. */
  port: number;
  maxBatchDelayMs: number;
  /** Summary log line period (default one minute). */
  summaryMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Reloads (see ServeContext.reload): resolves to the new model, rejects with an HttpError when refused. */
  reload(file?: string): Promise<ServedModel>;
  /** Graceful shutdown: no new connections, requests in flight finish, engines disposed. */
  close(): Promise<void>;
}

export async function startServer(c: ServeConfig): Promise<RunningServer> {
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
  const reload = async (file?: string): Promise<ServedModel> => {
    const from = slot.current;
    try {
      const { model } = await slot.reload(file);
      metrics.reload(true);
      metrics.model(model.step);
      log().info({ file: model.file, id: model.id, step: model.step, previous: from.id }, 'model reloaded');
      return model;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      metrics.reload(false);
      const reason = err instanceof Error ? err.message : String(err);
      log().error({ file: file ?? from.file, error: reason, serving: from.id }, 'reload refused; the previous model keeps serving');
      throw new HttpError(err instanceof UserError ? 422 : 500, `reload refused: ${reason}; model ${from.id} (step ${from.step}) keeps serving`);
    }
  };
  const app = buildApp({ slot, metrics, batcher, limits: c, reload, closing: () => closing });
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
  log().info({ url, model: slot.current.file, id: slot.current.id, step: slot.current.step, engine: slot.current.engine.name, maxBatchDelayMs: c.maxBatchDelayMs, maxBatchRows: c.maxBatchRows, admin: c.adminToken !== undefined }, 'listening');
  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    reload,
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
