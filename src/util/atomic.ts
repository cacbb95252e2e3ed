// The one place that writes output files: everything goes to a temporary name beside the final one and
// is renamed into place only when complete, so a crash or a bad input never leaves a half-written file
// under a final name. A temporary file is removed on every error path (and, if the process ends before
// committing it, by an exit cleanup); the temporaries a killed earlier run left beside an output (their pid
// no longer runs) are removed when that output is written again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, withPath } from './errors';
import { atExit } from './exitCleanup';
import { removeDeadPidEntries } from './pid';
import { refuseUnsafeOutputs, type NamedPath } from './paths';

/**
 * Refuses, as a UserError naming `flag`, an output path that cannot be written atomically (its folder
 * is missing or it names an existing folder) or must not be written: one of the run's `inputs`, or inside
 * a processed dataset's parts folder (refuseUnsafeOutputs). Called before any work starts.
 */
export function checkOutputFile(flag: string, finalPath: string, inputs: NamedPath[] = []): void {
  const dir = path.dirname(path.resolve(finalPath));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UserError(`${flag} ${finalPath}: folder ${dir} does not exist`);
  if (fs.existsSync(finalPath) && fs.statSync(finalPath).isDirectory())
    throw new UserError(`${flag} ${finalPath}: is a folder, not a file`);
  refuseUnsafeOutputs({ files: [{ flag, path: finalPath }], inputs });
}

/** The temporary name used while `finalPath` is being written (`pid`: another process's). */
export function tempPathFor(finalPath: string, pid = process.pid): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.tmp-${pid}`);
}

/** Removes the temporary files of `finalPath` that processes no longer running left behind. */
export function removeStaleTemps(finalPath: string): string[] {
  const prefix = path.basename(tempPathFor(finalPath, 0)).slice(0, -1);
  return removeDeadPidEntries(path.dirname(finalPath), [prefix], 'a temporary file');
}

/** Writes `data` to `finalPath` atomically (temporary file, fsync, rename); nothing is left behind on failure. */
export function writeFileAtomic(finalPath: string, data: string | NodeJS.ArrayBufferView): void {
  const file = new AtomicFile(finalPath);
  try {
    file.write(typeof data === 'string' ? Buffer.from(data) : data);
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
}

/** Bytes staged per O_DIRECT write (a multiple of any alignment O_DIRECT asks for). */
const DIRECT_STAGE_BYTES = 8 << 20;
/** The largest alignment O_DIRECT may ask of the memory, the file offset and the length. */
const DIRECT_ALIGN = 4096;

/** The O_DIRECT side of an AtomicFile: a descriptor and an aligned staging buffer. */
interface DirectStage {
  fd: number;
  stage: Uint8Array;
  fill: number;
  /** File position of stage[0]. */
  flushed: number;
}

/** The largest single write call (well under the 2 GiB limit of one fs call). */
const WRITE_PIECE_BYTES = 2 ** 28;

/** Writes all of `bytes` at `position`, any length. */
function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  if (bytes.length === 0) return;
  let done = 0;
  // one write call takes at most WRITE_PIECE_BYTES (fs.writeSync refuses lengths of 2 GiB and more)
  while (done < bytes.length)
    done += fs.writeSync(fd, bytes, done, Math.min(WRITE_PIECE_BYTES, bytes.length - done), position + done);
}

/**
 * Opens `file` (already created) a second time with O_DIRECT, or returns undefined where that is not
 * possible (no O_DIRECT, tmpfs). O_DIRECT needs an aligned memory address and Node never tells addresses,
 * so the aligned place in the staging buffer is found by trying: a write from a misaligned address fails
 * with EINVAL (the probe writes DIRECT_ALIGN zero bytes at offset 0, which the data then overwrites).
 */
function openDirect(file: string): DirectStage | undefined {
  const flag = fs.constants.O_DIRECT;
  if (!flag) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | flag);
  } catch {
    return undefined;
  }
  const raw = new Uint8Array(DIRECT_STAGE_BYTES + DIRECT_ALIGN);
  for (let offset = 0; offset < DIRECT_ALIGN; offset += 16) {
    try {
      fs.writeSync(fd, raw, offset, DIRECT_ALIGN, 0);
      return { fd, stage: raw.subarray(offset, offset + DIRECT_STAGE_BYTES), fill: 0, flushed: 0 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') break;
    }
  }
  fs.closeSync(fd);
  return undefined;
}

/**
 * A file being written under a temporary name: append with `write`, then `commit()` renames it to its
 * final name, or `abort()` removes it. With `direct`, appended bytes bypass the page cache (O_DIRECT, in
 * 8 MiB aligned pieces) where the file system allows: for the large processed files, whose buffered
 * writes cost this VM 0.3-2.3 s of kernel time per GB against ~0.15 s direct, so a writer thread mostly
 * waits for the disk while the others compute. The unaligned tail and later writes at an offset go
 * through the ordinary descriptor (Linux keeps mixed direct and buffered writes of a file coherent).
 * A failed write, sync or rename throws the system error naming the temporary file; the caller aborts.
 */
export class AtomicFile {
  readonly tmpPath: string;
  private fd: number;
  private position = 0;
  private direct: DirectStage | undefined;
  /** Removes the temporary file if the process ends before commit or abort. */
  private readonly forget: () => void;

  constructor(
    readonly finalPath: string,
    opts: { direct?: boolean } = {},
  ) {
    this.tmpPath = tempPathFor(finalPath);
    removeStaleTemps(finalPath);
    this.fd = fs.openSync(this.tmpPath, 'w');
    this.forget = atExit(() => fs.rmSync(this.tmpPath, { force: true }));
    try {
      if (opts.direct) this.direct = openDirect(this.tmpPath);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.position;
  }

  /** Whether appends currently bypass the page cache. */
  get isDirect(): boolean {
    return this.direct !== undefined;
  }

  write(data: NodeJS.ArrayBufferView): void {
    try {
      this.append(data);
    } catch (err) {
      throw withPath(err, this.tmpPath);
    }
  }

  private append(data: NodeJS.ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const d = this.direct;
    if (!d) {
      writeFully(this.fd, bytes, this.position);
    } else {
      for (let at = 0; at < bytes.length;) {
        const take = Math.min(bytes.length - at, d.stage.length - d.fill);
        d.stage.set(bytes.subarray(at, at + take), d.fill);
        d.fill += take;
        at += take;
        if (d.fill === d.stage.length) {
          writeFully(d.fd, d.stage, d.flushed);
          d.flushed += d.fill;
          d.fill = 0;
        }
      }
    }
    this.position += bytes.length;
  }

  /** Writes `data` at an absolute offset already reserved (e.g. a header filled in at the end). */
  writeAt(offset: number, data: NodeJS.ArrayBufferView): void {
    try {
      this.endDirect();
      writeFully(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    } catch (err) {
      throw withPath(err, this.tmpPath);
    }
  }

  /** Syncs and renames the file into place; on failure the temporary file is removed and the error thrown. */
  commit(): void {
    try {
      this.endDirect();
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tmpPath, this.finalPath);
    } catch (err) {
      this.abort();
      throw withPath(err, this.tmpPath);
    }
    this.forget();
  }

  abort(): void {
    for (const fd of [this.fd, ...(this.direct ? [this.direct.fd] : [])]) {
      if (fd < 0) continue;
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.direct = undefined;
    this.fd = -1;
    fs.rmSync(this.tmpPath, { force: true });
    this.forget();
  }

  /** Ends direct appending: the staged tail is written through the ordinary descriptor, the size set. */
  private endDirect(): void {
    const d = this.direct;
    if (!d) return;
    this.direct = undefined;
    fs.closeSync(d.fd);
    writeFully(this.fd, d.stage.subarray(0, d.fill), d.flushed);
    fs.ftruncateSync(this.fd, this.position); // the alignment probe may have written past a short file's end
  }
}
