// Exclusive locks on outputs that one run writes over minutes (a preprocess work folder, a checkpoint): a
// lock file `.NAME.lock` beside the target, created with O_EXCL, holding the owner's pid and host. A
// second run is refused with "another dlrm (pid N) is writing F" before it touches anything. A lock whose
// pid no longer runs on this host, or now belongs to a process started after the lock's owner (the pid was
// reused: the lock also holds its owner's start time), is stale and taken over (said at debug level); a
// lock from another host is never taken over. Released when the run ends, by any path (exitCleanup). Readers of long inputs
// (preprocess) leave a marker `.NAME.reading-PID` beside each, so a writer of that file can refuse.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError, withPath } from './errors';
import { atExit } from './exitCleanup';
import { log } from './log';
import { processAlive, processStartTime, removeDeadPidEntries } from './pid';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** The output the lock guards. */
  target: string;
  /** The owner's start time (processStartTime); absent in locks of older versions or without /proc. */
  started?: string;
}

/** The lock file of `target`. */
export function lockPathFor(target: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
}

/** A lock file's owner, or undefined when there is no lock or it cannot be read (being written, or garbage). */
function readOwner(lockFile: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.hostname !== 'string') return undefined;
    return {
      pid: o.pid,
      hostname: o.hostname,
      target: String(o.target),
      ...(typeof o.started === 'string' ? { started: o.started } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner still runs: its pid runs on this host and, when both are known, started when the owner did. */
function ownerRuns(owner: LockOwner): boolean {
  if (!processAlive(owner.pid)) return false;
  const started = processStartTime(owner.pid);
  return owner.started === undefined || started === undefined || started === owner.started;
}

/** The message refusing a second writer of `target`. */
function busyError(owner: LockOwner, target: string, lockFile: string): UserError {
  const host = owner.hostname === os.hostname() ? '' : ` on ${owner.hostname}`;
  return new UserError(
    `another dlrm (pid ${owner.pid}${host}) is writing ${target}; wait for it to end (its lock is ${lockFile})`,
  );
}

/**
 * Takes the lock of `target` for this process; returns the function releasing it (also run at exit).
 * Throws a UserError when a running dlrm holds it.
 */
export function acquireLock(target: string): () => void {
  const lockFile = lockPathFor(target);
  const started = processStartTime(process.pid);
  const mine: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    target: path.resolve(target),
    ...(started === undefined ? {} : { started }),
  };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lockFile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(lockFile);
      if (owner && (owner.hostname !== os.hostname() || ownerRuns(owner))) throw busyError(owner, target, lockFile);
      if (!owner && attempt < 5) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // its owner may be between create and write
        continue;
      }
      if (attempt >= 6)
        throw new UserError(
          `${lockFile}: cannot take the lock of ${target} (the lock file keeps reappearing or cannot be read); delete it if no dlrm is writing ${target}`,
        );
      fs.rmSync(lockFile, { force: true });
      log().debug({ lockFile, owner }, 'removed a stale lock (its process no longer runs, or its pid was reused)');
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify(mine) + '\n');
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(lockFile, { force: true });
      throw withPath(err, lockFile);
    }
    fs.closeSync(fd);
    break;
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    forget();
    if (readOwner(lockFile)?.pid === process.pid) fs.rmSync(lockFile, { force: true });
  };
  const forget = atExit(release);
  return release;
}

/** The reading marker of `file` for process `pid`. */
function readingMarker(file: string, pid: number): string {
  const abs = path.resolve(file);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.reading-${pid}`);
}

/** Whether `dir` may be written into: it is writable and its mode grants writing (root ignores the mode; this does not). */
function writableFolder(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return (fs.statSync(dir).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/**
 * Marks `files` as being read by this process (an empty marker file beside each; a file in a read-only
 * folder goes unmarked: nothing can replace it there anyway). Returns the removal of the markers (also run
 * at exit); markers of processes no longer running are ignored by readersOf and removed by the next marking.
 */
export function markReading(files: string[]): () => void {
  const markers: string[] = [];
  for (const file of files) {
    if (!writableFolder(path.dirname(path.resolve(file)))) continue;
    const prefix = path.basename(readingMarker(file, 0)).slice(0, -1);
    removeDeadPidEntries(path.dirname(path.resolve(file)), [prefix], 'a reading marker');
    const marker = readingMarker(file, process.pid);
    try {
      fs.writeFileSync(marker, '');
      markers.push(marker);
    } catch {
      // unmarked: the file can still be read
    }
  }
  const remove = (): void => {
    forget();
    for (const m of markers) fs.rmSync(m, { force: true });
  };
  const forget = atExit(remove);
  return remove;
}

/** The pids of running processes (on this host) reading `file`. */
export function readersOf(file: string): number[] {
  const abs = path.resolve(file);
  const prefix = path.basename(readingMarker(abs, 0)).slice(0, -1);
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(abs));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^[0-9]+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .filter((pid) => pid !== process.pid && processAlive(pid));
}
