/**
 * Per-slide outputs: tile CSV, QuPath GeoJSON, heat map and out-of-focus mask PNGs, the share of
 * tissue that is out of focus, and summary statistics. Everything here is a pure function of
 * the scored tiles (level-0 pixel rectangles); writing files is the caller's job
 * (see io/atomic.ts).
 *
 * Tiles overlap (235-px crops at stride 128), so every per-area quantity (heat-map colour, mask,
 * blurred share, GeoJSON cells) uses the tiles' map cells instead: the non-overlapping pieces
 * that pixels nearest to each crop's centre form (see cellBounds in slide-grid.ts). Each cell
 * shows its own crop's score, unmixed, so a single blurred crop is one solid square, never a
 * "+" of thin strips where averages of overlapping crops cross the threshold.
 */
import { csvDocument, round6 } from '../core/csv.js';
import { pngWithPanel } from '../io/encode.js';
import type { RgbImage } from '../core/image.js';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, LINE_HEIGHT, textPath, textWidth } from './pixel-font.js';
import { finite, finiteNumber, positiveNumber } from '../core/check.js';

export interface ScoredTile {
  /** level-0 pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  /** the crop's score after the scale rule (core/score.ts applyScaleRule); higher = blurrier */
  score: number;
  /** tissue fraction of the tile, 0..1 */
  tissue: number;
  /** the part of the plane this tile stands for in maps and areas (see MapCell) */
  cell?: MapCell;
}

/**
 * A tile's map cell (level-0 pixels): the pixels nearer to this crop's centre than to any other
 * crop's of the grid. Cells of one grid never overlap and together cover the whole slide.
 */
export interface MapCell {
  x: number;
  y: number;
  w: number;
  h: number;
  /** tissue fraction of the cell (tissue pixels only), 0..1 */
  tissue: number;
}

/** A tile with its map cell: what the maps, the blurred share and cell GeoJSON need. */
export type MappedTile = ScoredTile & { cell: MapCell };

/**
 * The map cell of crop (col, row) from per-axis cell bounds (slide-grid.ts cellBounds), with its
 * tissue fraction from `tissueOf` (default: the whole cell is tissue, for plain images).
 */
export function mapCell(
  bounds: { xs: readonly number[]; ys: readonly number[] }, col: number, row: number,
  tissueOf: (x: number, y: number, w: number, h: number) => number = () => 1,
): MapCell {
  const x = bounds.xs[col]!, y = bounds.ys[row]!;
  const w = bounds.xs[col + 1]! - x, h = bounds.ys[row + 1]! - y;
  if (!(w > 0 && h > 0)) throw new Error(`Expected a crop column and row inside the grid but received (${col}, ${row})`);
  return { x, y, w, h, tissue: tissueOf(x, y, w, h) };
}

/** `relative`: PLCC-trained model, only the ranking means something; `z-level`: MSE-trained, ~|z|. */
export type ScoreScale = 'relative' | 'z-level';


// ---------------------------------------------------------------------------------------------
// CSV

export const TILES_CSV_HEADER = 'x,y,w,h,score,tissue_fraction,cell_x,cell_y,cell_w,cell_h,cell_tissue_fraction';

/**
 * Header and one row per tile: the crop (`x,y,w,h`, its score and tissue fraction), then its map
 * cell (empty fields for a tile without one); non-finite values are empty fields. The blurred
 * share is a function of these rows alone (see blurShare).
 */
export function tilesCsv(tiles: readonly ScoredTile[]): string {
  return csvDocument(TILES_CSV_HEADER.split(','), tiles.map((t) => {
    const c = t.cell;
    return [t.x, t.y, t.w, t.h, round6(t.score), round6(t.tissue), c?.x, c?.y, c?.w, c?.h, c ? round6(c.tissue) : null];
  }));
}

/**
 * Tiles back from tilesCsv's text (scores and fractions as written: 6 decimals), for a verdict
 * recomputed from stored scores. Throws a one-line reason on any malformed row.
 */
export function parseTilesCsv(text: string): MappedTile[] {
  const lines = text.split('\n');
  if (lines[0] !== TILES_CSV_HEADER) throw new Error('tiles.csv header is not the expected one');
  if (lines[lines.length - 1] !== '') throw new Error('tiles.csv is truncated (no final newline)');
  const tiles: MappedTile[] = [];
  for (let i = 1; i < lines.length - 1; i++) {
    const f = lines[i]!.split(',');
    const v = f.map((s) => (s === '' ? NaN : Number(s)));
    if (f.length !== 11 || [0, 1, 2, 3, 6, 7, 8, 9].some((k) => !Number.isInteger(v[k])) || !Number.isFinite(v[5]!) || !Number.isFinite(v[10]!)) {
      throw new Error(`tiles.csv line ${i + 1} is malformed`);
    }
    tiles.push({ x: v[0]!, y: v[1]!, w: v[2]!, h: v[3]!, score: v[4]!, tissue: v[5]!, cell: { x: v[6]!, y: v[7]!, w: v[8]!, h: v[9]!, tissue: v[10]! } });
  }
  return tiles;
}

// ---------------------------------------------------------------------------------------------
// GeoJSON (QuPath)

export interface GeoJsonOptions {
  threshold: number;
  modelName: string;
  scale: ScoreScale;
  /**
   * `crops` (default): one square per scored crop; neighbouring crops overlap (235 px at stride
   * 128), so summed areas count most tissue several times. `cells`: one polygon per crop's map
   * cell (non-overlapping, covering the scored tissue once), for area measurements in QuPath.
   */
  polygons?: GeoJsonPolygons;
}

export type GeoJsonPolygons = 'crops' | 'cells';

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
  focuslite: { model: string; scoreScale: ScoreScale; threshold: number; tiles: number; polygons: GeoJsonPolygons; note: string };
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
 * polygons in level-0 pixel coordinates (the crops, or their map cells with `polygons: 'cells'`),
 * class by score against the threshold, score and tissue fraction as measurements (object form,
 * QuPath >= 0.4). Tiles with a non-finite score are left out (they were not scored).
 */
export function tilesGeoJson(tiles: readonly ScoredTile[], opts: GeoJsonOptions): TileFeatureCollection {
  checkThreshold(opts.threshold);
  const features: TileFeature[] = [];
  tiles.forEach((t, i) => {
    const f = tileFeature(t, i, opts);
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
    const f = tileFeature(tiles[i]!, i, opts);
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
  finite('threshold', threshold);
}

const POLYGON_NOTES: Record<GeoJsonPolygons, string> = {
  crops: 'one square per scored crop; neighbouring crops overlap (235 px at stride 128 by default), so do not add up their areas (see --geojson-cells)',
  cells: 'one polygon per scored crop: its map cell, the pixels nearest to its centre; cells never overlap, so their areas add up',
};

function collectionInfo(opts: GeoJsonOptions, tiles: number): TileFeatureCollection['focuslite'] {
  const polygons = opts.polygons ?? 'crops';
  return { model: opts.modelName, scoreScale: opts.scale, threshold: opts.threshold, tiles, polygons, note: POLYGON_NOTES[polygons] };
}

/** One tile as a QuPath feature; null for a tile that was not scored (non-finite score). */
function tileFeature(t: ScoredTile, i: number, opts: GeoJsonOptions): TileFeature | null {
  if (!Number.isFinite(t.score)) return null;
  const cls = t.score > opts.threshold ? CLASS_OUT_OF_FOCUS : CLASS_IN_FOCUS;
  const cells = opts.polygons === 'cells';
  if (cells && !t.cell) throw new Error(`Expected a map cell for the tile at (${t.x}, ${t.y}) to write cell polygons`);
  const { x, y, w, h } = cells ? t.cell! : t;
  const tissue = cells ? t.cell!.tissue : t.tissue;
  return {
    type: 'Feature',
    id: deterministicUuid(`${cells ? 'cell:' : ''}${i}:${x},${y},${w},${h}`),
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]] },
    properties: {
      objectType: 'tile',
      classification: { name: cls.name, color: [...cls.color] as [number, number, number] },
      measurements: { 'Focus score': t.score, 'Tissue fraction': Number.isFinite(tissue) ? tissue : 0 },
      isLocked: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Per-pixel score on the thumbnail

/**
 * Score of the map cell holding each thumbnail pixel's centre (NaN where no scored tile's cell
 * does). `thumbScale` = level-0 pixels per thumbnail pixel. Tiles with a non-finite score are
 * skipped. Cells must not overlap (one grid's never do).
 */
export function cellScoreGrid(thumbW: number, thumbH: number, thumbScale: number, tiles: readonly MappedTile[]): Float64Array {
  checkScale(thumbScale);
  const out = new Float64Array(thumbW * thumbH).fill(NaN);
  for (const t of tiles) {
    if (!Number.isFinite(t.score)) continue;
    const c = t.cell;
    if (!c) throw new Error(`Expected a map cell for the tile at (${t.x}, ${t.y})`);
    // Pixel px has its centre at (px + 0.5) * scale; it is inside when x <= centre < x + w.
    const px0 = Math.max(0, Math.ceil(c.x / thumbScale - 0.5));
    const px1 = Math.min(thumbW, Math.ceil((c.x + c.w) / thumbScale - 0.5));
    const py0 = Math.max(0, Math.ceil(c.y / thumbScale - 0.5));
    const py1 = Math.min(thumbH, Math.ceil((c.y + c.h) / thumbScale - 0.5));
    for (let py = py0; py < py1; py++) {
      for (let px = px0; px < px1; px++) {
        const i = py * thumbW + px;
        if (!Number.isNaN(out[i]!)) throw new Error(`Expected non-overlapping map cells but the cell at (${c.x}, ${c.y}) overlaps another`);
        out[i] = t.score;
      }
    }
  }
  return out;
}

function checkScale(s: number): void {
  positiveNumber('thumbScale', s);
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
   * Tissue pixels at thumbnail size (1 = tissue). Pixels outside it stay uncoloured even inside a
   * scored cell, so glass never looks in or out of focus; tissue pixels outside every scored cell
   * are drawn grey (tissue not scored). Without it every pixel counts as tissue.
   */
  tissueMask?: Uint8Array;
  /** the --min-tissue of the run, quoted in the legend's line about grey */
  minTissue?: number;
  /** extra legend lines (e.g. why nothing is coloured) */
  notes?: readonly string[];
  /**
   * A label drawn large in a white box over the middle of the thumbnail, for a slide without a
   * verdict ("NO TISSUE FOUND"), so the picture cannot be mistaken for a map of a good slide.
   */
  banner?: string;
  /** what produced the scores, for the legend (default: "MSE model" / "PLCC model" by scale) */
  scoreLabel?: string;
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
export function colourRange(tiles: readonly ScoredTile[], opts: Pick<HeatmapOptions, 'scale' | 'fixedRange' | 'scoreLabel'>): ColourRange {
  const model = opts.scoreLabel ?? (opts.scale === 'z-level' ? 'MSE model' : 'PLCC model');
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

const percent = (f: number): string => `${Number((f * 100).toFixed(1))}%`;

/** What grey means on the maps, with the run's --min-tissue when known. */
function notScoredText(minTissue?: number): string {
  return minTissue === undefined ? 'tissue not scored' : `tissue not scored (crop < ${percent(minTissue)} tissue)`;
}

/** The legend lines of a heat map, top to bottom (the colour bar and threshold follow them). */
export function heatmapLegendLines(range: ColourRange, opts: Pick<HeatmapOptions, 'tissueMask' | 'minTissue' | 'notes'>): string[] {
  const lines = [range.legend];
  if (opts.tissueMask) lines.push(`grey: ${notScoredText(opts.minTissue)}; glass, debris, pen uncoloured`);
  lines.push('each square shows the crop centred on it; edges take the nearest crop');
  return [...lines, ...(opts.notes ?? [])];
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

/** Text scale of a legend beside a thumbnail this wide: grows with it so it stays readable. */
function legendScale(thumbW: number): number {
  return Math.max(1, Math.min(3, Math.round(thumbW / 500)));
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
  const out = Buffer.alloc(W * layout.height * 3, 255);
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
  return pngWithPanel({ width: W, height: layout.height, channels: 3, data: out }, svg, layout.panelTop, opts.banner ? bannerSvg(opts.banner, tw, th) : undefined);
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

function checkMask(mask: Uint8Array | undefined, w: number, h: number): void {
  if (mask && mask.length !== w * h) throw new Error(`Expected a ${w}x${h} tissue mask (${w * h} values) but received ${mask.length}`);
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

// ---------------------------------------------------------------------------------------------
// Out-of-focus mask

/** Grey levels of the mask PNG. Only out-of-focus tissue is above 127, so `> 127` selects it. */
export const MASK_LEVELS = { outOfFocus: 255, notScored: 120, inFocus: 60, background: 0 } as const;

export interface MaskOptions {
  /** tissue pixels at thumbnail size (1 = tissue); without it every pixel counts as tissue */
  tissueMask?: Uint8Array;
  /** the --min-tissue of the run, quoted in the legend */
  minTissue?: number;
  /** extra legend lines */
  notes?: readonly string[];
}

export interface MaskLayout {
  width: number;
  height: number;
  /** top of the legend panel: rows [0, panelTop) are the mask, at thumbnail size */
  panelTop: number;
  textScale: number;
}

/** The legend entries of the mask: grey level and meaning, top to bottom. */
export function maskLegend(threshold: number, minTissue?: number): Array<{ level: number; text: string }> {
  return [
    { level: MASK_LEVELS.outOfFocus, text: `white: tissue out of focus (score > ${formatTick(threshold)})` },
    { level: MASK_LEVELS.inFocus, text: `dark grey: tissue in focus (score <= ${formatTick(threshold)})` },
    { level: MASK_LEVELS.notScored, text: `mid grey: ${notScoredText(minTissue)}` },
    { level: MASK_LEVELS.background, text: 'black: glass, background, pen' },
  ];
}

/** Geometry of the mask PNG: the mask at thumbnail size at the top-left, the legend below it. */
export function maskLayout(thumbW: number, thumbH: number, lines: readonly string[]): MaskLayout {
  const s = legendScale(thumbW);
  const m = 8 * s;
  const line = (LINE_HEIGHT + 2) * s;
  const swatch = GLYPH_HEIGHT * s + 2 * s;
  const text = Math.max(0, ...lines.map((l) => textWidth(l, s)));
  const width = Math.max(thumbW, m + swatch + GLYPH_ADVANCE * s + text + m);
  return { width, height: thumbH + m + lines.length * line + m, panelTop: thumbH, textScale: s };
}

/**
 * The out-of-focus mask as a greyscale PNG: at the top, the thumbnail-sized mask (levels in
 * MASK_LEVELS: each tissue pixel by the score of its map cell against the threshold, grey where
 * the tissue is outside every scored cell, black off tissue), below it a legend of the levels.
 */
export async function renderMask(
  thumbW: number, thumbH: number, thumbScale: number, tiles: readonly MappedTile[], threshold: number,
  opts: MaskOptions = {},
): Promise<Buffer> {
  finite('threshold', threshold);
  checkMask(opts.tissueMask, thumbW, thumbH);
  const scores = cellScoreGrid(thumbW, thumbH, thumbScale, tiles);
  const legend = maskLegend(threshold, opts.minTissue);
  const lines = [...legend.map((e) => e.text), ...(opts.notes ?? [])];
  const L = maskLayout(thumbW, thumbH, lines);
  const px = Buffer.alloc(L.width * L.height, 255);
  for (let y = 0; y < thumbH; y++) {
    for (let x = 0; x < thumbW; x++) {
      const i = y * thumbW + x;
      const m = scores[i]!;
      px[y * L.width + x] = opts.tissueMask && !opts.tissueMask[i] ? MASK_LEVELS.background
        : Number.isNaN(m) ? MASK_LEVELS.notScored
          : m > threshold ? MASK_LEVELS.outOfFocus : MASK_LEVELS.inFocus;
    }
  }
  // Columns right of a narrow mask belong to the panel (white), as in the heat map.
  const s = L.textScale, mg = 8 * s, line = (LINE_HEIGHT + 2) * s, sw = GLYPH_HEIGHT * s + 2 * s;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height - L.panelTop}" shape-rendering="crispEdges">`;
  svg += `<rect x="0" y="0" width="${L.width}" height="${Math.max(1, s)}" fill="rgb(160,160,160)"/>`;
  let text = '';
  lines.forEach((l, k) => {
    const y = mg + k * line;
    const entry = legend[k];
    if (entry) {
      const v = entry.level;
      svg += `<rect x="${mg}" y="${y - s}" width="${sw}" height="${sw}" fill="rgb(${v},${v},${v})" stroke="black" stroke-width="${s}"/>`;
    }
    text += textPath(l, mg + sw + GLYPH_ADVANCE * s, y, s);
  });
  svg += `<path d="${text}" fill="black"/></svg>`;
  return pngWithPanel({ width: L.width, height: L.height, channels: 1, data: px }, svg, L.panelTop);
}

// ---------------------------------------------------------------------------------------------
// Blurred share of tissue

export interface BlurShareOptions {
  /** µm per level-0 pixel: adds areas in mm² */
  mpp?: number;
}

export interface BlurShare {
  /** numerator / denominator; NaN when there is no tissue (JSON writes null) */
  share: number;
  /** tissue area (level-0 px²) in the map cells of tiles scored above the threshold */
  numerator: number;
  /** tissue area (level-0 px²) in the map cells of all scored tiles, each point counted once */
  denominator: number;
  numerator_mm2?: number;
  denominator_mm2?: number;
  /** number of map cells counted (= scored tiles) */
  cells: number;
}

/**
 * Share of the scored tissue area that is out of focus, on the tiles' map cells (which never
 * overlap, so no area counts twice; the same cells the heat map and mask are drawn with):
 *   numerator   = sum over tiles with score > threshold of cell tissue fraction * cell area,
 *   denominator = sum over all scored tiles of cell tissue fraction * cell area.
 * A function of the tiles CSV rows alone. Tiles with a non-finite score are ignored.
 */
export function blurShare(tiles: readonly MappedTile[], threshold: number, opts: BlurShareOptions = {}): BlurShare {
  finite('threshold', threshold);
  if (opts.mpp !== undefined) positiveNumber('mpp', opts.mpp);
  let numerator = 0, denominator = 0, cells = 0;
  for (const t of tiles) {
    if (!Number.isFinite(t.score)) continue;
    const c = t.cell;
    if (!c) throw new Error(`Expected a map cell for the tile at (${t.x}, ${t.y})`);
    const tissue = Number.isFinite(c.tissue) ? Math.min(1, Math.max(0, c.tissue)) : 0;
    const area = tissue * c.w * c.h;
    denominator += area;
    if (t.score > threshold) numerator += area;
    cells++;
  }
  const result: BlurShare = { share: denominator > 0 ? numerator / denominator : NaN, numerator, denominator, cells };
  if (opts.mpp !== undefined) {
    const mm2 = (opts.mpp * opts.mpp) / 1e6;
    result.numerator_mm2 = numerator * mm2;
    result.denominator_mm2 = denominator * mm2;
  }
  return result;
}

/**
 * What the maps of a slide mean, for focus.json: the thumbnail size (the mask PNG's top rows),
 * the cell rule, and the mask's grey levels.
 */
export function mapsInfo(thumbW: number, thumbH: number, threshold: number, minTissue?: number) {
  return {
    thumbnail: { width: thumbW, height: thumbH },
    cells: 'each map cell shows the score of the crop whose centre is nearest (inner cells: one stride square centred on their crop; edge cells reach the slide border)',
    mask: { rows: thumbH, levels: { ...MASK_LEVELS }, legend: maskLegend(threshold, minTissue).map((e) => e.text) },
    heatmap: 'colour: the cell\'s score on the legend\'s scale; grey: tissue not scored; glass, debris and pen uncoloured',
  };
}
