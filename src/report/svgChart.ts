// A line chart as inline SVG (no script, no external assets): several series of (x, y) points over
// shared axes with "nice" ticks (whole numbers only on an integer axis such as steps), optional point
// markers with hover titles; a series of one point is always drawn as a marker (a polyline of one point
// is invisible). Long series are thinned to the min and max of each pixel column so spikes stay visible
// while the SVG stays small.

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  /** Draw a marker with a hover title on every point (for sparse series such as eval results). */
  markers?: boolean;
  xs: number[];
  ys: number[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  series: ChartSeries[];
  /** Start the y axis at 0 (e.g. throughput) instead of fitting the data range. */
  yFromZero?: boolean;
  /** The x values are whole numbers (steps): ticks are whole numbers too. */
  xIntegers?: boolean;
}

const WIDTH = 560;
const HEIGHT = 300;
const MARGIN = { left: 64, right: 16, top: 30, bottom: 42 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A short human form of a number for ticks and tables: 12.3k, 1.5M, 0.000123 -> 1.23e-4. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1e-3) return String(+v.toPrecision(4));
  return v.toExponential(2).replace(/\.?0+e/, 'e');
}

/** Tick values covering [lo, hi] with a 1/2/5 x 10^k step, about `count` of them (a step of at least 1 when `integers`). */
export function niceTicks(lo: number, hi: number, count = 5, integers = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = integers ? Math.max(1, (hi - lo) / count) : (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
  return ticks;
}

/** [min, max] over several arrays (a loop: spreading millions of values into Math.min overflows the stack). */
function extent(arrays: number[][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (const v of a) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

/** Keeps the points of each pixel column with the smallest and largest y (in x order). */
function thin(xs: number[], ys: number[], toPx: (x: number) => number): number[] {
  if (xs.length <= 2 * PLOT_W) return xs.map((_, i) => i);
  const keep: number[] = [];
  let column = -1;
  let lo = -1;
  let hi = -1;
  const flush = (): void => {
    if (lo < 0) return;
    keep.push(Math.min(lo, hi));
    if (hi !== lo) keep.push(Math.max(lo, hi));
  };
  for (let i = 0; i < xs.length; i++) {
    const c = Math.round(toPx(xs[i]));
    if (c !== column) {
      flush();
      column = c;
      lo = hi = i;
    } else {
      if (ys[i] < ys[lo]) lo = i;
      if (ys[i] > ys[hi]) hi = i;
    }
  }
  flush();
  return keep;
}

export function renderLineChart(spec: ChartSpec): string {
  const series = spec.series.filter((s) => s.xs.length > 0);
  const head = `<figure class="chart"><figcaption>${escapeHtml(spec.title)}</figcaption>`;
  if (series.length === 0) return `${head}<p class="empty">no data</p></figure>`;
  let [x0, x1] = extent(series.map((s) => s.xs));
  let [y0, y1] = extent(series.map((s) => s.ys));
  if (spec.yFromZero) y0 = Math.min(0, y0);
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1]; // one x (one point): the point in the middle, whole ticks around it
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.05, y1 + (Math.abs(y1) || 1) * 0.05];
  else if (!spec.yFromZero) [y0, y1] = [y0 - (y1 - y0) * 0.05, y1 + (y1 - y0) * 0.05];
  else y1 += (y1 - y0) * 0.05;
  const px = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * PLOT_W;
  const py = (y: number): number => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * PLOT_H;
  const r = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(spec.title)}">`,
  );
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${r(py(t))}" y2="${r(py(t))}"/>`,
    );
    parts.push(
      `<text class="tick" x="${MARGIN.left - 6}" y="${r(py(t) + 4)}" text-anchor="end">${formatNumber(t)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 6, spec.xIntegers)) {
    parts.push(
      `<line class="axis" x1="${r(px(t))}" x2="${r(px(t))}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 4}"/>`,
    );
    parts.push(
      `<text class="tick" x="${r(px(t))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatNumber(t)}</text>`,
    );
  }
  parts.push(`<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}"/>`);
  parts.push(
    `<text class="axis-label" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`,
  );
  for (const s of series) {
    const keep = thin(s.xs, s.ys, px);
    const points = keep.map((i) => `${r(px(s.xs[i]))},${r(py(s.ys[i]))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline class="series" data-series="${escapeHtml(s.label)}" data-points="${s.xs.length}" points="${points}" stroke="${s.color}"${dash}/>`,
    );
    if (s.markers || s.xs.length === 1) {
      s.xs.forEach((x, i) => {
        parts.push(
          `<circle cx="${r(px(x))}" cy="${r(py(s.ys[i]))}" r="3" fill="${s.color}"><title>${escapeHtml(s.label)}: step ${x}, ${formatNumber(s.ys[i])}</title></circle>`,
        );
      });
    }
  }
  parts.push('</svg>');
  return `${head}${parts.join('')}</figure>`;
}
