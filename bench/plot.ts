// A tiny SVG chart maker for the bench results: grouped bars and lines, linear
// or log scale, value labels, a legend. No dependency; the output is a plain
// SVG file any browser or image viewer opens.

export interface Series {
  name: string;
  /** One value per category (bars) or per x (lines); null: no value (not run, failed). */
  values: (number | null)[];
  /** Printed above a bar instead of the number (e.g. "gave up"); "\n" splits it over two lines. */
  labels?: (string | null)[];
}

export interface BarChart {
  title: string;
  /** Unit of the y axis, e.g. "KiB per connection". */
  unit: string;
  categories: string[];
  series: Series[];
  log?: boolean;
  /** A line of small print under the chart (machine, load). */
  note?: string;
}

export interface LineChart {
  title: string;
  unit: string;
  xLabel: string;
  x: number[];
  series: Series[];
  log?: boolean;
  logX?: boolean;
  note?: string;
}

const W = 760;
const H = 380;
const M = { top: 56, right: 24, bottom: 64, left: 76 };
const COLORS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#222222"];
const FONT = `font-family="system-ui,-apple-system,Segoe UI,sans-serif"`;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A short number for a label: 1.23, 45.6, 789, 12.3k, 4.56M. */
export function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return String(Math.round(v));
  return String(+v.toPrecision(3));
}

interface Scale {
  at(v: number): number;
  ticks: number[];
}

/** A y scale from `lo` to `hi` onto [bottom, top] pixels: linear from 0 with "nice" steps, or log by decades. */
function scale(values: number[], log: boolean, bottom: number, top: number): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...finite, 1))));
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...finite, lo * 10))));
    const ticks: number[] = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    const l0 = Math.log10(lo);
    const span = Math.log10(hi) - l0;
    return { at: (v) => bottom - ((Math.log10(Math.max(v, lo)) - l0) / span) * (bottom - top), ticks };
  }
  const max = Math.max(...finite, 0) || 1;
  const raw = max / 5;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= hi + step / 2; t += step) ticks.push(+t.toPrecision(12));
  return { at: (v) => bottom - (v / hi) * (bottom - top), ticks };
}

function frame(title: string, unit: string, y: Scale, note: string | undefined, body: string[], legend: string[]): string {
  const out: string[] = [];
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">${esc(title)}</text>`);
  for (const t of y.ticks) {
    const py = y.at(t).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" fill="#444">${esc(short(t))}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#888"/>`);
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#888"/>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#333">${esc(unit)}</text>`);
  out.push(...body);
  let lx = M.left + 8;
  legend.forEach((name, i) => {
    out.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="44" font-size="12">${esc(name)}</text>`);
    lx += 28 + name.length * 6.6;
  });
  if (note) out.push(`<text x="${M.left}" y="${H - 8}" font-size="10" fill="#666">${esc(note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>\n<rect width="100%" height="100%" fill="white"/>\n${out.join("\n")}\n</svg>`;
}

/** Grouped bars: one group per category, one bar per series, each labelled with its value. */
export function barChart(c: BarChart): string {
  const values = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = scale(values, c.log ?? false, H - M.bottom, M.top + 16);
  const groupW = (W - M.left - M.right) / Math.max(1, c.categories.length);
  const barW = Math.min(56, (groupW * 0.8) / Math.max(1, c.series.length));
  const body: string[] = [];
  c.categories.forEach((cat, g) => {
    const gx = M.left + g * groupW + (groupW - barW * c.series.length) / 2;
    c.series.forEach((s, i) => {
      const v = s.values[g];
      const x = gx + i * barW;
      const label = s.labels?.[g] ?? (v === null ? "n/a" : short(v));
      if (v === null) {
        body.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${H - M.bottom - 4}" text-anchor="middle" font-size="10" fill="#999">${esc(label)}</text>`);
        return;
      }
      const top = y.at(v);
      body.push(`<rect x="${(x + 1).toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(H - M.bottom - top).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`);
      // A label may have two lines ("27k\n0.36×"): the last one sits just above the bar.
      const parts = label.split("\n");
      parts.forEach((part, k) => {
        const y = top - 4 - (parts.length - 1 - k) * 12;
        body.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${y.toFixed(1)}" text-anchor="middle" font-size="10">${esc(part)}</text>`);
      });
    });
    body.push(`<text x="${(M.left + g * groupW + groupW / 2).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${esc(cat)}</text>`);
  });
  return frame(c.title, c.unit, y, c.note, body, c.series.map((s) => s.name));
}

/** Lines with points: one per series over the shared x values. */
export function lineChart(c: LineChart): string {
  const values = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = scale(values, c.log ?? false, H - M.bottom, M.top + 16);
  const finiteX = c.x.filter((v) => Number.isFinite(v) && (!c.logX || v > 0));
  const xLo = c.logX ? Math.log10(Math.min(...finiteX)) : Math.min(0, ...finiteX);
  const xHi = c.logX ? Math.log10(Math.max(...finiteX)) : Math.max(...finiteX);
  const pad = c.logX ? 0.15 * (xHi - xLo || 1) : 0;
  const xAt = (v: number) => {
    const t = c.logX ? Math.log10(v) : v;
    return M.left + ((t - (xLo - pad)) / ((xHi + pad) - (xLo - pad) || 1)) * (W - M.left - M.right);
  };
  const body: string[] = [];
  const unique = [...new Set(c.x)];
  const xTicks = unique.length <= 12 || c.logX ? unique : scale(unique, false, 0, 1).ticks;
  for (const xv of xTicks) {
    // A label at the right edge is right-aligned, so it stays on the picture.
    const anchor = xAt(xv) > W - M.right - 12 ? "end" : "middle";
    body.push(`<text x="${xAt(xv).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="${anchor}" font-size="11">${esc(short(xv))}</text>`);
  }
  body.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - M.bottom + 34}" text-anchor="middle" font-size="12" fill="#333">${esc(c.xLabel)}</text>`);
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = c.x.map((xv, j) => [xv, s.values[j]] as const).filter((p): p is readonly [number, number] => p[1] !== null && (!c.log || p[1] > 0));
    if (pts.length > 1) {
      body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([xv, v]) => `${xAt(xv).toFixed(1)},${y.at(v).toFixed(1)}`).join(" ")}"/>`);
    }
    // Values beside the points only when there are few of them on the whole chart.
    const labelled = unique.length <= 12;
    for (const [xv, v] of pts) {
      body.push(`<circle cx="${xAt(xv).toFixed(1)}" cy="${y.at(v).toFixed(1)}" r="3" fill="${color}"/>`);
      if (labelled) body.push(`<text x="${(xAt(xv) + 5).toFixed(1)}" y="${(y.at(v) - 5).toFixed(1)}" font-size="10" fill="${color}">${esc(short(v))}</text>`);
    }
  });
  return frame(c.title, c.unit, y, c.note, body, c.series.map((s) => s.name));
}

/** Several charts one under the other in one SVG file. */
export function stack(svgs: string[]): string {
  const inner = svgs.map((svg, i) => svg.replace("<svg ", `<svg y="${i * H}" `));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * svgs.length}" viewBox="0 0 ${W} ${H * svgs.length}">\n${inner.join("\n")}\n</svg>\n`;
}
