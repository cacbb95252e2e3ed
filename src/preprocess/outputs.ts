// Where a preprocessing run writes (the merged file F, its parts folder F.parts/, the hidden work folder
// .F.parts.partial/) and how it claims them before writing: outputs that would overwrite an input are
// refused, the merged file's lock is taken, temporaries of killed runs are removed and the inputs are
// marked as being read (src/util/paths.ts,
// src/util/lock.ts). Writers of raw files (dlrm generate) ask refuseRawInputInUse whether a dataset is
// being, or was, made from the file they would replace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemps } from '../util/atomic';
import { UserError } from '../util/errors';
import { acquireLock, markReading, readersOf } from '../util/lock';
import { refuseUnsafeOutputs, sameFile, type NamedPath } from '../util/paths';

/** The default merged-file path of a Criteo run: the raw path without '.gz' then '.txt', plus '.dlrm'. */
export function defaultProcessedPath(raw: string): string {
  return raw.replace(/\.gz$/, '').replace(/\.txt$/, '') + '.dlrm';
}

/** The default merged-file path of a custom-schema run: without '.gz' then '.txt', '.csv' or '.tsv', plus '.dlrm'. */
export function defaultCustomProcessedPath(raw: string): string {
  return raw.replace(/\.gz$/, '').replace(/\.(txt|csv|tsv)$/, '') + '.dlrm';
}

export interface OutputPaths {
  mergedFile: string;
  partsDir: string;
  workDir: string;
}

/** Where the outputs go: the merged file, its parts folder beside it, and the hidden work folder. */
export function outputPaths(cfg: { rawDataFile: string; processedDataFile?: string }): OutputPaths {
  const mergedFile = path.resolve(cfg.processedDataFile ?? defaultProcessedPath(cfg.rawDataFile));
  return {
    mergedFile,
    partsDir: `${mergedFile}.parts`,
    workDir: path.join(path.dirname(mergedFile), `.${path.basename(mergedFile)}.parts.partial`),
  };
}

/**
 * Claims a run's outputs before anything is written: refuses a merged file that is an input (or a parts
 * folder holding one, or outputs inside another dataset's parts folder) and takes the exclusive lock of
 * the merged file, which also guards its parts and work folders (a second run, or a --resume while the
 * first runs, is refused); removes the merged file's temporaries left by killed runs. Creates the merged
 * file's folder. Returns the release of the lock and of the inputs' reading markers.
 */
export function claimOutputs(out: OutputPaths, inputs: string[], extraInputs: NamedPath[] = []): () => void {
  refuseUnsafeOutputs({
    files: [{ flag: '--processed-data-file', path: out.mergedFile }],
    folders: [
      { flag: '--processed-data-file', path: out.partsDir },
      { flag: '--processed-data-file', path: out.workDir },
    ],
    inputs: [...inputs.map((f) => ({ flag: '--raw-data-file', path: f })), ...extraInputs],
  });
  fs.mkdirSync(path.dirname(out.mergedFile), { recursive: true });
  const release = acquireLock(out.mergedFile);
  removeStaleTemps(out.mergedFile);
  const unmark = markReading(inputs);
  return () => {
    unmark();
    release();
  };
}

/**
 * Refuses (naming `flag`) to replace `file` when a running preprocess reads it (its reading marker), or
 * the manifest of the dataset at its default merged-file path records it as its raw input (replacing it
 * would leave that dataset without its source).
 */
export function refuseRawInputInUse(flag: string, file: string): void {
  if (!fs.existsSync(file)) return;
  const [reader] = readersOf(file);
  if (reader !== undefined)
    throw new UserError(
      `${flag} ${file}: another dlrm (pid ${reader}) is reading it; wait for it to end or choose another path`,
    );
  for (const merged of new Set([defaultProcessedPath(file), defaultCustomProcessedPath(file)])) {
    const manifestFile = outputPaths({ rawDataFile: file, processedDataFile: merged }).partsDir + '/manifest.json';
    let sources: { path?: unknown }[];
    try {
      sources = (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { sources?: { path?: unknown }[] }).sources ?? [];
    } catch {
      continue; // no dataset made from it (or an unreadable manifest, which is not this command's business)
    }
    if (sources.some((s) => typeof s.path === 'string' && fs.existsSync(s.path) && sameFile(s.path, file))) {
      throw new UserError(
        `${flag} ${file}: is the raw input of the processed dataset ${merged} (recorded in ${manifestFile}); replacing it would leave that dataset without its source. Choose another path, or delete ${merged} and its parts folder first`,
      );
    }
  }
}
