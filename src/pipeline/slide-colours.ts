/**
 * The per-pixel score of a map (each thumbnail pixel takes its map cell's score), the colour maps,
 * the colour range and the legend lines: shared by the heat map, the mask and the viewer's
 * overlay. Pure TS.
 */
import { positiveNumber } from '../core/check.js';
import { percentileSorted } from './slide-stats.js';
import { type MappedTile, type ScoreScale, type ScoredTile } from './slide-tiles.js';

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
export const LUT_SIZE = 1024;
export function colourLut(map: Colormap): Uint8Array {
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) lut.set(colourAt(i / (LUT_SIZE - 1), map), i * 3);
  return lut;
}
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
export function notScoredText(minTissue?: number): string {
  return minTissue === undefined ? 'tissue not scored' : `tissue not scored (crop < ${percent(minTissue)} tissue)`;
}

/** The legend lines of a heat map, top to bottom (the colour bar and threshold follow them). */
export function heatmapLegendLines(range: ColourRange, opts: Pick<HeatmapOptions, 'tissueMask' | 'minTissue' | 'notes'>): string[] {
  const lines = [range.legend];
  if (opts.tissueMask) lines.push(`grey: ${notScoredText(opts.minTissue)}; glass, debris, pen uncoloured`);
  lines.push('each square shows the crop centred on it; edges take the nearest crop');
  return [...lines, ...(opts.notes ?? [])];
}

/** Text scale of a legend beside a thumbnail this wide: grows with it so it stays readable. */
export function legendScale(thumbW: number): number {
  return Math.max(1, Math.min(3, Math.round(thumbW / 500)));
}

/** A tissue mask must cover the thumbnail, one value per pixel. */
export function checkMask(mask: Uint8Array | undefined, w: number, h: number): void {
  if (mask && mask.length !== w * h) throw new Error(`Expected a ${w}x${h} tissue mask (${w * h} values) but received ${mask.length}`);
}
