// The routes of `dlrm serve`: fastify (JSON errors, the 404s) serves every route but the hot one, POST
// /v1/predict, which its server hands to src/serve/predictRoute.ts (node:http directly):
//   POST /v1/predict {"rows": [...]}  -> {"probabilities": [...], "model": {"id", "step"}} in row order
//   GET  /healthz (alive), /readyz (a model is loaded and the server is not closing), /v1/model, /metrics
//   POST /admin/reload [{"path": F}]   only with --admin-token (else 404); "Authorization: Bearer T" (else 403)
// Every error is {"error": "..."}: no such route 404, and predictRoute's (400, 413, 415, 503).
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { log } from '../util/log';
import type { ServeContext } from './context';
import { HttpError, notJsonMessage } from './httpError';
import { isPredictRequest, predictRoute } from './predictRoute';

/** Compares two tokens in constant time (of their digests). */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/** The message of a fastify or route error, for {"error": ...}. */
function errorMessage(err: FastifyError, contentType: string | undefined): string {
  if (err.validation) return `request ${err.message}`;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return notJsonMessage(contentType);
  return err.message;
}

export function buildApp(ctx: ServeContext): FastifyInstance {
  const { slot, metrics, limits } = ctx;
  const predict = predictRoute(ctx);
  const app = Fastify({
    serverFactory: (handler) =>
      http.createServer((req, res) => (isPredictRequest(req) ? predict(req, res) : handler(req, res))),
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
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
    metrics.request(
      req.method,
      req.url,
      req.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
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
