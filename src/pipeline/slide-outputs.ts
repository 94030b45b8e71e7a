/**
 * Per-slide outputs: tile CSV, QuPath GeoJSON, heat map and out-of-focus mask PNGs, the share of
 * tissue that is out of focus, and summary statistics. Everything here is a pure function of
 * the scored tiles (level-0 pixel rectangles); writing files is the caller's job
 * (see io/atomic.ts).
 *
 * Tiles overlap (235-px crops at stride 128), so every per-area quantity (heat-map colour, mask,
 * blurred share) is computed on the non-overlapping pieces the tiles cut the plane into, each
 * piece taking the mean score of the tiles that cover it.
 */
import sharp from 'sharp';
import type { RgbImage } from '../core/image.js';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, LINE_HEIGHT, textPath, textWidth } from './pixel-font.js';

export interface ScoredTile {
  /** level-0 pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  /** model output; higher = blurrier */
  score: number;
  /** tissue fraction of the tile, 0..1 */
  tissue: number;
}

/** `relative`: PLCC-trained model, only the ranking means something; `z-level`: MSE-trained, ~|z|. */
export type ScoreScale = 'relative' | 'z-level';

const round6 = (v: number): string => (Number.isFinite(v) ? String(Number(v.toFixed(6))) : '');

// ---------------------------------------------------------------------------------------------
// CSV

/** `x,y,w,h,score,tissue_fraction` header and one row per tile (non-finite values as empty fields). */
export function tilesCsv(tiles: readonly ScoredTile[]): string {
  const lines = ['x,y,w,h,score,tissue_fraction'];
  for (const t of tiles) lines.push(`${t.x},${t.y},${t.w},${t.h},${round6(t.score)},${round6(t.tissue)}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// GeoJSON (QuPath)

export interface GeoJsonOptions {
  threshold: number;
  modelName: string;
  scale: ScoreScale;
}

export const CLASS_OUT_OF_FOCUS = { name: 'Out of focus', color: [220, 50, 47] as [number, number, number] };
export const CLASS_IN_FOCUS = { name: 'In focus', color: [40, 160, 70] as [number, number, number] };

export interface TileFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
  properties: {
    objectType: 'tile';
    classification: { name: string; color: [number, number, number] };
    measurements: Record<string, number>;
    isLocked: false;
  };
}

export interface TileFeatureCollection {
  type: 'FeatureCollection';
  features: TileFeature[];
  /** foreign member (allowed by RFC 7946, ignored by QuPath): how the classes were made */
  focuslite: { model: string; scoreScale: ScoreScale; threshold: number; tiles: number };
}

/** 32-bit FNV-1a of a string with a seed, for deterministic ids. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Deterministic UUID (RFC 9562 version 8, "custom") from a key: QuPath (>= 0.4) parses feature
 * ids with UUID.fromString and keeps them as object ids, so reruns give the same ids.
 */
export function deterministicUuid(key: string): string {
  const hex = [1, 2, 3, 4].map((s) => fnv1a(key, s * 0x9e3779b1).toString(16).padStart(8, '0')).join('');
  const chars = hex.split('');
  chars[12] = '8'; // version
  chars[16] = ((parseInt(chars[16]!, 16) & 0x3) | 0x8).toString(16); // variant 10xx
  const h = chars.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A FeatureCollection QuPath imports as tile objects (File > Import objects, or drag and drop):
 * polygons in level-0 pixel coordinates, class by score against the threshold, score and tissue
 * fraction as measurements (object form, QuPath >= 0.4). Tiles with a non-finite score are
 * left out (they were not scored).
 */
export function tilesGeoJson(tiles: readonly ScoredTile[], opts: GeoJsonOptions): TileFeatureCollection {
  checkThreshold(opts.threshold);
  const features: TileFeature[] = [];
  tiles.forEach((t, i) => {
    const f = tileFeature(t, i, opts.threshold);
    if (f) features.push(f);
  });
  return { type: 'FeatureCollection', features, focuslite: collectionInfo(opts, features.length) };
}

/**
 * The same document as `JSON.stringify(tilesGeoJson(tiles, opts))`, produced in chunks of a few
 * thousand features so a slide with hundreds of thousands of tiles is written without holding the
 * whole object graph and string in memory.
 */
export function* tilesGeoJsonChunks(tiles: readonly ScoredTile[], opts: GeoJsonOptions, featuresPerChunk = 4096): Generator<string> {
  checkThreshold(opts.threshold);
  yield '{"type":"FeatureCollection","features":[';
  let written = 0;
  let batch: string[] = [];
  for (let i = 0; i < tiles.length; i++) {
    const f = tileFeature(tiles[i]!, i, opts.threshold);
    if (!f) continue;
    batch.push(JSON.stringify(f));
    if (batch.length === featuresPerChunk) {
      yield (written > 0 ? ',' : '') + batch.join(',');
      written += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) yield (written > 0 ? ',' : '') + batch.join(',');
  written += batch.length;
  yield `],"focuslite":${JSON.stringify(collectionInfo(opts, written))}}`;
}

function checkThreshold(threshold: number): void {
  if (!Number.isFinite(threshold)) throw new Error(`Expected finite number for threshold but received ${threshold}`);
}

function collectionInfo(opts: GeoJsonOptions, tiles: number): TileFeatureCollection['focuslite'] {
  return { model: opts.modelName, scoreScale: opts.scale, threshold: opts.threshold, tiles };
}

/** One tile as a QuPath feature; null for a tile that was not scored (non-finite score). */
function tileFeature(t: ScoredTile, i: number, threshold: number): TileFeature | null {
  if (!Number.isFinite(t.score)) return null;
  const cls = t.score > threshold ? CLASS_OUT_OF_FOCUS : CLASS_IN_FOCUS;
  const { x, y, w, h } = t;
  return {
    type: 'Feature',
    id: deterministicUuid(`${i}:${x},${y},${w},${h}`),
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]] },
    properties: {
      objectType: 'tile',
      classification: { name: cls.name, color: [...cls.color] as [number, number, number] },
      measurements: { 'Focus score': t.score, 'Tissue fraction': Number.isFinite(t.tissue) ? t.tissue : 0 },
      isLocked: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Per-pixel mean score on the thumbnail

/**
 * Mean score of the tiles covering each thumbnail pixel's centre (NaN where no tile does).
 * `thumbScale` = level-0 pixels per thumbnail pixel. Tiles with a non-finite score are skipped.
 */
export function meanScoreGrid(thumbW: number, thumbH: number, thumbScale: number, tiles: readonly ScoredTile[]): Float64Array {
  checkScale(thumbScale);
  const sum = new Float64Array(thumbW * thumbH);
  const count = new Uint32Array(thumbW * thumbH);
  for (const t of tiles) {
    if (!Number.isFinite(t.score)) continue;
    // Pixel px has its centre at (px + 0.5) * scale; it is covered when x <= centre < x + w.
    const px0 = Math.max(0, Math.ceil(t.x / thumbScale - 0.5));
    const px1 = Math.min(thumbW, Math.ceil((t.x + t.w) / thumbScale - 0.5));
    const py0 = Math.max(0, Math.ceil(t.y / thumbScale - 0.5));
    const py1 = Math.min(thumbH, Math.ceil((t.y + t.h) / thumbScale - 0.5));
    for (let py = py0; py < py1; py++) {
      for (let px = px0; px < px1; px++) {
        sum[py * thumbW + px]! += t.score;
        count[py * thumbW + px]!++;
      }
    }
  }
  const out = new Float64Array(thumbW * thumbH);
  for (let i = 0; i < out.length; i++) out[i] = count[i] ? sum[i]! / count[i]! : NaN;
  return out;
}

function checkScale(s: number): void {
  if (!(s > 0) || !Number.isFinite(s)) throw new Error(`Expected positive number for thumbScale but received ${s}`);
}

// ---------------------------------------------------------------------------------------------
// Colour maps

export type Colormap = 'green-red' | 'viridis';

/** Green (sharp) -> yellow -> red (blurry): reads as good -> bad without a legend. */
const GREEN_RED: Array<[number, number, number]> = [
  [26, 150, 65], [120, 198, 90], [250, 230, 100], [245, 140, 60], [215, 35, 35],
];
/** Viridis sampled at 10 points (perceptually uniform, colour-blind safe). */
const VIRIDIS: Array<[number, number, number]> = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];

/** Colour of t in [0, 1] (clamped) by piecewise-linear interpolation of the map's stops. */
export function colourAt(t: number, map: Colormap = 'green-red'): [number, number, number] {
  const stops = map === 'viridis' ? VIRIDIS : GREEN_RED;
  const v = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(v));
  const f = v - i;
  const a = stops[i]!, b = stops[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

/** Sampled colour map (LUT_SIZE steps, far finer than 8-bit colour can show), flat RGB. */
const LUT_SIZE = 1024;
function colourLut(map: Colormap): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) lut.set(colourAt(i / (LUT_SIZE - 1), map), i * 3);
  return lut;
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** Linear-interpolated percentile (numpy's default) of ascending-sorted values; p in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface SummaryStats {
  count: number;
  mean: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** Mean, median, 90th percentile, min and max of the finite scores (NaN for all when there are none; JSON writes NaN as null). */
export function summaryStats(scores: ArrayLike<number>): SummaryStats {
  const v = Array.from(scores).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { count: 0, mean: NaN, median: NaN, p90: NaN, min: NaN, max: NaN };
  let sum = 0;
  for (const x of v) sum += x;
  return {
    count: v.length, mean: sum / v.length, median: percentileSorted(v, 50), p90: percentileSorted(v, 90),
    min: v[0]!, max: v[v.length - 1]!,
  };
}

// ---------------------------------------------------------------------------------------------
// Colour range and legend

export interface HeatmapOptions {
  scale: ScoreScale;
  threshold: number;
  /** colour range [lo, hi]; default [0, 8] for z-level, per-slide 5th..95th percentile for relative */
  fixedRange?: [number, number];
  colormap?: Colormap;
  /** overlay opacity 0..1 (default 0.5) */
  alpha?: number;
  /**
   * Tissue mask at thumbnail size (1 = tissue); pixels outside it stay uncoloured even inside a
   * scored tile, so glass never looks in or out of focus.
   */
  tissueMask?: Uint8Array;
}

export interface ColourRange {
  lo: number;
  hi: number;
  /** the legend line printed under the map */
  legend: string;
  fixed: boolean;
}

/** Default colour range of a z-level (MSE) model: z 0 (sharp) .. 8 (far out of focus). */
export const Z_LEVEL_RANGE: [number, number] = [0, 8];

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(1);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

/** Colour range and legend: fixed for z-level models, per-slide 5th..95th percentile for relative ones. */
export function colourRange(tiles: readonly ScoredTile[], opts: Pick<HeatmapOptions, 'scale' | 'fixedRange'>): ColourRange {
  const model = opts.scale === 'z-level' ? 'MSE model' : 'PLCC model';
  const fixed = opts.fixedRange ?? (opts.scale === 'z-level' ? Z_LEVEL_RANGE : undefined);
  if (fixed) {
    const [lo, hi] = fixed;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new Error(`Expected fixedRange [lo, hi] with lo < hi but received [${lo}, ${hi}]`);
    }
    const what = opts.scale === 'z-level' ? 'z-level' : 'relative';
    return { lo, hi, legend: `fixed scale: ${what} ${formatTick(lo)}..${formatTick(hi)} (${model})`, fixed: true };
  }
  const v = tiles.map((t) => t.score).filter(Number.isFinite).sort((a, b) => a - b);
  let lo = percentileSorted(v, 5), hi = percentileSorted(v, 95);
  if (!Number.isFinite(lo)) lo = hi = 0;
  // A constant slide still needs a non-empty range: centre it so every tile gets the middle colour.
  if (!(hi > lo)) {
    const pad = Math.max(Math.abs(lo) * 0.05, 0.5);
    lo -= pad;
    hi += pad;
  }
  return { lo, hi, legend: `per-slide normalised: relative scores (${model}), 5th..95th percentile`, fixed: false };
}

// ---------------------------------------------------------------------------------------------
// Heat map

export interface HeatmapLayout {
  width: number;
  height: number;
  /** top of the legend panel (= thumbnail height) */
  panelTop: number;
  textScale: number;
  bar: { x: number; y: number; width: number; height: number };
}

/** Geometry of the heat-map PNG: the thumbnail at the top-left, a legend panel below it. */
export function heatmapLayout(thumbW: number, thumbH: number, legend: string): HeatmapLayout {
  // Text and bar grow with the thumbnail so the legend stays readable beside it (x1 up to ~750 px).
  const s = Math.max(1, Math.min(3, Math.round(thumbW / 500)));
  const m = 8 * s;
  const line = LINE_HEIGHT * s;
  // 'sharp' left of the bar, 'blurry' right of it, each with a 2-glyph gap.
  const leftW = textWidth(END_LABELS[0], s) + 2 * GLYPH_ADVANCE * s;
  const rightW = textWidth(END_LABELS[1], s) + 2 * GLYPH_ADVANCE * s;
  const minBar = 200 * s;
  const width = Math.max(thumbW, textWidth(legend, s) + 2 * m, m + leftW + minBar + rightW + m);
  const barW = Math.min(width - 2 * m - leftW - rightW, 360 * s);
  // panel rows: margin, legend line, threshold label line, bar, tick marks, tick labels, margin
  const bar = { x: m + leftW, y: thumbH + m + line + line + 2 * s, width: barW, height: 12 * s };
  const height = bar.y + bar.height + 4 * s + line + m;
  return { width, height, panelTop: thumbH, textScale: s, bar };
}

const END_LABELS = ['sharp', 'blurry'] as const;

/**
 * Thumbnail with a semi-transparent colour overlay of the tile scores (mean of overlapping
 * tiles per pixel), and below it a colour bar with tick labels, the threshold marker and the
 * legend line. Pixels not covered by a tile (or outside `tissueMask`) keep their own colour.
 */
export async function renderHeatmap(
  thumb: RgbImage, thumbScale: number, tiles: readonly ScoredTile[], opts: HeatmapOptions,
): Promise<Buffer> {
  const alpha = opts.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`Expected number between 0 and 1 for alpha but received ${alpha}`);
  if (!Number.isFinite(opts.threshold)) throw new Error(`Expected finite number for threshold but received ${opts.threshold}`);
  const { width: tw, height: th } = thumb;
  if (opts.tissueMask && opts.tissueMask.length !== tw * th) {
    throw new Error(`Expected a ${tw}x${th} tissue mask (${tw * th} values) but received ${opts.tissueMask.length}`);
  }
  const map = opts.colormap ?? 'green-red';
  const range = colourRange(tiles, opts);
  const layout = heatmapLayout(tw, th, range.legend);
  const mean = meanScoreGrid(tw, th, thumbScale, tiles);
  const lut = colourLut(map);

  const W = layout.width;
  const out = Buffer.alloc(W * layout.height * 3, 255);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const i = y * tw + x;
      const o = (y * W + x) * 3;
      const r = thumb.data[i * 3]!, g = thumb.data[i * 3 + 1]!, b = thumb.data[i * 3 + 2]!;
      const m = mean[i]!;
      if (Number.isNaN(m) || (opts.tissueMask && !opts.tissueMask[i])) {
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
        continue;
      }
      const t = (m - range.lo) / (range.hi - range.lo);
      const k = 3 * Math.round((t <= 0 ? 0 : t >= 1 ? 1 : t) * (LUT_SIZE - 1));
      out[o] = Math.round((1 - alpha) * r + alpha * lut[k]!);
      out[o + 1] = Math.round((1 - alpha) * g + alpha * lut[k + 1]!);
      out[o + 2] = Math.round((1 - alpha) * b + alpha * lut[k + 2]!);
    }
  }
  const svg = legendSvg(layout, range, opts.threshold, map);
  return sharp(out, { raw: { width: W, height: layout.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), left: 0, top: layout.panelTop }])
    .png()
    .toBuffer();
}

/** The legend panel as SVG (bar as one rect per pixel column so it matches the overlay colours exactly). */
function legendSvg(L: HeatmapLayout, range: ColourRange, threshold: number, map: Colormap): string {
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
  let text = textPath(range.legend, m, m, s);
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

// ---------------------------------------------------------------------------------------------
// Out-of-focus mask

/**
 * Out-of-focus mask at thumbnail size as a greyscale PNG: 255 where the mean score of the tiles
 * covering the pixel centre is above the threshold, 0 elsewhere (also where no tile is). With a
 * tissue mask (thumbnail size), glass inside blurred tiles stays 0.
 */
export async function renderMask(
  thumbW: number, thumbH: number, thumbScale: number, tiles: readonly ScoredTile[], threshold: number,
  tissueMask?: Uint8Array,
): Promise<Buffer> {
  if (!Number.isFinite(threshold)) throw new Error(`Expected finite number for threshold but received ${threshold}`);
  if (tissueMask && tissueMask.length !== thumbW * thumbH) {
    throw new Error(`Expected a ${thumbW}x${thumbH} tissue mask (${thumbW * thumbH} values) but received ${tissueMask.length}`);
  }
  const mean = meanScoreGrid(thumbW, thumbH, thumbScale, tiles);
  const px = Buffer.alloc(thumbW * thumbH);
  for (let i = 0; i < px.length; i++) px[i] = mean[i]! > threshold && (!tissueMask || tissueMask[i]) ? 255 : 0;
  // b-w keeps the PNG single-channel (sharp would otherwise promote it to sRGB).
  return sharp(px, { raw: { width: thumbW, height: thumbH, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

// ---------------------------------------------------------------------------------------------
// Blurred share of tissue

export interface BlurShareOptions {
  /** µm per level-0 pixel: adds areas in mm² */
  mpp?: number;
  /**
   * Exact tissue fraction of a level-0 rectangle (e.g. tissueFractionOfRect on the tissue mask).
   * Without it, a piece's tissue fraction is the mean of the tissue fractions of its tiles.
   */
  tissueOfRect?: (x: number, y: number, w: number, h: number) => number;
}

export interface BlurShare {
  /** numerator / denominator; NaN when there is no tissue (JSON writes null) */
  share: number;
  /** tissue area (level-0 px²) whose mean tile score is above the threshold */
  numerator: number;
  /** tissue area (level-0 px²) covered by scored tiles, each point counted once */
  denominator: number;
  numerator_mm2?: number;
  denominator_mm2?: number;
  /** number of non-overlapping pieces the tiles cut the plane into */
  pieces: number;
}

function upperBound(sorted: readonly number[], v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Share of the tissue area that is out of focus. The tiles' edges cut the plane into
 * non-overlapping rectangular pieces (at stride 128 with 235-px tiles, strips of 128-107 and
 * 107 px); each piece gets the mean score and the tissue fraction of the tiles covering it, and
 *   numerator   = sum over pieces with mean score > threshold of tissue * area,
 *   denominator = sum over all covered pieces of tissue * area,
 * so overlapping tiles never count an area twice. Tiles with a non-finite score are ignored.
 */
export function blurShare(tiles: readonly ScoredTile[], threshold: number, opts: BlurShareOptions = {}): BlurShare {
  if (!Number.isFinite(threshold)) throw new Error(`Expected finite number for threshold but received ${threshold}`);
  if (opts.mpp !== undefined && !(opts.mpp > 0)) throw new Error(`Expected positive number for mpp but received ${opts.mpp}`);
  const scored = tiles.filter((t) => Number.isFinite(t.score) && t.w > 0 && t.h > 0);
  const xs = [...new Set(scored.flatMap((t) => [t.x, t.x + t.w]))].sort((a, b) => a - b);
  const ys = [...new Set(scored.flatMap((t) => [t.y, t.y + t.h]))].sort((a, b) => a - b);
  const nx = xs.length, ny = ys.length;
  const pieceCount = Math.max(0, nx - 1) * Math.max(0, ny - 1);
  // Accumulate per piece: dense typed arrays when the piece grid is modest (any regular tile
  // grid: ~4 pieces per tile), a sparse map for scattered tiles whose edge grid would explode.
  const dense = pieceCount <= 16_000_000;
  const sumScore = dense ? new Float64Array(pieceCount) : null;
  const sumTissue = dense ? new Float64Array(pieceCount) : null;
  const count = dense ? new Uint32Array(pieceCount) : null;
  const sparse = dense ? null : new Map<number, { score: number; tissue: number; n: number }>();
  const W = nx - 1;
  for (const t of scored) {
    const i0 = upperBound(xs, t.x) - 1, i1 = upperBound(xs, t.x + t.w) - 1;
    const j0 = upperBound(ys, t.y) - 1, j1 = upperBound(ys, t.y + t.h) - 1;
    const tissue = Number.isFinite(t.tissue) ? Math.min(1, Math.max(0, t.tissue)) : 0;
    for (let j = j0; j < j1; j++) {
      for (let i = i0; i < i1; i++) {
        const key = j * W + i;
        if (dense) {
          sumScore![key]! += t.score;
          sumTissue![key]! += tissue;
          count![key]!++;
          continue;
        }
        const a = sparse!.get(key);
        if (a) {
          a.score += t.score;
          a.tissue += tissue;
          a.n++;
        } else sparse!.set(key, { score: t.score, tissue, n: 1 });
      }
    }
  }
  let numerator = 0, denominator = 0, pieces = 0;
  const addPiece = (key: number, score: number, tissueSum: number, n: number) => {
    const i = key % W, j = (key - i) / W;
    const x = xs[i]!, y = ys[j]!, w = xs[i + 1]! - x, h = ys[j + 1]! - y;
    const tissue = opts.tissueOfRect ? opts.tissueOfRect(x, y, w, h) : tissueSum / n;
    const area = tissue * w * h;
    denominator += area;
    if (score / n > threshold) numerator += area;
    pieces++;
  };
  if (dense) {
    for (let k = 0; k < pieceCount; k++) if (count![k]) addPiece(k, sumScore![k]!, sumTissue![k]!, count![k]!);
  } else {
    for (const [k, a] of sparse!) addPiece(k, a.score, a.tissue, a.n);
  }
  const result: BlurShare = { share: denominator > 0 ? numerator / denominator : NaN, numerator, denominator, pieces };
  if (opts.mpp !== undefined) {
    const mm2 = (opts.mpp * opts.mpp) / 1e6;
    result.numerator_mm2 = numerator * mm2;
    result.denominator_mm2 = denominator * mm2;
  }
  return result;
}
