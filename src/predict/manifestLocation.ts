// Where `dlrm predict` finds the manifest and vocabularies that turn raw rows into model inputs:
//   --manifest M             the manifest.json that preprocess writes into <merged>.parts/ (vocabularies beside it);
//   --processed-data-file F  the merged file: its embedded manifest, vocabularies in F.parts/ (a warning when
//                            the file the checkpoint says the model was trained on exists and is another one);
//                            or a parts folder F.parts/: its manifest.json;
//   neither                  the processed file the checkpoint's training run read (recorded in the checkpoint).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../dataset/manifest';
import { ProcessedFileReader } from '../dataset/processedFile';
import { outputPaths } from '../preprocess/outputs';
import { UserError } from '../util/errors';
import { readJsonFile } from '../util/jsonFile';
import { log } from '../util/log';
import { sameFile } from '../util/paths';
import type { InferenceModel } from './inferenceModel';

export interface ManifestLocation {
  manifest: Manifest;
  /** The folder the manifest's vocabFile paths are relative to. */
  dir: string;
  /** What the manifest was read from, for messages. */
  source: string;
}

/** Refuses metadata that is not a preprocess manifest with tables, schema and options. */
function checkManifest(m: unknown, source: string): Manifest {
  const x = m as Partial<Manifest> | null;
  if (
    x === null ||
    typeof x !== 'object' ||
    !Array.isArray(x.tables) ||
    typeof x.schema !== 'object' ||
    typeof x.options !== 'object' ||
    x.schema === null ||
    x.options === null
  ) {
    throw new UserError(
      `${source}: holds no preprocess manifest (tables, schema, options); pass the merged file written by dlrm preprocess`,
    );
  }
  return x as Manifest;
}

function fromMergedFile(file: string): ManifestLocation {
  // a parts folder (a dataset written with --no-merged-file, or trained on from its parts): its manifest.json
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return fromManifestFile(path.join(file, 'manifest.json'));
  const reader = ProcessedFileReader.open(file);
  try {
    return {
      manifest: checkManifest(reader.metadata, file),
      dir: outputPaths({ rawDataFile: file, processedDataFile: file }).partsDir,
      source: file,
    };
  } finally {
    reader.close();
  }
}

function fromManifestFile(file: string): ManifestLocation {
  return {
    manifest: checkManifest(readJsonFile(file, '--manifest'), file),
    dir: path.dirname(path.resolve(file)),
    source: file,
  };
}

/** The manifest named by the flags, else the one of the processed file the model was trained on. */
export function locateManifest(
  flags: { processedDataFile?: string; manifest?: string },
  model: InferenceModel,
): ManifestLocation {
  if (flags.manifest !== undefined && flags.processedDataFile !== undefined)
    throw new UserError('--manifest and --processed-data-file: give one of them, not both');
  if (flags.manifest !== undefined) return fromManifestFile(flags.manifest);
  if (flags.processedDataFile !== undefined) {
    if (
      model.processedDataFile !== null &&
      fs.existsSync(model.processedDataFile) &&
      !sameFile(model.processedDataFile, flags.processedDataFile)
    ) {
      log().warn(
        { model: model.file, trainedOn: model.processedDataFile, vocabularies: flags.processedDataFile },
        'the vocabularies are not those of the processed file the model was trained on; its indices may mean other categories',
      );
    }
    return fromMergedFile(flags.processedDataFile);
  }
  const recorded = model.processedDataFile;
  if (recorded === null) {
    throw new UserError(
      `--load-model ${model.file} was not trained on a processed file (random/synthetic data), so it has no vocabularies to map raw rows with`,
    );
  }
  if (!fs.existsSync(recorded)) {
    throw new UserError(
      `--load-model ${model.file} was trained on ${recorded}, which is not found from here; pass --processed-data-file (the merged file) or --manifest (its manifest.json)`,
    );
  }
  return fromMergedFile(recorded);
}
