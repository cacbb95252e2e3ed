// The one place that writes output files: everything goes to a temporary name beside the final one and
// is renamed into place only when complete, so a crash or a bad input never leaves a half-written file
// under a final name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from './errors';

/**
 * Refuses, as a UserError naming `flag`, an output path that cannot be written atomically: its folder
 * is missing or it names an existing folder.
 */
export function checkOutputFile(flag: string, finalPath: string): void {
  const dir = path.dirname(path.resolve(finalPath));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${flag}: folder ${dir} does not exist`);
  if (fs.existsSync(finalPath) && fs.statSync(finalPath).isDirectory()) throw new UserError(`${flag}: ${finalPath} is a folder, not a file`);
}

/** The temporary name used while `finalPath` is being written. */
export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.tmp-${process.pid}`);
}

/** Writes `data` to `finalPath` atomically (temporary file, fsync, rename). */
export function writeFileAtomic(finalPath: string, data: string | NodeJS.ArrayBufferView): void {
  const tmp = tempPathFor(finalPath);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, finalPath);
}

/**
 * A file being written under a temporary name: append with `write`, then `commit()` renames it to its
 * final name, or `abort()` removes it.
 */
export class AtomicFile {
  readonly tmpPath: string;
  private fd: number;
  private position = 0;

  constructor(readonly finalPath: string) {
    this.tmpPath = tempPathFor(finalPath);
    this.fd = fs.openSync(this.tmpPath, 'w');
  }

  /** Bytes written so far. */
  get size(): number {
    return this.position;
  }

  write(data: NodeJS.ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.position + done);
    this.position += bytes.length;
  }

  /** Writes `data` at an absolute offset already reserved (e.g. a header filled in at the end). */
  writeAt(offset: number, data: NodeJS.ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, offset + done);
  }

  commit(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmpPath, this.finalPath);
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmpPath, { force: true });
  }
}
