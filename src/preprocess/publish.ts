// The end of every preprocessing run, Criteo preset or custom schema: the manifest's fixed fields, the merged
// file built from the day shards in the hidden work folder, and the work folder moved into place as F.parts/
// with manifest.json, so a final name never holds partial output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FORMAT_VERSION, type Manifest } from '../dataset/manifest';
import { buildMergedFile } from '../dataset/mergedFile';
import type { OneHotRows } from '../dataset/memoryShuffle';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

/** The manifest's provenance fields; SOURCE_DATE_EPOCH (seconds) fixes createdAt for reproducible bytes. */
export function manifestStamp(fallbackCreatedAt: string): Pick<Manifest, 'formatVersion' | 'createdBy' | 'createdAt'> {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    createdBy: `dlrm ${pkg.version}`,
    createdAt: epoch ? new Date(Number(epoch) * 1000).toISOString() : fallbackCreatedAt,
  };
}

/**
 * Builds the merged file from the manifest's day shards in `workDir`: all days but the last are training
 * days (`shuffleMemoryBytes`: the in-memory shuffle's budget; `heldRows`: every day's rows already in memory, see
 * MergedFileOptions).
 */
export function buildMergedFromShards(
  manifest: Manifest,
  workDir: string,
  mergedFile: string,
  shuffleMemoryBytes?: number,
  heldRows?: OneHotRows,
): Promise<void> {
  return buildMergedFile({
    dayFiles: manifest.days.map((d) => path.join(workDir, d.shard)),
    trainDays: manifest.days.length - 1,
    testRows: manifest.splits.test.end - manifest.splits.test.start,
    randomize: manifest.options.dataRandomize,
    seed: manifest.options.seed,
    outPath: mergedFile,
    metadata: manifest,
    ...(shuffleMemoryBytes === undefined ? {} : { shuffleMemoryBytes }),
    ...(heldRows ? { heldRows } : {}),
  });
}

/** Writes manifest.json into the work folder and renames the folder to `partsDir` (replacing an older one). */
export function movePartsIntoPlace(manifest: Manifest, workDir: string, partsDir: string): void {
  fs.writeFileSync(path.join(workDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.rmSync(partsDir, { recursive: true, force: true });
  fs.renameSync(workDir, partsDir);
}
