// `dlrm serve`: online scoring over HTTP (docs/SERVING.md). Parses the flags and runs the server until
// SIGTERM/SIGINT; the logic is in src/serve/.
import { Command } from 'commander';
import { intOption } from '../util/options';
import { addEngineOptions, type EngineFlags } from './eval';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface ServeCliOptions extends CommonOptions, EngineFlags {
  loadModel: string;
  host: string;
  port: number;
  maxBatchDelayMs: number;
  maxBatchRows: number;
  maxBodyBytes: number;
  workers: number;
  adminToken?: string;
  processedDataFile?: string;
  manifest?: string;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description(
      'score rows over HTTP: POST /v1/predict {"rows": [...]} with micro-batching, /healthz, /readyz, /v1/model, /metrics, hot reload',
    )
    .requiredOption('--load-model <path>', 'the checkpoint (from dlrm train --save-model)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port, logged)', intOption(0, 65535), 8080)
    .option(
      '--max-batch-delay-ms <ms>',
      'longest a request waits for others to share its engine batch',
      intOption(0, 10_000),
      1,
    )
    .option(
      '--max-batch-rows <n>',
      'rows per engine batch at which it is sent at once; also the most rows one request may hold',
      intOption(1, 1 << 20),
      4096,
    )
    .option('--max-body-bytes <n>', 'largest request body (413 beyond)', intOption(1024, 1 << 30), 16 << 20)
    .option(
      '--workers <n>',
      'server processes, each with its own copy of the model, sharing the port (more requests/s on more cores)',
      intOption(1, 64),
      1,
    )
    .option('--admin-token <token>', 'enables POST /admin/reload for requests with "Authorization: Bearer <token>"')
    .option(
      '--processed-data-file <path>',
      'the merged processed file whose vocabularies map categories (default: the one the model was trained on)',
    )
    .option('--manifest <path>', 'or: the manifest.json of the preprocessed data (vocabularies beside it)');
  addCommonOptions(addEngineOptions(cmd)).action(
    runAction(async (o: ServeCliOptions) => {
      // loads fastify and the engines only when serving
      const { runServe } = await import('../serve/server');
      const { isServeWorker, runServePrimary, runServeWorker } = await import('../serve/cluster');
      if (o.workers > 1 && !isServeWorker()) return runServePrimary(o.workers);
      await (isServeWorker() ? runServeWorker : runServe)({
        loadModel: o.loadModel,
        host: o.host,
        port: o.port,
        maxBatchDelayMs: o.maxBatchDelayMs,
        maxBatchRows: o.maxBatchRows,
        maxBodyBytes: o.maxBodyBytes,
        adminToken: o.adminToken,
        processedDataFile: o.processedDataFile,
        manifest: o.manifest,
        engine: o.engine,
        backend: o.backend,
      });
    }),
  );
}
