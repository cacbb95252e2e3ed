// Data written to stdout (predictions, decoded rows, a schema, results): every write is checked, so a
// full disk behind `> file` is an error (one `dlrm:` line, exit 2) instead of a silently cut output, and a
// closed pipe (`| head`) ends the run quietly with exit code 141, as a process killed by SIGPIPE would.
import { isSystemError, systemCause, UserError } from './errors';

/** Exit code of a run whose stdout pipe was closed by the reader (128 + SIGPIPE). */
export const CLOSED_PIPE_EXIT_CODE = 141;

/** Thrown by writeStdout when the reader closed the pipe: the run stops, nothing is printed. */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout was closed by the reader');
    this.name = 'StdoutClosed';
  }
}

let failure: Error | undefined;

/** The error a failed stdout write turns into. */
function stdoutError(err: Error & { code?: string }): Error {
  if (err.code === 'EPIPE') return new StdoutClosed();
  return new UserError(
    `cannot write to stdout: ${isSystemError(err) ? systemCause(err) : err.message}; the output is incomplete`,
  );
}

/**
 * Keeps stdout's errors from crashing the process as unhandled 'error' events; the first is remembered
 * for stdoutFailure (writes that do not go through writeStdout). Called once by the CLI.
 */
export function watchStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (err: Error) => {
    failure ??= stdoutError(err);
  });
}

/** The error of a failed stdout write seen so far, if any. */
export function stdoutFailure(): Error | undefined {
  return failure;
}

/** Writes `data` to stdout and resolves once it is written (waiting when the reader is slow); rejects with a UserError or StdoutClosed. */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  if (failure) return Promise.reject(failure);
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(data, (err) => {
      if (!err) return resolve();
      failure ??= stdoutError(err);
      reject(failure);
    });
  });
}
