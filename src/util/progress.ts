// Progress bars for long work (cli-progress on stderr, only when stderr is a terminal): done/total,
// throughput and ETA. Off a terminal it does nothing, so logs and pipes stay clean.
import * as cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the absolute amount done; `payload` fills extra tokens of the format (e.g. {lines: 123}). */
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar counting `total` units of `unit` (e.g. 'MB', 'batches'). `extra` is appended to the
 * format and may use payload tokens such as `{lines}` or `{rate}`.
 */
export function startProgress(label: string, total: number, unit: string, extra = ''): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% {value}/{total} ${unit} ${extra} ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done, payload) => bar.update(done, payload),
    stop: () => bar.stop(),
  };
}
