// A PreprocessConfig for callers of runPreprocess other than the CLI (tests, benchmark scripts): the CLI's
// defaults (Kaggle preset, no folding, no sub-sampling, total randomization, seed 0, 2 workers, no resume),
// with the fields the caller changes.
import type { PreprocessConfig } from './pipeline';

export function preprocessConfig(
  rawDataFile: string,
  processedDataFile: string,
  over: Partial<PreprocessConfig> = {},
): PreprocessConfig {
  return {
    rawDataFile,
    processedDataFile,
    dataSet: 'kaggle',
    maxIndRange: -1,
    dataSubSampleRate: 0,
    dataRandomize: 'total',
    minFrequency: 0,
    seed: 0,
    skipInvalidLines: false,
    resume: false,
    workers: 2,
    ...over,
  };
}
