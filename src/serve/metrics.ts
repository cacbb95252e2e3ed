// The Prometheus metrics of `dlrm serve` (GET /metrics, text format via prom-client), in a registry of their
// own (several servers in one process, as in tests, do not collide): requests by route and status, request
// latency (and a debug log line per request), engine batch size in rows, rows scored, the served model's step, reloads by result, and the
// process metrics prom-client collects. Also the counts behind the once-a-minute summary log line. With serve
// --workers the primary sums the workers' registries (the model step: their largest).
import * as client from 'prom-client';
import { log } from '../util/log';

const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Counts since the last summary line. */
export interface ServeSummary {
  requests: number;
  errors: number;
  rows: number;
  batches: number;
}

export class ServeMetrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: 'dlrm_serve_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: 'dlrm_serve_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchRows = new client.Histogram({
    name: 'dlrm_serve_batch_rows',
    help: 'rows per engine batch (the micro-batches)',
    buckets: ROW_BUCKETS,
    registers: [this.registry],
  });
  private readonly rowsScored = new client.Counter({
    name: 'dlrm_serve_rows_scored_total',
    help: 'rows scored',
    registers: [this.registry],
  });
  private readonly modelStep = new client.Gauge({
    name: 'dlrm_serve_model_step',
    help: 'optimizer step of the served checkpoint',
    aggregator: 'max',
    registers: [this.registry],
  });
  private readonly reloads = new client.Counter({
    name: 'dlrm_serve_reloads_total',
    help: 'model reloads by result (ok, refused)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** The label children of each route and status seen (looked up once, not per request). */
  private readonly series = new Map<
    string,
    { count: client.Counter.Internal; latency: client.Histogram.Internal<'route'> }
  >();
  private summary: ServeSummary = { requests: 0, errors: 0, rows: 0, batches: 0 };

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one answered request (`route`: its route's pattern) and logs it at debug. */
  request(method: string | undefined, url: string | undefined, route: string, status: number, seconds: number): void {
    if (log().isLevelEnabled('debug'))
      log().debug({ method, url, status, ms: Math.round(seconds * 1e6) / 1000 }, 'request');
    const key = `${route} ${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { count: this.requests.labels(route, String(status)), latency: this.latency.labels(route) };
      this.series.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
    this.summary.requests++;
    if (status >= 400) this.summary.errors++;
  }

  batch(rows: number): void {
    this.batchRows.observe(rows);
    this.rowsScored.inc(rows);
    this.summary.rows += rows;
    this.summary.batches++;
  }

  model(step: number): void {
    this.modelStep.set(step);
  }

  reload(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'ok' : 'refused' });
  }

  /** The counts since the previous call. */
  takeSummary(): ServeSummary {
    const s = this.summary;
    this.summary = { requests: 0, errors: 0, rows: 0, batches: 0 };
    return s;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
