// The HTTP routes of `dlrm serve` on fastify (JSON-schema validation of bodies, JSON errors):
//   POST /v1/predict {"rows": [...]}  -> {"probabilities": [...], "model": {"id", "step"}} in row order
//   GET  /healthz (alive), /readyz (a model is loaded and the server is not closing), /v1/model, /metrics
//   POST /admin/reload [{"path": F}]   only with --admin-token (else 404); "Authorization: Bearer T" (else 403)
// Every error is {"error": "..."}: malformed JSON or a bad row 400 (naming rows[i] and the field), body over
// --max-body-bytes or more rows than --max-batch-rows 413, a body that is not JSON 415, no such route 404.
// A request holds one model from its start to its scores (ModelSlot), so a reload never mixes two models.
import * as crypto from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { BadRowError } from '../predict/rowEncoder';
import { fieldText } from '../util/errors';
import { float32Text } from '../util/float32Text';
import { log } from '../util/log';
import { HttpError } from './httpError';
import type { MicroBatcher } from './microBatcher';
import type { ModelSlot } from './modelSlot';
import type { ServeMetrics } from './metrics';
import { RequestRowError } from './requestRows';
import type { ReloadOutcome, RequestBlock, ServedModel } from './servedModel';

export interface ServeLimits {
  /** Rows per request at most (also the micro-batch size at which a group is sent). */
  maxBatchRows: number;
  /** Request bodies larger than this are refused with 413. */
  maxBodyBytes: number;
  /** Enables POST /admin/reload with this bearer token; undefined: the route does not exist. */
  adminToken?: string;
}

export interface ServeContext {
  slot: ModelSlot;
  metrics: ServeMetrics;
  batcher: MicroBatcher<ServedModel, RequestBlock>;
  limits: ServeLimits;
  /** Loads a checkpoint (default: the current one's file again) and swaps it in; throws an HttpError when refused. */
  reload(file?: string): Promise<ReloadOutcome>;
  /** The Prometheus text of GET /metrics. */
  metricsText(): Promise<string>;
  /** True once shutdown has begun. */
  closing(): boolean;
}

interface PredictBody {
  rows: unknown[];
}

const predictSchema = {
  body: {
    type: 'object',
    required: ['rows'],
    additionalProperties: false,
    properties: { rows: { type: 'array', items: { type: ['string', 'object'] } } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        probabilities: { type: 'array', items: { type: 'number' } },
        model: { type: 'object', properties: { id: { type: 'string' }, step: { type: 'integer' } } },
      },
    },
  },
} as const;

/** Compares two tokens in constant time (of their digests). */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/** The message of a fastify or route error, for {"error": ...}. */
function errorMessage(err: FastifyError, contentType: string | undefined): string {
  if (err.validation) return `request ${err.message}`;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return `the body must be JSON (content-type: application/json), not ${contentType ?? 'without a content-type'}`;
  return err.message;
}

export function buildApp(ctx: ServeContext): FastifyInstance {
  const { slot, metrics, batcher, limits } = ctx;
  // no type coercion: a row that is a number is refused, not read as a one-field line
  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
  });
  app.removeContentTypeParser('text/plain'); // bodies are JSON only: anything else is 415

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500)
      log().error({ method: req.method, url: req.url, err: err.message, stack: err.stack }, 'request failed');
    void reply.code(status).send({
      error:
        status >= 500 && !(err instanceof HttpError)
          ? `internal error: ${err.message}`
          : errorMessage(err, req.headers['content-type']),
    });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url}` });
  });
  // during shutdown the connections of requests in flight close after their response (not kept alive)
  app.addHook('onSend', async (_req, reply) => {
    if (ctx.closing()) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.request(route, reply.statusCode, reply.elapsedTime / 1000);
    if (log().isLevelEnabled('debug'))
      log().debug(
        { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 1000) / 1000 },
        'request',
      );
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (ctx.closing()) return reply.code(503).send({ error: 'shutting down' });
    return { status: 'ready', model: { id: slot.current.id, step: slot.current.step } };
  });
  // pid: the process that answered (one of the workers with serve --workers)
  app.get('/v1/model', async () => ({ ...slot.current.describe(), pid: process.pid }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await ctx.metricsText()));

  app.post<{ Body: PredictBody }>('/v1/predict', {
    schema: predictSchema,
    preValidation: async (req) => {
      const rows = (req.body as Partial<PredictBody> | null)?.rows;
      if (Array.isArray(rows) && rows.length > limits.maxBatchRows)
        throw new HttpError(
          413,
          `${rows.length} rows in one request; at most ${limits.maxBatchRows} (--max-batch-rows)`,
        );
    },
    handler: async (req) => {
      const { rows } = req.body;
      const model = slot.acquire();
      try {
        let scores: Float32Array;
        if (rows.length === 0) scores = new Float32Array(0);
        else {
          // encoded with the other requests of its micro-batch; alone (with its own row numbers) when one is bad
          scores = await batcher.submit(model, { size: rows.length, block: model.rows.toBlock(rows) });
        }
        const probabilities = new Array<number>(scores.length);
        for (let i = 0; i < scores.length; i++) probabilities[i] = Number(float32Text(scores[i]));
        return { probabilities, model: { id: model.id, step: model.step } };
      } catch (err) {
        if (err instanceof RequestRowError) throw new HttpError(400, err.message);
        if (err instanceof BadRowError)
          throw new HttpError(
            400,
            `rows[${err.line - 1}]${err.field === undefined ? '' : `: field ${fieldText(err.field, err.fieldName)}`}: ${err.reason}`,
          );
        throw err;
      } finally {
        slot.release(model);
      }
    },
  });

  const token = limits.adminToken;
  if (token !== undefined) {
    app.post('/admin/reload', async (req) => {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !sameToken(auth.slice(7), token))
        throw new HttpError(403, 'POST /admin/reload needs the header "Authorization: Bearer <--admin-token>"');
      const body = req.body as { path?: unknown } | undefined | null;
      if (
        body !== undefined &&
        body !== null &&
        (typeof body !== 'object' ||
          Object.keys(body).some((k) => k !== 'path') ||
          (body.path !== undefined && (typeof body.path !== 'string' || body.path === '')))
      ) {
        throw new HttpError(400, 'the body is optional; when given it is {"path": "<checkpoint file>"}');
      }
      return ctx.reload(body?.path as string | undefined);
    });
  }
  return app;
}
