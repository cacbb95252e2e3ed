// Loads the column-schema presets shipped in configs/ (Criteo Kaggle and Terabyte: label, I1..I13 dense
// log1p, C1..C26 hex categorical, TAB-delimited, no header) so the raw parser is driven by a schema, not by
// hard-coded Criteo positions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ColumnSchema } from '../rawformat/schema';
import { validateSchema } from '../rawformat/loadSchema';
import { readJsonFile } from '../util/jsonFile';

export type SchemaPreset = 'kaggle' | 'terabyte';

/** The repository's configs/ folder, found from this (compiled or source) file's location. */
function configsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'configs');
    if (fs.existsSync(path.join(candidate, 'kaggle.schema.json'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`configs/kaggle.schema.json not found above ${__dirname}`);
    dir = up;
  }
}

/** The column schema of a Criteo preset, read from configs/<preset>.schema.json. */
export function loadSchemaPreset(preset: SchemaPreset): ColumnSchema {
  const file = path.join(configsDir(), `${preset}.schema.json`);
  return validateSchema(readJsonFile(file), file);
}
