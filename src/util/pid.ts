// Files named after the process that owns them (temporary outputs `.NAME.tmp-PID`, shuffle folders, lock
// files): whether that process still runs, and the removal of entries whose owner is gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { log } from './log';

/** Whether process `pid` runs on this machine (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started, in clock ticks since boot (Linux /proc/PID/stat field 22), as text; undefined
 * when it does not run or the system has no /proc. Told apart from a later process that got the same pid.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Removes the entries of `dir` named `PREFIX<pid>` (files or folders) whose process is no longer running,
 * for each prefix, saying so at debug level; returns the paths removed.
 */
export function removeDeadPidEntries(dir: string, prefixes: string[], what: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed; // a missing folder holds nothing; a folder that cannot be listed is reported by the write itself
  }
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pidText = name.slice(prefix.length);
    const pid = Number(pidText);
    if (!/^[0-9]+$/.test(pidText) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    const file = path.join(dir, name);
    fs.rmSync(file, { recursive: true, force: true });
    log().debug({ file, pid }, `removed ${what} of a process that no longer runs`);
    removed.push(file);
  }
  return removed;
}
