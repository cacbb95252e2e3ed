// Work undone on every way out of the process: a normal end, process.exit, an error that escapes, and
// SIGINT/SIGTERM/SIGHUP. Used for what must never outlive a run: its lock files and the temporary files
// it has not committed. Cleanups are synchronous (an 'exit' handler cannot wait) and each runs once.
// A signal is left to other listeners when there are any (train stops after its step and ends normally,
// which runs the cleanups); otherwise the cleanups run and the process exits with 128 + the signal number.
// In a worker thread atExit does nothing: the main thread owns the run's cleanups.
import * as os from 'node:os';
import { isMainThread } from 'node:worker_threads';

const cleanups = new Set<() => void>();
let installed = false;

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: the process is ending
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // another listener decides (and ends the run normally)
  runCleanups();
  process.exit(128 + (os.constants.signals[signal] ?? 0));
}

/** Runs `fn` once when the process ends, unless the returned function (which unregisters it) runs first. */
export function atExit(fn: () => void): () => void {
  if (!isMainThread) return () => undefined;
  if (!installed) {
    installed = true;
    process.on('exit', runCleanups);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  }
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}
