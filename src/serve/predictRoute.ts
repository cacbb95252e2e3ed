// POST /v1/predict, the hot route of `dlrm serve`, on node:http directly: fastify (src/serve/app.ts) serves
// every other route, and its server hands this one the requests for /v1/predict (serverFactory). Fastify's
// request lifecycle (hooks, schema validation, serialization) cost more CPU per 1-row request than our whole
// route does besides the model (docs/SERVING.md, "Benchmark"), so this route does the few steps it needs itself:
//   body {"rows": [row, ...]} (a row: a raw line or an object of columns, src/serve/requestRows.ts)
//   -> 200 {"probabilities": [p, ...], "model": {"id", "step"}}, one float32 per row in row order
// and the same errors as every route, {"error": "..."}: 415 a body that is not JSON by its content-type, 413
// a body over --max-body-bytes or more rows than --max-batch-rows, 400 malformed JSON, a body that is not
// {"rows": [string|object, ...]} (named as JSON-schema validation names it: `request body/rows/0 must be
// string,object`) or a bad row (rows[i] and the field), 503 once shutdown has begun (that connection then closes).
// A request holds one model from its encoding to its scores (ModelSlot), so a reload never mixes two models.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRowError } from '../predict/rowEncoder';
import { fieldText } from '../util/errors';
import { float32Text } from '../util/float32Text';
import { log } from '../util/log';
import { HttpError, notJsonMessage } from './httpError';
import { RequestRowError } from './requestRows';
import type { ServeContext } from './context';

export const PREDICT_PATH = '/v1/predict';

/** True for the requests this route answers (any query string is ignored, as fastify's routes do). */
export function isPredictRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'POST' && (url === PREDICT_PATH || url.startsWith(`${PREDICT_PATH}?`));
}

/** The rows of a parsed body, or an HttpError(400) naming what is wrong as JSON-schema validation would. */
function bodyRows(body: unknown): unknown[] {
  const refuse = (what: string) => new HttpError(400, `request body${what}`);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw refuse(' must be object');
  const keys = Object.keys(body);
  if (!keys.includes('rows')) throw refuse(" must have required property 'rows'");
  if (keys.length > 1) throw refuse(' must NOT have additional properties');
  const rows = (body as { rows: unknown }).rows;
  if (!Array.isArray(rows)) throw refuse('/rows must be array');
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (typeof row !== 'string' && (row === null || typeof row !== 'object' || Array.isArray(row)))
      throw refuse(`/rows/${i} must be string,object`);
  }
  return rows;
}

/** Reads the body of `req` (at most `limit` bytes; an HttpError(413) beyond). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `request body is too large: at most ${limit} bytes (--max-body-bytes)`);
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)));
    req.on('error', reject);
  });
}

/** {"probabilities": [...], "model": {...}}: each score as the shortest decimal that reads back as its float32. */
function answerText(scores: Float32Array, id: string, step: number): string {
  let out = '{"probabilities":[';
  for (let i = 0; i < scores.length; i++) {
    const x = scores[i];
    out += (i === 0 ? '' : ',') + (Number.isFinite(x) ? float32Text(x) : 'null');
  }
  return `${out}],"model":{"id":${JSON.stringify(id)},"step":${step}}}`;
}

/** The handler of POST /v1/predict for `http.createServer`. */
export function predictRoute(ctx: ServeContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { slot, batcher, limits, metrics } = ctx;

  const send = (req: IncomingMessage, res: ServerResponse, started: number, status: number, body: string) => {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    };
    // a refused body may be unread: that connection is not reused; nor any once shutdown has begun
    if (status === 413 || ctx.closing()) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
    metrics.request(req.method, req.url, PREDICT_PATH, status, (performance.now() - started) / 1000);
  };

  const score = async (req: IncomingMessage): Promise<string> => {
    const type = req.headers['content-type'];
    if (type?.split(';', 1)[0].trim().toLowerCase() !== 'application/json')
      throw new HttpError(415, notJsonMessage(type));
    const bytes = await readBody(req, limits.maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
    }
    const rows = bodyRows(body);
    if (rows.length > limits.maxBatchRows)
      throw new HttpError(413, `${rows.length} rows in one request; at most ${limits.maxBatchRows} (--max-batch-rows)`);
    const model = slot.acquire();
    try {
      // encoded with the other requests of its micro-batch; alone (with its own row numbers) when one is bad
      const scores =
        rows.length === 0
          ? new Float32Array(0)
          : await batcher.submit(model, { size: rows.length, block: model.rows.toBlock(rows) });
      return answerText(scores, model.id, model.step);
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
  };

  return (req, res) => {
    const started = performance.now();
    if (ctx.closing()) {
      send(req, res, started, 503, JSON.stringify({ error: 'shutting down' }));
      return;
    }
    score(req).then(
      (answer) => send(req, res, started, 200, answer),
      (err: unknown) => {
        if (err instanceof HttpError) {
          send(req, res, started, err.statusCode, JSON.stringify({ error: err.message }));
          return;
        }
        const e = err instanceof Error ? err : new Error(String(err));
        log().error({ method: req.method, url: req.url, err: e.message, stack: e.stack }, 'request failed');
        send(req, res, started, 500, JSON.stringify({ error: `internal error: ${e.message}` }));
      },
    );
  };
}
