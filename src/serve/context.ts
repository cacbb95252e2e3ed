// What the routes of `dlrm serve` share: the model slot, metrics, micro-batcher and limits of one server
// process, and the hooks that reach beyond it (reload, the metrics text, shutdown state).
import type { MicroBatcher } from './microBatcher';
import type { ModelSlot } from './modelSlot';
import type { ServeMetrics } from './metrics';
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
