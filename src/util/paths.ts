// Which files a run may read and write. Inputs are opened through openForReading (a folder or an
// unreadable file is a clear error naming it). Outputs go through refuseUnsafeOutputs before anything is
// written: an output that is an input (the same file by its real path, through symbolic links, or by
// device and inode, through hard links), an input inside an output folder that will be replaced, and an
// output inside the parts folder (`F.parts/`, or the work folder `.F.parts.partial/`) of a processed
// dataset are refused. One function serves every command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from './errors';

/** Opens `file` for reading; a folder is refused as the system error EISDIR naming it. */
export function openForReading(file: string): number {
  const fd = fs.openSync(file, 'r');
  if (fs.fstatSync(fd).isDirectory()) {
    fs.closeSync(fd);
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), {
      code: 'EISDIR',
      path: file,
      syscall: 'open',
    });
  }
  return fd;
}

/** A path a command was given, and the flag that named it (for messages). */
export interface NamedPath {
  flag: string;
  path: string;
}

/** `file`'s real path: through symbolic links, for a file that does not exist yet through its folder's. */
function realPath(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    const dir = path.dirname(abs);
    return dir === abs ? abs : path.join(realPath(dir), path.basename(abs));
  }
}

/** Whether `a` and `b` name the same file: the same real path, or the same device and inode (hard links). */
export function sameFile(a: string, b: string): boolean {
  if (realPath(a) === realPath(b)) return true;
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Whether `inner` is `folder` or lies inside it (real paths). */
function isInside(inner: string, folder: string): boolean {
  const rel = path.relative(realPath(folder), realPath(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The parts or work folder of a processed dataset that holds `file`, if any. */
export function enclosingPartsFolder(file: string): string | undefined {
  for (let dir = path.dirname(realPath(file)); ; dir = path.dirname(dir)) {
    const name = path.basename(dir);
    const parts =
      name.endsWith('.parts') &&
      (fs.existsSync(path.join(dir, 'manifest.json')) || fs.existsSync(dir.slice(0, -'.parts'.length)));
    if (parts || /^\..+\.parts\.partial$/.test(name)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export interface OutputPlan {
  /** Files the run writes (replaced atomically). */
  files: NamedPath[];
  /** Folders the run creates or replaces as a whole (a preprocess run's parts and work folders). */
  folders?: NamedPath[];
  /** Files the run reads. */
  inputs: NamedPath[];
}

/** Refuses, as a UserError naming the flags, a plan whose outputs would overwrite its inputs (see the file comment). */
export function refuseUnsafeOutputs(plan: OutputPlan): void {
  const inputs = plan.inputs.filter((i) => fs.existsSync(i.path));
  for (const out of plan.files) {
    const input = inputs.find((i) => sameFile(out.path, i.path));
    if (input) {
      const how =
        realPath(out.path) === realPath(input.path)
          ? path.resolve(out.path) === path.resolve(input.path)
            ? ''
            : ' (through a link)'
          : ' (a hard link to it)';
      throw new UserError(
        `${out.flag} ${out.path}: is the input ${input.flag} ${input.path}${how}; writing it would destroy the input. Choose another output path`,
      );
    }
  }
  for (const folder of plan.folders ?? []) {
    const input = inputs.find((i) => isInside(i.path, folder.path));
    if (input)
      throw new UserError(
        `${input.flag} ${input.path}: lies inside ${folder.path}, which this run replaces; move the input elsewhere`,
      );
  }
  for (const out of [...plan.files, ...(plan.folders ?? [])]) {
    const parts = enclosingPartsFolder(out.path);
    if (parts)
      throw new UserError(
        `${out.flag} ${out.path}: lies inside ${parts}, the parts folder of a processed dataset (a run replaces it as a whole); choose a path outside it`,
      );
  }
}
