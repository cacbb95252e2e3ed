// The progress bars and readable log on a real terminal: `dlrm preprocess` and `dlrm train` run under a
// pseudo-terminal (util-linux `script`, 80 columns), and the bytes they print are rendered by a terminal
// emulator (@xterm/headless: \r, \n, erase line, cursor moves, autowrap). On the rendered screen every line
// must be a bar, a log line or the final summary (nothing glued or half-overwritten); bars show no unfilled
// `{token}`, NaN, undefined or Infinity and fit the width (their ETA is visible); the log lines are exactly
// those of the same run off a terminal (JSON lines only, no bar), in order, each intact on its own line; the merge bar
// ends at the file's row count; train's evaluation line and final summary are on screen.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Terminal } from '@xterm/headless';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { criteoLines } from '../preprocess/fixtures';
import { runDlrm } from './faultCase';

const COLS = 80;
const ROWS = 50;
const LINES = 40_000;
const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasScript ? false : 'util-linux `script` is not installed (it provides the pseudo-terminal)';
const dir = tempDir('pty');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `dlrm ARGS` under a pseudo-terminal of COLS x ROWS; returns its exit code and every byte it printed. */
function runOnTerminal(args: string[]): { status: number | null; bytes: Buffer } {
  const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', `stty cols ${COLS} rows ${ROWS}; exec ${quoted}`, '/dev/null'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 26,
    timeout: 300_000,
  });
  return { status: r.status, bytes: r.stdout };
}

/** The screen (scrollback included) after the terminal received `bytes`: one entry per logical line (wrapped rows joined). */
async function render(bytes: Buffer): Promise<string[]> {
  const term = new Terminal({ cols: COLS, rows: ROWS, scrollback: 100_000, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const buf = term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buf.length; y++) {
    const line = buf.getLine(y);
    if (!line) continue;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  term.dispose();
  return lines;
}

const BAR = /^(.+?) \[[\u2588\u2591]+\] (\d+)% \| (.*)$/;
const LOG = /^\d\d:\d\d:\d\d (trace|debug|info|warn|error|fatal) (.*)$/;

interface Screen {
  bars: { label: string; percent: number; rest: string; line: string }[];
  logs: { level: string; text: string }[];
  other: string[];
}

/** Sorts the screen's lines into bars, log lines and anything else (empty lines dropped). */
function classify(lines: string[]): Screen {
  const s: Screen = { bars: [], logs: [], other: [] };
  for (const line of lines) {
    const bar = BAR.exec(line);
    const log = LOG.exec(line);
    if (bar) s.bars.push({ label: bar[1], percent: Number(bar[2]), rest: bar[3], line });
    else if (log) s.logs.push({ level: log[1], text: log[2] });
    else if (line.trim() !== '') s.other.push(line);
  }
  return s;
}

/** The (level, msg) of each JSON log line of a run off a terminal. */
function jsonLogs(stderr: string): { level: string; msg: string }[] {
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const r = JSON.parse(l) as { level: number; msg: string };
      return { level: names[r.level], msg: r.msg };
    });
}

/** Off a terminal: JSON lines only on stderr, no bar and no escape sequence. */
function checkOffTerminal(stderr: string): void {
  // eslint-disable-next-line no-control-regex -- the escape byte is what it looks for
  assert.doesNotMatch(stderr, /[\x1b\r\u2588\u2591]/, 'a bar or escape sequence off a terminal');
  for (const l of stderr.split('\n'))
    if (l !== '' && !l.startsWith('dlrm: ')) assert.doesNotThrow(() => JSON.parse(l), `not a JSON line: ${l}`);
}

/** Checks what every screen must satisfy; `expectOther` matches lines that are neither bars nor logs but belong. */
function checkScreen(screen: Screen, offTerminal: { level: string; msg: string }[], expectOther: RegExp[] = []): void {
  for (const b of screen.bars) {
    assert.doesNotMatch(b.line, /[{}]|NaN|undefined|Infinity/, `bar line with a placeholder or non-number: ${b.line}`);
    assert.match(b.line, /\| ETA (--|(\d+h)?(\d+m)?\d*s?)$/, `bar line cut or without its ETA: ${b.line}`);
    assert.ok(b.line.length < COLS, `bar line wider than the terminal: ${b.line}`);
  }
  assert.deepEqual(
    screen.other.filter((l) => !expectOther.some((re) => re.test(l))),
    [],
    'lines that are neither a bar nor a whole log line (glued or overwritten)',
  );
  for (const l of screen.logs)
    assert.doesNotMatch(l.text, /[\u2588\u2591]|NaN|undefined/, `log line with bar characters: ${l.text}`);
  assert.deepEqual(
    screen.logs.map((l) => `${l.level} ${l.text.slice(0, offTerminal[screen.logs.indexOf(l)]?.msg.length ?? 0)}`),
    offTerminal.map((l) => `${l.level} ${l.msg}`),
    'the log lines on the terminal are those of the run off a terminal, in order and whole',
  );
}

test(
  'preprocess and train on a terminal: bars filled, log lines whole and above the bars, eval and summary kept',
  { skip },
  async () => {
    const raw = path.join(dir, 'train.txt');
    fs.writeFileSync(raw, criteoLines(LINES, 13).join('\n') + '\n');
    const preprocess = (out: string): string[] => [
      'preprocess',
      '--raw-data-file',
      raw,
      '--processed-data-file',
      out,
      '--data-randomize',
      'total',
      '--max-ind-range',
      '5000',
    ];

    const onTerm = runOnTerminal(preprocess(path.join(dir, 'tty.dlrm')));
    const pipe = runDlrm(preprocess(path.join(dir, 'pipe.dlrm')));
    assert.equal(pipe.status, 0, pipe.stderr);
    checkOffTerminal(pipe.stderr);
    const screen = classify(await render(onTerm.bytes));
    assert.equal(onTerm.status, 0, (await render(onTerm.bytes)).join('\n'));
    checkScreen(screen, jsonLogs(pipe.stderr));
    const labels = [...new Set(screen.bars.map((b) => b.label))];
    assert.deepEqual(labels, ['counting lines', 'preprocess', 'merge'], 'one final line per bar, in order');
    for (const b of screen.bars) assert.equal(b.percent, 100, `finished bar not at 100%: ${b.line}`);
    const merge = screen.bars.find((b) => b.label === 'merge');
    assert.match(
      merge?.rest ?? '',
      new RegExp(`^${LINES.toLocaleString('en-US')}/${LINES.toLocaleString('en-US')} rows written \\|`),
      'the merge bar counts the rows of the file',
    );
    // the bars were drawn while log lines printed (not only at the end): raw bytes hold bar frames before the last log line
    const text = onTerm.bytes.toString('utf8');
    assert.ok(
      text.indexOf('preprocess [') < text.lastIndexOf('day done'),
      'the preprocess bar was on screen while days were logged',
    );

    const train = [
      'train',
      '--processed-data-file',
      path.join(dir, 'tty.dlrm'),
      '--nepochs',
      '1',
      '--mini-batch-size',
      '64',
      '--print-freq',
      '100',
      '--test-freq',
      '250',
      '--arch-sparse-feature-size',
      '8',
      '--arch-mlp-bot',
      '13-16-8',
      '--arch-mlp-top',
      '16-1',
    ];
    const trainTerm = runOnTerminal(train);
    const trainPipe = runDlrm(train);
    assert.equal(trainPipe.status, 0, trainPipe.stderr);
    checkOffTerminal(trainPipe.stderr);
    const trainScreen = classify(await render(trainTerm.bytes));
    assert.equal(trainTerm.status, 0, (await render(trainTerm.bytes)).join('\n'));
    const summary = /^final \d+ rows: auc [\d.]+ logloss [\d.]+ accuracy [\d.]+ ne [\d.]+ \(step \d+, \w+, [\d.]+ s\)$/;
    checkScreen(trainScreen, jsonLogs(trainPipe.stderr), [summary]);
    assert.ok(
      trainScreen.other.some((l) => summary.test(l)),
      'the final summary is on screen',
    );
    const evals = trainScreen.logs.filter((l) => l.text.startsWith('eval '));
    assert.ok(evals.length >= 2, `a mid-epoch and the end-of-epoch eval line are on screen (${evals.length})`);
    assert.ok(
      trainScreen.bars.some(
        (b) =>
          b.label === 'epoch 1/1' && b.percent === 100 && /^\d[\d,]*\/[\d,]+ batches \| loss [\d.]+ \|/.test(b.rest),
      ),
      'the epoch bar ends at 100% with its loss',
    );
  },
);
