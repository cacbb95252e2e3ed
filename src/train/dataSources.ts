// The training and evaluation data of a run, from --data-generation:
//   dataset:   the train split of --processed-data-file (a merged file, or a parts folder read as
//              src/dataset/partsSource.ts says) and its test (or --test-split val) split (table sizes
//              from its manifest);
//   synthetic: Criteo-shaped rows with a planted click signal, train rows [0, N) and a held-out block of
//              rows [N, N + heldOutRows(N)) from the same planted model (N = --data-size);
//   random:    the reference's uniform random data, same layout (nothing to learn).
// --max-ind-range folds every source's indices; data without dense features gets one constant dense
// input (src/dataset/constantDense.ts). The DataState records what a checkpoint needs to check
// that a resumed run continues on the same data.
import type { SplitName } from '../dataset/manifest';
import { withConstantDense } from '../dataset/constantDense';
import { openDatasetSplit } from '../dataset/partsSource';
import { randomSource } from '../dataset/randomSource';
import type { BatchSource } from '../dataset/source';
import { syntheticSource } from '../dataset/syntheticSource';
import type { DataGeneration, TrainConfig } from './config';
import { UserError } from '../util/errors';
import { foldIndices } from '../dataset/foldIndices';

/** Held-out rows for random/synthetic data of `dataSize` training rows: a quarter, at most 1M. */
export function heldOutRows(dataSize: number): number {
  return Math.min(1_000_000, Math.ceil(dataSize / 4));
}

/** What identifies the data stream (stored in checkpoints, compared on resume). */
export interface DataState {
  generation: DataGeneration;
  /** The processed file (dataset) or null. */
  processedDataFile: string | null;
  /** Seed of random/synthetic rows (null for a dataset). */
  seed: number | null;
  trainRows: number;
  maxIndRange: number;
  /** synthetic multi-hot bag sizes (absent for one-hot data and in older checkpoints). */
  multiHotSizes?: number[];
}

export interface TrainData {
  train: BatchSource;
  test: BatchSource;
  /** Name of the evaluation set in metrics lines: 'test' or 'val' (dataset split) or 'heldout' (generated block). */
  testSplit: SplitName | 'heldout';
  state: DataState;
  /** Checks the whole processed file (checksums and values) before training starts; nothing to check for generated data. */
  checkAll(): Promise<void>;
  close(): void;
}

/** Opens (or creates) the run's train and evaluation sources. */
export function openTrainData(c: TrainConfig): TrainData {
  const generation = c.dataGeneration ?? 'random';
  let train: BatchSource;
  let test: BatchSource;
  let close = () => {};
  let checkAll = async (): Promise<void> => {};
  if (generation === 'dataset') {
    const file = c.processedDataFile as string;
    const trainSplit = openDatasetSplit(file, 'train', {
      verify: c.verify,
      shuffleMemoryBytes: c.shuffleMemoryMb * 1024 * 1024,
    });
    let testSplit;
    try {
      testSplit = openDatasetSplit(file, c.testSplit, { verify: c.verify });
      if (testSplit.rows === 0) {
        testSplit.close();
        throw new UserError(
          `${file}: its ${c.testSplit} split is empty: nothing to evaluate on (try --test-split ${c.testSplit === 'test' ? 'val' : 'test'})`,
        );
      }
    } catch (err) {
      trainSplit.close();
      throw err;
    }
    train = trainSplit;
    test = testSplit;
    checkAll = () => trainSplit.checkAllGroups();
    close = () => {
      trainSplit.close();
      testSplit.close();
    };
  } else {
    const base = { tableSizes: c.archEmbeddingSize, seed: c.seed, rows: c.dataSize };
    const heldOut = { ...base, rows: heldOutRows(c.dataSize), firstRow: c.dataSize };
    if (generation === 'synthetic') {
      train = syntheticSource({ ...base, multiHotSizes: c.multiHotSizes });
      test = syntheticSource({ ...heldOut, multiHotSizes: c.multiHotSizes });
    } else {
      const lookups = {
        numDense: c.archMlpBot[0],
        numIndicesPerLookup: c.numIndicesPerLookup,
        numIndicesPerLookupFixed: c.numIndicesPerLookupFixed,
      };
      train = randomSource({ ...base, ...lookups });
      test = randomSource({ ...heldOut, ...lookups });
    }
  }
  return {
    train: withConstantDense(foldIndices(train, c.maxIndRange)),
    test: withConstantDense(foldIndices(test, c.maxIndRange)),
    testSplit: generation === 'dataset' ? c.testSplit : 'heldout',
    state: {
      generation,
      processedDataFile: c.processedDataFile,
      seed: generation === 'dataset' ? null : c.seed,
      trainRows: train.rows,
      maxIndRange: c.maxIndRange,
      ...(c.multiHotSizes.length > 0 ? { multiHotSizes: c.multiHotSizes } : {}),
    },
    checkAll,
    close,
  };
}
