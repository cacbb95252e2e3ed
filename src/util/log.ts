// Logging: pino JSON lines to stderr (and to --log-file when given); when stderr is a terminal the lines
// are printed readably instead (`HH:MM:SS level message key=value`), above any progress bar. The --log-file
// is opened at once (a missing folder is a clear error before any work); a failed write to it (a full
// disk) is an 'error' event naming the file, which the CLI's top level reports as one line.
import pino from 'pino';
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { withPath } from './errors';
import { writeAboveProgress } from './progress';

export type Logger = pino.Logger;

export interface LogOptions {
  /** Also append JSON lines to this file. */
  logFile?: string;
  level?: pino.Level;
  /** Force readable (true) or JSON (false) output on stderr; default: readable when stderr is a TTY. */
  pretty?: boolean;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** A stream that turns pino's JSON lines into short readable lines for a terminal. */
function readableStderr(): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      let text = '';
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const rec = JSON.parse(line) as Record<string, unknown>;
        const { level, time, msg, pid: _pid, hostname: _host, ...rest } = rec;
        const t = new Date(Number(time)).toISOString().slice(11, 19);
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        text += `${t} ${LEVEL_NAMES[Number(level)] ?? level} ${typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg)}${extra ? ' ' + extra : ''}\n`;
      }
      if (text) writeAboveProgress(text);
      done();
    },
  });
}

/** Appends to `file`, opened now; a failed write is the stream's error, naming the file. */
function logFileStream(file: string): Writable {
  const fd = fs.openSync(file, 'a');
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        fs.writeSync(fd, chunk);
        done();
      } catch (err) {
        done(withPath(err as Error, file));
      }
    },
    destroy(err, done) {
      fs.close(fd, () => done(err));
    },
  });
}

let current: Logger = pino({ level: 'info', base: undefined }, pino.destination(2));

/** Configures the process-wide logger; called once by the CLI before a subcommand runs. */
export function setupLogger(opts: LogOptions = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  const level = opts.level ?? 'info';
  // each stream has its own level in a multistream (default info), so --log-level debug reaches them
  const streams: pino.StreamEntry[] = [
    { level, stream: pretty ? readableStderr() : pino.destination({ fd: 2, sync: true }) },
  ];
  if (opts.logFile) streams.push({ level, stream: logFileStream(opts.logFile) });
  current = pino({ level, base: undefined }, pino.multistream(streams));
  return current;
}

/** The process-wide logger. */
export function log(): Logger {
  return current;
}
