// User-facing errors: bad input, bad flags, mismatched files, and the system errors a user can act on (a
// missing or unreadable file, a folder where a file was expected, a full disk). The CLI prints their
// message as one `dlrm: ` line (no stack trace) and exits with a non-zero code; anything else that escapes
// is a bug and keeps its stack. systemErrorMessage is the one mapper from a Node system error (its code
// and path) to that sentence; errors crossing a worker thread travel as WorkerErrorFields.

/** An error caused by the user's input, reported as one clear message naming the file, line and field. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * Where in an input file a problem was found; `line` is 1-based, `field` a 1-based column position or,
 * for a field that has none (a JSON key), a name; `fieldName` the column's name next to a position.
 */
export interface InputLocation {
  file: string;
  line?: number;
  field?: number | string;
  fieldName?: string;
}

/**
 * How every parser error names a field: its 1-based position among the line's fields with the column's
 * name when known, `3 (C1)`, or the name alone for a field that has no position (`tags[0]` of a JSON row).
 */
export function fieldText(field: number | string, fieldName?: string): string {
  return typeof field === 'string' || fieldName === undefined ? String(field) : `${field} (${fieldName})`;
}

/** A UserError for bad input data, formatted as `file:line: field N (name): message`. */
export function inputError(at: InputLocation, message: string): UserError {
  let where = at.file;
  if (at.line !== undefined) where += `:${at.line}`;
  if (at.field !== undefined) where += `: field ${fieldText(at.field, at.fieldName)}`;
  return new UserError(`${where}: ${message}`);
}

/** The system error codes a user can act on, and what each says about the path. */
const SYSTEM_CAUSES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file is too large for the file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error on the device',
  ENAMETOOLONG: 'the file name is too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the folder is not empty',
  EXDEV: 'cannot rename across file systems',
  EPIPE: 'the reading end of the pipe was closed',
};

/** What a system error's `syscall` was doing, to say "while writing" in the message. */
const SYSCALL_VERBS: Record<string, string> = {
  open: 'opening',
  read: 'reading',
  write: 'writing',
  fsync: 'syncing',
  rename: 'renaming',
  mkdir: 'creating the folder',
  scandir: 'listing',
  stat: 'reading the status of',
  ftruncate: 'truncating',
  unlink: 'removing',
  rmdir: 'removing',
  copyfile: 'copying',
};

/** A Node system error (fs, streams): an Error with a string `code`. */
export type SystemError = Error & { code: string; path?: string; dest?: string; syscall?: string };

/** Whether `err` is a system error whose code is one a user can act on. */
export function isSystemError(err: unknown): err is SystemError {
  return (
    err instanceof Error &&
    typeof (err as Partial<SystemError>).code === 'string' &&
    (err as SystemError).code in SYSTEM_CAUSES
  );
}

/**
 * Gives `err` the path it concerns when Node left it out (writes through a descriptor name none), so the
 * message can name the file; returns `err` for rethrowing.
 */
export function withPath<E>(err: E, file: string): E {
  const e = err as Partial<SystemError> | undefined;
  if (err instanceof Error && typeof e?.code === 'string' && !e.path) e.path = file;
  return err;
}

/** What went wrong, without the path: e.g. `no space left on the device (ENOSPC while writing)`. */
export function systemCause(err: SystemError): string {
  const verb = err.syscall ? SYSCALL_VERBS[err.syscall] : undefined;
  return `${SYSTEM_CAUSES[err.code]} (${err.code}${verb ? ` while ${verb}` : ''})`;
}

/** The one-line sentence for a system error, e.g. `out.csv: no space left on the device (ENOSPC while writing)`. */
export function systemErrorMessage(err: SystemError): string {
  const where = err.path ? (err.dest ? `${err.path} -> ${err.dest}` : err.path) : 'a file';
  return `${where}: ${systemCause(err)}`;
}

/** The `dlrm: ` line and exit code for an error a user can act on, or undefined for a bug (which keeps its stack). */
export function userFacing(err: unknown): { message: string; exitCode: number } | undefined {
  if (err instanceof UserError) return { message: err.message, exitCode: err.exitCode };
  if (isSystemError(err)) return { message: systemErrorMessage(err), exitCode: 2 };
  return undefined;
}

/** An error as it crosses from a worker thread: enough to rebuild a UserError or a system error. */
export interface WorkerErrorFields {
  message: string;
  /** Set for a UserError: its exit code. */
  userExitCode?: number;
  code?: string;
  path?: string;
  syscall?: string;
}

/** What a worker posts for an error it caught (a bug's message keeps its stack). */
export function workerErrorFields(err: unknown): WorkerErrorFields {
  if (err instanceof UserError) return { message: err.message, userExitCode: err.exitCode };
  if (!(err instanceof Error)) return { message: String(err) };
  const { code, path, syscall } = err as Partial<SystemError>;
  return { message: isSystemError(err) ? err.message : (err.stack ?? err.message), code, path, syscall };
}

/** Rebuilds a worker's error on the main thread; a bug's message is prefixed with `context`. */
export function errorFromWorker(fields: WorkerErrorFields, context: string): Error {
  if (fields.userExitCode !== undefined) return new UserError(fields.message, fields.userExitCode);
  if (fields.code !== undefined && fields.code in SYSTEM_CAUSES) {
    return Object.assign(new Error(fields.message), { code: fields.code, path: fields.path, syscall: fields.syscall });
  }
  return new Error(`${context}: ${fields.message}`);
}
