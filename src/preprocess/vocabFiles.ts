// The vocabulary files of a run's work folder (vocab/<table>.u32 or .u64: each table's keys in index
// order, uint32 words, 64-bit keys as lo then hi word), for every schema. A run opens them truncated to its
// checkpoint's sizes (a crash may have appended more), reads them back to restore the vocabularies on
// --resume, and appends each completed day's new keys, fdatasynced off the main thread, before the day's
// checkpoint is written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ColumnSchema } from '../rawformat/schema';
import { UserError } from '../util/errors';

export const VOCAB_DIR = 'vocab';

/** A file-system-safe vocabulary file name per table (unique within the schema), by its key width. */
export function vocabFileNames(schema: ColumnSchema, keyBits: readonly (32 | 64)[]): string[] {
  const used = new Set<string>();
  return schema.categorical.map((c, t) => {
    let base = c.name.replace(/[^A-Za-z0-9._-]/g, '_');
    if (used.has(base)) base = `${base}_${t}`;
    used.add(base);
    return `${VOCAB_DIR}/${base}.${keyBits[t] === 64 ? 'u64' : 'u32'}`;
  });
}

/** Writes `values` at byte `position` of `fd` and fdatasyncs it, off the main thread (libuv pool). */
function writeAndSync(fd: number, values: Uint32Array, position: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fs.write(fd, values, 0, values.byteLength, position, (err, written) => {
      if (err) return reject(err);
      if (written !== values.byteLength)
        return reject(new Error(`short write to a vocabulary file (${written} of ${values.byteLength} bytes)`));
      fs.fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve()));
    });
  });
}

export class VocabFiles {
  private readonly fds: number[];
  private readonly words: number[];

  /**
   * Opens `files` (relative to workDir) holding `sizes[t]` keys of `keyBits[t]` bits each, truncated to
   * them; refuses files shorter than the checkpoint says.
   */
  constructor(
    workDir: string,
    files: string[],
    keyBits: readonly (32 | 64)[],
    readonly sizes: number[],
  ) {
    fs.mkdirSync(path.join(workDir, VOCAB_DIR), { recursive: true });
    this.words = keyBits.map((b) => b / 32);
    this.fds = [];
    try {
      files.forEach((name, t) => {
        const file = path.join(workDir, name);
        const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
        this.fds.push(fd);
        const want = sizes[t] * 4 * this.words[t];
        if (fs.fstatSync(fd).size < want)
          throw new UserError(
            `--resume: ${file} is shorter than the checkpoint's ${sizes[t]} values; delete ${workDir} and start again`,
          );
        fs.ftruncateSync(fd, want);
      });
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Each table's checkpointed keys in the file layout (to restore its vocabulary). */
  read(): Uint32Array[] {
    return this.fds.map((fd, t) => {
      const keys = new Uint32Array(this.sizes[t] * this.words[t]);
      if (keys.length > 0) fs.readSync(fd, keys, 0, keys.byteLength, 0);
      return keys;
    });
  }

  /** Appends each table's new keys (file layout) after its current ones; `sizes` grows at once, the writes settle later. */
  append(fresh: Uint32Array[]): Promise<void>[] {
    const writes: Promise<void>[] = [];
    fresh.forEach((keys, t) => {
      if (keys.length === 0) return;
      writes.push(writeAndSync(this.fds[t], keys, this.sizes[t] * 4 * this.words[t]));
      this.sizes[t] += keys.length / this.words[t];
    });
    return writes;
  }

  close(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}
