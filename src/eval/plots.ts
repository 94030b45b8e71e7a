/**
 * The comparison's pictures as SVG (pure TS; io/encode rasterises them to PNG with sharp):
 *   scatter    score vs |z| (or the target) per method, small multiples (the paper's Fig. 3 row 1)
 *   histograms score histograms by label per method (Fig. 3 row 2)
 *   roc        ROC curves of every method in one panel
 *   tradeoff   ROC-AUC vs ms per 1024^2 image, log time axis (Fig. 3 row 4)
 * Text is drawn with the built-in pixel font as paths, so the PNGs need no installed font.
 */
import { rocCurve } from '../core/stats.js';
import { textPath, textWidth } from '../pipeline/pixel-font.js';
import type { Comparison, MethodResult } from './compare.js';
import { tableOrder } from './compare-report.js';

/** Tableau 10: distinguishable, and readable for the common colour-vision deficiencies. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const INK = '#222222';
const GRID = '#e4e4e4';
const FONT = 2; // pixel-font scale: 10x14 px glyphs
const SMALL = 1;

export function colourOf(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

const f = (v: number): string => (Math.round(v * 100) / 100).toString();

function text(s: string, x: number, y: number, opts: { scale?: number; anchor?: 'start' | 'middle' | 'end'; fill?: string } = {}): string {
  const scale = opts.scale ?? FONT;
  const w = textWidth(s, scale);
  const x0 = opts.anchor === 'middle' ? x - w / 2 : opts.anchor === 'end' ? x - w : x;
  return `<path fill="${opts.fill ?? INK}" d="${textPath(s, Math.round(x0), Math.round(y), scale)}"/>`;
}

/** Centred text at the normal size, else the small size, else cut with "..." to fit `width`. */
function fitText(s: string, x: number, y: number, width: number): string {
  if (textWidth(s, FONT) <= width) return text(s, x, y, { anchor: 'middle' });
  if (textWidth(s, SMALL) <= width) return text(s, x, y + 4, { anchor: 'middle', scale: SMALL });
  const keep = Math.max(1, Math.floor((width + 1) / 6) - 3);
  return text(s.slice(0, keep) + '...', x, y + 4, { anchor: 'middle', scale: SMALL });
}

/** Rotated text for the y-axis title (drawn horizontally, then turned -90° about its anchor). */
function vtext(s: string, x: number, y: number): string {
  return `<g transform="rotate(-90 ${f(x)} ${f(y)})">${text(s, x, y - 7, { anchor: 'middle' })}</g>`;
}

/** Tick values at 1, 2 or 5 x 10^k covering [min, max] with about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

interface Range {
  min: number;
  max: number;
}

function rangeOf(values: Iterable<number>, pad = 0.05): Range {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { min: 0, max: 1 };
  if (min === max) return { min: min - 0.5, max: max + 0.5 };
  const p = (max - min) * pad;
  return { min: min - p, max: max + p };
}

interface Panel {
  x: number;
  y: number;
  w: number;
  h: number;
  xr: Range;
  yr: Range;
  xlog?: boolean;
}

const sx = (p: Panel, v: number): number => {
  const t = p.xlog ? (Math.log10(v) - Math.log10(p.xr.min)) / (Math.log10(p.xr.max) - Math.log10(p.xr.min)) : (v - p.xr.min) / (p.xr.max - p.xr.min);
  return p.x + t * p.w;
};
const sy = (p: Panel, v: number): number => p.y + p.h - ((v - p.yr.min) / (p.yr.max - p.yr.min)) * p.h;

/** Axes, grid lines, tick labels, axis titles and a panel title. */
function axes(p: Panel, title: string, xTitle: string, yTitle: string, xTicks?: number[]): string {
  const parts: string[] = [`<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="#ffffff" stroke="${INK}" stroke-width="1"/>`];
  const xt = xTicks ?? niceTicks(p.xr.min, p.xr.max, 5);
  for (const v of xt) {
    if (v < p.xr.min || v > p.xr.max) continue;
    const x = sx(p, v);
    parts.push(`<line x1="${f(x)}" y1="${p.y}" x2="${f(x)}" y2="${p.y + p.h}" stroke="${GRID}"/>`);
    parts.push(text(tickLabel(v), x, p.y + p.h + 6, { anchor: 'middle', scale: SMALL + 1 }));
  }
  for (const v of niceTicks(p.yr.min, p.yr.max, 4)) {
    if (v < p.yr.min || v > p.yr.max) continue;
    const y = sy(p, v);
    parts.push(`<line x1="${p.x}" y1="${f(y)}" x2="${p.x + p.w}" y2="${f(y)}" stroke="${GRID}"/>`);
    parts.push(text(tickLabel(v), p.x - 6, y - 7, { anchor: 'end', scale: SMALL + 1 }));
  }
  parts.push(`<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="none" stroke="${INK}" stroke-width="1"/>`);
  parts.push(fitText(title, p.x + p.w / 2, p.y - 22, p.w + 60));
  parts.push(text(xTitle, p.x + p.w / 2, p.y + p.h + 28, { anchor: 'middle' }));
  parts.push(vtext(yTitle, p.x - 74, p.y + p.h / 2));
  return parts.join('');
}

function svg(width: number, height: number, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" shape-rendering="geometricPrecision">` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>${body.join('')}</svg>\n`;
}

/** Panel rectangles for small multiples: `cols` per row, each with room for its labels. */
function grid(n: number, cols: number, pw: number, ph: number): { width: number; height: number; at: (i: number) => { x: number; y: number } } {
  const cellW = pw + 130;
  const cellH = ph + 100;
  const rows = Math.ceil(n / cols);
  return { width: Math.min(n, cols) * cellW + 20, height: rows * cellH + 60, at: (i) => ({ x: 110 + (i % cols) * cellW, y: 80 + Math.floor(i / cols) * cellH }) };
}

function heading(s: string, width: number): string {
  return text(s, width / 2, 14, { anchor: 'middle' });
}

function scoredPairs(m: MethodResult, xs: ArrayLike<number>): Array<[number, number]> {
  return m.scored.map((i) => [xs[i]!, m.scores[i]!]);
}

/** A deterministic jitter in [-0.5, 0.5) per index (points on the same integer level spread out). */
function jitter(i: number): number {
  const h = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  return h / 2 ** 32 - 0.5;
}

export function scatterSvg(c: Comparison): string {
  const methods = tableOrder(c.methods);
  const target = c.targets.target;
  const xTitle = c.dataset.format === 'focuspath' ? '|z-level|' : c.dataset.format === 'csv' ? 'score (CSV)' : 'label';
  const levels = new Set(Array.from(target));
  const discrete = levels.size <= 25 && [...levels].every(Number.isInteger);
  const g = grid(methods.length, Math.min(4, methods.length), 260, 190);
  const body = [heading(`Score vs ${xTitle}, per method (${c.dataset.n} images)`, g.width)];
  methods.forEach((m, k) => {
    const { x, y } = g.at(k);
    const xr = rangeOf(target, 0.06);
    const pairs = scoredPairs(m, target);
    const p: Panel = { x, y, w: 260, h: 190, xr, yr: rangeOf(pairs.map((q) => q[1])) };
    body.push(axes(p, m.label, xTitle, 'score', discrete ? niceTicks(xr.min, xr.max, Math.min(10, levels.size)).filter(Number.isInteger) : undefined));
    const colour = colourOf(c.methods.indexOf(m));
    const dots = pairs.map(([tx, s], j) => `<circle cx="${f(sx(p, tx + (discrete ? 0.35 * jitter(m.scored[j]!) : 0)))}" cy="${f(sy(p, s))}" r="2.2"/>`);
    body.push(`<g fill="${colour}" fill-opacity="0.55">${dots.join('')}</g>`);
    if (discrete) {
      // the median per level, so the trend reads through overlapping points
      const byLevel = new Map<number, number[]>();
      for (const [tx, s] of pairs) byLevel.set(tx, [...(byLevel.get(tx) ?? []), s]);
      const line = [...byLevel.entries()].sort((a, b) => a[0] - b[0]).map(([tx, ss]) => {
        const sorted = ss.sort((a, b) => a - b);
        const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[(sorted.length >> 1) - 1]! + sorted[sorted.length >> 1]!) / 2;
        return `${f(sx(p, tx))},${f(sy(p, med))}`;
      });
      body.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${INK}" stroke-width="1.5"/>`);
    }
    const e = m.metrics;
    if (e) body.push(text(`SRCC ${e.srcc.toFixed(3)}`, p.x + 6, p.y + 6, { scale: SMALL + 1 }));
  });
  return svg(g.width, g.height, body);
}

/** Histogram bin counts of `values` over [min, max] in `bins` equal bins (max goes in the last). */
export function histogram(values: readonly number[], min: number, max: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = max > min ? Math.min(bins - 1, Math.max(0, Math.floor(((v - min) / (max - min)) * bins))) : 0;
    counts[b]!++;
  }
  return counts;
}

export function histogramsSvg(c: Comparison, bins = 24): string | null {
  const labels = c.targets.labels;
  if (!labels) return null;
  const methods = tableOrder(c.methods);
  const names = c.dataset.format === 'focuspath' ? ['|z| <= 2 (sharp)', '|z| >= 3 (blurry)'] : ['in focus (0)', 'out of focus (1)'];
  const colours = ['#4e79a7', '#e15759'];
  const g = grid(methods.length, Math.min(4, methods.length), 260, 190);
  const body = [heading(`Score histograms by label: ${names[0]} blue, ${names[1]} red (share of each class per bin)`, g.width)];
  methods.forEach((m, k) => {
    const { x, y } = g.at(k);
    const values = m.scored.map((i) => m.scores[i]!);
    const r = rangeOf(values, 0.02);
    const byClass = [0, 1].map((cls) => m.scored.filter((i) => labels[i] === cls).map((i) => m.scores[i]!));
    const shares = byClass.map((v) => histogram(v, r.min, r.max, bins).map((n) => (v.length ? n / v.length : 0)));
    const top = Math.max(0.01, ...shares.flat());
    const p: Panel = { x, y, w: 260, h: 190, xr: r, yr: { min: 0, max: top * 1.08 } };
    body.push(axes(p, m.label, 'score', 'share'));
    const bw = p.w / bins;
    shares.forEach((s, cls) => {
      const rects = s.map((v, b) => (v > 0 ? `<rect x="${f(p.x + b * bw)}" y="${f(sy(p, v))}" width="${f(bw)}" height="${f(p.y + p.h - sy(p, v))}"/>` : ''));
      body.push(`<g fill="${colours[cls]}" fill-opacity="0.45" stroke="${colours[cls]}" stroke-width="0.8">${rects.join('')}</g>`);
    });
  });
  return svg(g.width, g.height, body);
}

function legend(entries: Array<{ label: string; colour: string }>, x: number, y: number): string {
  return entries.map((e, i) => `<rect x="${x}" y="${y + i * 20}" width="14" height="14" fill="${e.colour}"/>` + text(e.label, x + 22, y + i * 20, {})).join('');
}

export function rocSvg(c: Comparison): string | null {
  const labels = c.targets.labels;
  if (!labels) return null;
  const methods = tableOrder(c.methods).filter((m) => m.metrics?.rocAuc !== undefined);
  if (methods.length === 0) return null;
  const longest = Math.max(...methods.map((m) => textWidth(`${m.label}  AUC 0.000`, FONT)));
  const width = 100 + 500 + 30 + 22 + longest + 30;
  const height = Math.max(640, 80 + methods.length * 20);
  const p: Panel = { x: 100, y: 60, w: 500, h: 500, xr: { min: 0, max: 1 }, yr: { min: 0, max: 1 } };
  const body = [axes(p, 'ROC curves (positive = blurry)', 'false positive rate', 'true positive rate')];
  body.push(`<line x1="${sx(p, 0)}" y1="${sy(p, 0)}" x2="${sx(p, 1)}" y2="${sy(p, 1)}" stroke="#999999" stroke-dasharray="5 4"/>`);
  for (const m of methods) {
    const pts = rocCurve(m.scored.map((i) => m.scores[i]!), m.scored.map((i) => labels[i]!));
    body.push(`<polyline points="${pts.map((q) => `${f(sx(p, q.fpr))},${f(sy(p, q.tpr))}`).join(' ')}" fill="none" stroke="${colourOf(c.methods.indexOf(m))}" stroke-width="2"/>`);
  }
  body.push(legend(methods.map((m) => ({ label: `${m.label}  AUC ${m.metrics!.rocAuc!.toFixed(3)}`, colour: colourOf(c.methods.indexOf(m)) })), p.x + p.w + 30, p.y + 10));
  return svg(width, height, body);
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlap = (a: Box, b: Box): number => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));

/**
 * Greedy label placement for a point: the first of eight positions around it that stays inside
 * the panel and overlaps no label or point placed so far, else the one overlapping least.
 */
function placeLabel(label: string, x: number, y: number, p: Panel, taken: Box[]): Box {
  const w = textWidth(label, SMALL + 1);
  const h = 14;
  const offsets: Array<[number, number]> = [[10, -h - 4], [10, 4], [-10 - w, -h - 4], [-10 - w, 4], [-w / 2, -h - 10], [-w / 2, 10], [12, -h / 2], [-12 - w, -h / 2]];
  let best: Box | null = null;
  let bestCost = Infinity;
  for (const [dx, dy] of offsets) {
    let box = { x0: x + dx, y0: y + dy, x1: x + dx + w, y1: y + dy + h };
    const shiftX = Math.max(0, p.x + 2 - box.x0) - Math.max(0, box.x1 - (p.x + p.w - 2));
    const shiftY = Math.max(0, p.y + 2 - box.y0) - Math.max(0, box.y1 - (p.y + p.h - 2));
    box = { x0: box.x0 + shiftX, x1: box.x1 + shiftX, y0: box.y0 + shiftY, y1: box.y1 + shiftY };
    const cost = taken.reduce((a, t) => a + overlap(box, t), 0) + (shiftX !== 0 || shiftY !== 0 ? 1 : 0);
    if (cost < bestCost) {
      best = box;
      bestCost = cost;
      if (cost === 0) break;
    }
  }
  return best!;
}

export function tradeoffSvg(c: Comparison): string | null {
  const methods = c.methods.filter((m) => m.metrics?.rocAuc !== undefined && Number.isFinite(m.msPer1024) && m.msPer1024 > 0);
  if (methods.length === 0) return null;
  const width = 860;
  const height = 680;
  const ms = methods.map((m) => m.msPer1024);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...ms)));
  const hi = Math.max(lo * 10, 10 ** Math.ceil(Math.log10(Math.max(...ms))));
  const aucs = methods.map((m) => m.metrics!.rocAuc!);
  const low = Math.max(0, Math.floor(Math.min(...aucs) * 20 - 0.5) / 20);
  const high = Math.min(1, Math.ceil(Math.max(...aucs) * 20) / 20);
  // a little room above and below, so points at the ends are not cut by the frame
  const yr = { min: low - (high - low) * 0.04, max: high + (high - low) * 0.04 };
  const p: Panel = { x: 110, y: 60, w: 700, h: 500, xr: { min: lo, max: hi }, yr, xlog: true };
  const decades: number[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) decades.push(v);
  const body = [axes(p, 'ROC-AUC vs time per 1024^2 image', 'ms per 1024^2 image (log scale)', 'ROC-AUC', decades)];
  const points = methods.map((m) => ({ m, x: sx(p, m.msPer1024), y: sy(p, m.metrics!.rocAuc!) }));
  const taken: Box[] = points.map(({ x, y }) => ({ x0: x - 8, y0: y - 8, x1: x + 8, y1: y + 8 }));
  const labels: string[] = [];
  for (const { m, x, y } of points) {
    const colour = colourOf(c.methods.indexOf(m));
    body.push(m.info.kind === 'data-driven'
      ? `<rect x="${f(x - 6)}" y="${f(y - 6)}" width="12" height="12" fill="${colour}" stroke="${INK}"/>`
      : `<circle cx="${f(x)}" cy="${f(y)}" r="7" fill="${colour}" stroke="${INK}"/>`);
    const box = placeLabel(m.label, x, y, p, taken);
    taken.push(box);
    labels.push(text(m.label, box.x0, box.y0, { scale: SMALL + 1 }));
  }
  body.push(...labels);
  const ly = p.y + p.h + 60;
  body.push(`<rect x="${p.x}" y="${ly}" width="12" height="12" fill="#999999" stroke="${INK}"/>`, text('data-driven', p.x + 20, ly));
  body.push(`<circle cx="${p.x + 206}" cy="${ly + 6}" r="7" fill="#999999" stroke="${INK}"/>`, text('knowledge-based', p.x + 220, ly));
  return svg(width, height, body);
}

/** Every plot of a comparison that applies to its dataset, by file stem. */
export function comparisonPlots(c: Comparison): Array<{ name: string; svg: string }> {
  const out: Array<{ name: string; svg: string }> = [{ name: 'scatter', svg: scatterSvg(c) }];
  for (const [name, make] of [['histograms', histogramsSvg], ['roc', rocSvg], ['tradeoff', tradeoffSvg]] as const) {
    const s = make(c);
    if (s !== null) out.push({ name, svg: s });
  }
  return out;
}
