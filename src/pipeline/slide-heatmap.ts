/**
 * The heat map: the thumbnail under a semi-transparent colour overlay of the tile scores, a legend
 * panel below; the pixels and the SVG panel are built here, the PNG is encoded in io
 * (encode.pngWithPanel).
 */
import { pngWithPanel, type RawPixels } from '../io/encode.js';
import type { RgbImage } from '../core/image.js';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, LINE_HEIGHT, textPath, textWidth } from './pixel-font.js';
import { finite, finiteNumber } from '../core/check.js';
import { LUT_SIZE, cellScoreGrid, checkMask, legendScale, colourAt, colourLut, colourRange, formatTick, heatmapLegendLines, type Colormap, type ColourRange, type HeatmapOptions } from './slide-colours.js';
import { type MappedTile } from './slide-tiles.js';

export interface HeatmapLayout {
  width: number;
  height: number;
  /** top of the legend panel (= thumbnail height) */
  panelTop: number;
  textScale: number;
  bar: { x: number; y: number; width: number; height: number };
}

/** Geometry of the heat-map PNG: the thumbnail at the top-left, a legend panel below it. */
export function heatmapLayout(thumbW: number, thumbH: number, lines: readonly string[]): HeatmapLayout {
  const s = legendScale(thumbW);
  const m = 8 * s;
  const line = LINE_HEIGHT * s;
  // 'sharp' left of the bar, 'blurry' right of it, each with a 2-glyph gap.
  const leftW = textWidth(END_LABELS[0], s) + 2 * GLYPH_ADVANCE * s;
  const rightW = textWidth(END_LABELS[1], s) + 2 * GLYPH_ADVANCE * s;
  const minBar = 200 * s;
  const text = Math.max(0, ...lines.map((l) => textWidth(l, s)));
  const width = Math.max(thumbW, text + 2 * m, m + leftW + minBar + rightW + m);
  const barW = Math.min(width - 2 * m - leftW - rightW, 360 * s);
  // panel rows: margin, legend lines, threshold label line, bar, tick marks, tick labels, margin
  const bar = { x: m + leftW, y: thumbH + m + lines.length * line + line + 2 * s, width: barW, height: 12 * s };
  const height = bar.y + bar.height + 4 * s + line + m;
  return { width, height, panelTop: thumbH, textScale: s, bar };
}

const END_LABELS = ['sharp', 'blurry'] as const;

/** Grey drawn over tissue that was not scored (blended like the colours, on the pixel's luminance). */
const NOT_SCORED_GREY = 128;

/**
 * Thumbnail with a semi-transparent colour overlay of the tile scores (each pixel takes the score
 * of the map cell it lies in), and below it the legend lines, a colour bar with tick labels and
 * the threshold marker. Pixels outside `tissueMask` keep their own colour; tissue pixels outside
 * every scored cell are drawn grey.
 */
export async function renderHeatmap(
  thumb: RgbImage, thumbScale: number, tiles: readonly MappedTile[], opts: HeatmapOptions,
): Promise<Buffer> {
  const m = buildHeatmap(thumb, thumbScale, tiles, opts);
  return pngWithPanel(m.pixels, m.panel, m.panelTop, m.overlay);
}

/** A map to encode: its pixels, the SVG panel drawn from row `panelTop`, and an SVG drawn over the whole image, if any. */
export interface MapImage {
  readonly pixels: RawPixels;
  readonly panel: string;
  readonly panelTop: number;
  readonly overlay?: string;
}

/** The heat map's pixels and SVG parts (pure: what renderHeatmap encodes, and what a browser could draw). */
export function buildHeatmap(thumb: RgbImage, thumbScale: number, tiles: readonly MappedTile[], opts: HeatmapOptions): MapImage {
  const alpha = opts.alpha ?? 0.5;
  finiteNumber('alpha', alpha, 0, 1);
  finite('threshold', opts.threshold);
  const { width: tw, height: th } = thumb;
  checkMask(opts.tissueMask, tw, th);
  const map = opts.colormap ?? 'green-red';
  const range = colourRange(tiles, opts);
  const lines = heatmapLegendLines(range, opts);
  const layout = heatmapLayout(tw, th, lines);
  const scores = cellScoreGrid(tw, th, thumbScale, tiles);
  const lut = colourLut(map);

  const W = layout.width;
  const out = new Uint8Array(W * layout.height * 3).fill(255);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const i = y * tw + x;
      const o = (y * W + x) * 3;
      const r = thumb.data[i * 3]!, g = thumb.data[i * 3 + 1]!, b = thumb.data[i * 3 + 2]!;
      const m = scores[i]!;
      if (opts.tissueMask && !opts.tissueMask[i]) {
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
      } else if (Number.isNaN(m)) {
        // Tissue outside every scored cell.
        const v = Math.round((1 - alpha) * (0.299 * r + 0.587 * g + 0.114 * b) + alpha * NOT_SCORED_GREY);
        out[o] = out[o + 1] = out[o + 2] = v;
      } else {
        const t = (m - range.lo) / (range.hi - range.lo);
        const k = 3 * Math.round((t <= 0 ? 0 : t >= 1 ? 1 : t) * (LUT_SIZE - 1));
        out[o] = Math.round((1 - alpha) * r + alpha * lut[k]!);
        out[o + 1] = Math.round((1 - alpha) * g + alpha * lut[k + 1]!);
        out[o + 2] = Math.round((1 - alpha) * b + alpha * lut[k + 2]!);
      }
    }
  }
  const svg = legendSvg(layout, lines, range, opts.threshold, map);
  return { pixels: { width: W, height: layout.height, channels: 3, data: out }, panel: svg, panelTop: layout.panelTop, ...(opts.banner ? { overlay: bannerSvg(opts.banner, tw, th) } : {}) };
}

/** The banner as SVG over the thumbnail: the largest text scale (up to 4) whose box fits its width. */
export function bannerSvg(text: string, w: number, h: number): string {
  let s = 4;
  while (s > 1 && textWidth(text, s) + 8 * s > w) s--;
  const tw = textWidth(text, s), bw = Math.min(w, tw + 8 * s), bh = GLYPH_HEIGHT * s + 8 * s;
  const x = Math.max(0, Math.round((w - bw) / 2)), y = Math.max(0, Math.round((h - bh) / 2));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" shape-rendering="crispEdges">` +
    `<rect x="${x}" y="${y}" width="${bw}" height="${bh}" fill="white" stroke="black" stroke-width="${s}"/>` +
    `<path d="${textPath(text, x + Math.round((bw - tw) / 2), y + 4 * s, s)}" fill="black"/>` +
    `</svg>`
  );
}

/** The legend panel as SVG (bar as one rect per pixel column so it matches the overlay colours exactly). */
function legendSvg(L: HeatmapLayout, lines: readonly string[], range: ColourRange, threshold: number, map: Colormap): string {
  const s = L.textScale;
  const top = L.panelTop;
  const m = 8 * s;
  const line = LINE_HEIGHT * s;
  const bar = { ...L.bar, y: L.bar.y - top };
  const rects: string[] = [];
  for (let i = 0; i < bar.width; i++) {
    const [r, g, b] = colourAt((i + 0.5) / bar.width, map);
    rects.push(`<rect x="${bar.x + i}" y="${bar.y}" width="1" height="${bar.height}" fill="rgb(${r},${g},${b})"/>`);
  }
  let text = lines.map((l, k) => textPath(l, m, m + k * line, s)).join('');
  // End labels beside the bar, vertically centred on it.
  const endY = bar.y + Math.round((bar.height - GLYPH_HEIGHT * s) / 2);
  text += textPath(END_LABELS[0], bar.x - GLYPH_ADVANCE * s - textWidth(END_LABELS[0], s), endY, s);
  text += textPath(END_LABELS[1], bar.x + bar.width + GLYPH_ADVANCE * s, endY, s);
  // Ticks: five evenly spaced values across the range, labels centred under them.
  let ticks = '';
  for (let k = 0; k <= 4; k++) {
    const v = range.lo + (k / 4) * (range.hi - range.lo);
    const x = bar.x + Math.round((k / 4) * (bar.width - s));
    ticks += `<rect x="${x}" y="${bar.y + bar.height}" width="${s}" height="${3 * s}" fill="black"/>`;
    const label = formatTick(v);
    const lw = textWidth(label, s);
    const lx = Math.min(Math.max(x - Math.floor(lw / 2), 0), L.width - lw);
    text += textPath(label, lx, bar.y + bar.height + 4 * s, s);
  }
  // Threshold marker: a dark line across the bar, labelled on the line above it (centred on the
  // marker, kept inside the panel).
  const tPos = (threshold - range.lo) / (range.hi - range.lo);
  const inRange = tPos >= 0 && tPos <= 1;
  const tx = bar.x + Math.round(Math.min(1, Math.max(0, tPos)) * (bar.width - 2 * s));
  const marker = `<rect x="${tx}" y="${bar.y - 2 * s}" width="${2 * s}" height="${bar.height + 4 * s}" fill="black"/>`;
  const tLabel = `threshold ${formatTick(threshold)}${inRange ? '' : tPos < 0 ? ' (below range)' : ' (above range)'}`;
  const tlw = textWidth(tLabel, s);
  const tlx = Math.min(Math.max(tx + s - Math.floor(tlw / 2), m), L.width - m - tlw);
  text += textPath(tLabel, tlx, bar.y - line, s);
  const height = L.height - top;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" shape-rendering="crispEdges">` +
    rects.join('') +
    `<rect x="${bar.x}" y="${bar.y}" width="${bar.width}" height="${bar.height}" fill="none" stroke="black" stroke-width="${Math.max(1, s / 2)}"/>` +
    ticks + marker +
    `<path d="${text}" fill="black"/>` +
    `</svg>`
  );
}
