// One checkpoint loaded for serving: the inference model, its engine, the RowEncoder of its vocabularies (the
// one `dlrm predict` uses), the translation of request rows to raw lines, and what GET /v1/model reports
// (architecture, data schema, the checkpoint's training progress and best evaluation, its sha256). Its id is
// the first 16 hex digits of the checkpoint's sha256 (two loads of the same bytes are the same model).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Batch } from '../dataset/batch';
import type { EngineOptions } from '../engine/createEngine';
import type { Engine } from '../engine/engine';
import { createInferenceEngine, loadInferenceModelYielding } from '../predict/inferenceModel';
import { locateManifest } from '../predict/manifestLocation';
import { openRowEncoder } from '../predict/modelRowEncoder';
import type { RowEncoder } from '../predict/rowEncoder';
import { RequestRows } from './requestRows';

/** Where the vocabularies are found (as for dlrm predict); both undefined: the checkpoint's training data. */
export interface VocabularyFlags {
  processedDataFile?: string;
  manifest?: string;
}

export interface ServedModel {
  id: string;
  /** The optimizer step the checkpoint was saved at. */
  step: number;
  sha256: string;
  file: string;
  loadedAt: string;
  engine: Engine;
  encoder: RowEncoder;
  rows: RequestRows;
  /** The body of GET /v1/model. */
  describe(): Record<string, unknown>;
  /** Probabilities for a batch of the encoder's output. */
  predict(batch: Batch): Promise<Float32Array>;
  /** The lines of some requests (RequestRows blocks, in order) as one batch; throws BadRowError (numbered within the block when there is one). */
  encodeBlocks(blocks: readonly RequestBlock[]): Batch;
}

/** What a reload did (the body of POST /admin/reload's answer; plain data, so it crosses processes). */
export interface ReloadOutcome {
  model: { id: string; step: number; sha256: string; file: string };
  previous: { id: string; step: number };
}

/** The rows of one request as a block of raw lines (RequestRows.toBlock) and their count. */
export interface RequestBlock {
  readonly size: number;
  readonly block: Buffer;
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 22 }), hash);
  return hash.digest('hex');
}

/** Loads `file` for serving; a UserError when it is not a usable checkpoint or its vocabularies do not fit. */
export async function loadServedModel(
  file: string,
  engineOptions: EngineOptions,
  vocabularies: VocabularyFlags,
): Promise<ServedModel> {
  const model = await loadInferenceModelYielding(file);
  const where = locateManifest(vocabularies, model);
  const encoder = openRowEncoder(where, model, where.manifest.schema.label !== undefined);
  const sha256 = await sha256File(file);
  const engine = await createInferenceEngine(model, engineOptions);
  const { header } = model;
  const served: ServedModel = {
    id: sha256.slice(0, 16),
    step: header.progress.globalStep,
    sha256,
    file,
    loadedAt: new Date().toISOString(),
    engine,
    encoder,
    rows: new RequestRows(where.manifest.schema),
    predict: (batch) => engine.predict(batch),
    encodeBlocks: (blocks) => {
      const block = blocks.length === 1 ? blocks[0].block : Buffer.concat(blocks.map((b) => b.block));
      let rows = 0;
      for (const b of blocks) rows += b.size;
      const { batch } = encoder.encode(block, 0, block.length, 1);
      if (batch.size !== rows) throw new Error(`${rows} rows were encoded as ${batch.size}`);
      return batch;
    },
    describe: () => ({
      id: served.id,
      step: served.step,
      sha256,
      file,
      loadedAt: served.loadedAt,
      engine: engine.name,
      architecture: header.arch,
      dataSchema: where.manifest.schema,
      vocabularies: {
        source: where.source,
        tables: where.manifest.tables.map((t) => ({ name: t.name, rows: t.count, oovIndex: t.oovIndex })),
      },
      maxIndRange: model.maxIndRange,
      training: {
        createdAt: header.createdAt,
        createdBy: header.createdBy,
        trainedWith: header.engine,
        optimizer: header.optimizer,
        progress: header.progress,
        best: header.best ?? null,
        processedDataFile: model.processedDataFile,
      },
    }),
  };
  return served;
}
