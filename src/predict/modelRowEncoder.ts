// Raw rows -> model inputs: the one path by which `dlrm predict` (blocks of an input file) and `dlrm serve`
// (the rows of requests) turn raw text lines into engine batches. The manifest's RawRowEncoder (its schema's
// parserFor parser, then the saved vocabularies: unseen -> the table's oovIndex),
// then the training run's --max-ind-range folding and, for data without dense features, the constant dense
// input. Shapes: the batches have the model's dense width and table sizes (checked once, at opening).
import { constantDenseBatch } from '../dataset/constantDense';
import { batchFolder, foldedTableSizes } from '../dataset/foldIndices';
import { RawRowEncoder } from './rawRowEncoder';
import { checkModelFitsData, type InferenceModel } from './inferenceModel';
import type { ManifestLocation } from './manifestLocation';
import type { RowEncoder } from './rowEncoder';
import { VocabularyLookup } from './vocabularyLookup';

/**
 * The encoder from raw lines of the manifest at `where` to inputs of `model` (folded by its training run's
 * --max-ind-range, constant dense input when the data has no dense features). Refuses (UserError) a manifest
 * whose tables or dense width do not fit the model.
 */
export function openRowEncoder(where: ManifestLocation, model: InferenceModel, hasLabel: boolean): RowEncoder {
  const raw = new RawRowEncoder(where.manifest, VocabularyLookup.load(where.manifest, where.dir), hasLabel);
  const fold = batchFolder(raw.tableSizes, model.maxIndRange);
  const constantDense = raw.numDense === 0;
  const encoder: RowEncoder = {
    hasLabel,
    numDense: constantDense ? 1 : raw.numDense,
    tableSizes: foldedTableSizes(raw.tableSizes, model.maxIndRange),
    encode(bytes, start, end, firstLineNo) {
      const rows = raw.encode(bytes, start, end, firstLineNo);
      const batch = fold ? fold(rows.batch) : rows.batch;
      return { batch: constantDense ? constantDenseBatch(batch) : batch, lines: rows.lines };
    },
  };
  checkModelFitsData(model, encoder, `the vocabularies of ${where.source}`);
  return encoder;
}
