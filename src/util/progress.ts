// Progress bars for long work, on stderr and only when stderr is a terminal (off a terminal every bar does
// nothing, so logs and pipes stay clean). All bars of the process live in one cli-progress MultiBar, which
// exists while at least one bar runs: a nested bar (train's evaluation inside an epoch) is drawn below the
// outer one, and readable log lines go through writeAboveProgress, which prints them above the bars instead
// of into them. A bar's line is filled from its first render: label, bar, percent, done/total and unit, the
// caller's detail text, and an ETA shown only once it is known. A stopped bar that was the last one stays
// on screen at its final state with the cursor on the line below it; one stopped under another disappears.
import * as cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the amount done; `detail` (e.g. '1,234 lines | 56,789 lines/s') is shown after the counts until changed. */
  update(done: number, detail?: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** The MultiBar holding every running bar, undefined while none runs. */
let bars: cliProgress.MultiBar | undefined;
let running = 0;

const MIN_BAR = 8;
const MAX_BAR = 30;
/** A count as bars and their detail texts show it: rounded, with thousands separators (1,234,567). */
export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "1m05s" for a finite ETA in seconds, '--' while it is unknown (nothing done yet, or no rate). */
function etaText(seconds: number, value: number, options: cliProgress.Options): string {
  if (value <= 0 || !Number.isFinite(seconds) || seconds < 0) return '--';
  return cliProgress.Format.TimeFormat(Math.round(seconds), options, 1);
}

/** cli-progress format function for a bar of `unit`s: every part is computed here, none left as a token. */
function formatLine(label: string, unit: string | undefined): cliProgress.GenericFormatter {
  return (options, params, payload: { detail?: string }) => {
    const fraction = params.total > 0 ? Math.min(1, Math.max(0, params.value / params.total)) : 0;
    const text = [
      `${Math.floor(fraction * 100)}%`,
      ...(unit === undefined ? [] : [`${formatCount(params.value)}/${formatCount(params.total)} ${unit}`]),
      ...(payload.detail ? [payload.detail] : []),
      `ETA ${etaText(params.eta, params.value, options)}`,
    ].join(' | ');
    // one character short of the width (a full line leaves the cursor in the terminal's wrap state); the
    // bar takes what the text leaves, within [MIN_BAR, MAX_BAR], and a line still too long is cut
    const width = Math.max(20, (params.maxWidth ?? 80) - 1);
    const barsize = Math.min(MAX_BAR, Math.max(MIN_BAR, width - label.length - text.length - 4));
    return `${label} [${cliProgress.Format.BarFormat(fraction, { ...options, barsize })}] ${text}`.slice(0, width);
  };
}

/**
 * A progress bar counting `total` units of `unit` (e.g. 'MB', 'batches'), labelled `label`. Without a
 * unit the counts are not shown (the work measure is internal; the detail text says what is done). Off a
 * terminal it does nothing.
 */
export function startProgress(label: string, total: number, unit?: string): Progress {
  if (!process.stderr.isTTY) return NO_PROGRESS;
  bars ??= new cliProgress.MultiBar(
    {
      stream: process.stderr,
      barsize: MAX_BAR,
      etaBuffer: 50,
      fps: 5,
      // every redraw writes every bar: log lines printed above them move them down a line
      forceRedraw: true,
      // autowrap stays on (long log lines wrap); the format function keeps bar lines within the width
      linewrap: true,
      hideCursor: false,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const owner = bars;
  const bar = owner.create(Math.max(0, total), 0, { detail: '' }, { format: formatLine(label, unit) });
  running++;
  let stopped = false;
  return {
    update: (done, detail) => {
      if (!stopped) bar.update(done, detail === undefined ? {} : { detail });
    },
    stop: () => {
      if (stopped || bars !== owner) return;
      stopped = true;
      if (--running > 0) {
        owner.remove(bar);
        return;
      }
      stopProgressBars();
    },
  };
}

/**
 * Prints `text` (whole lines, ending in '\n') on stderr: above the progress bars while any run, so lines
 * never land inside a bar's line and bars never overwrite them.
 */
export function writeAboveProgress(text: string): void {
  if (!bars) {
    process.stderr.write(text);
    return;
  }
  bars.log(text);
  bars.update(); // print now, not at the next redraw: keeps the order with anything written after it
}

/** Stops every bar (their final state stays on screen) and leaves the cursor on a fresh line. */
export function stopProgressBars(): void {
  const owner = bars;
  if (!owner) return;
  bars = undefined;
  running = 0;
  owner.update(); // lines logged since the last redraw
  owner.stop();
}
