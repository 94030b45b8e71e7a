/**
 * Geometry of whole-slide scoring (pure): the crop grid in "scoring space" (level-0 pixels divided
 * by `factor`, 1 at level 0), its split into chunks of K x K crops read as one region, the
 * mapping of each crop back to level-0 coordinates, and the map cells the crops are drawn in.
 */
import { cropOrigins } from '../core/grid.js';
import { AS_STORED_TOLERANCE, filterFor, resampleMargin, type ResampleFilter } from '../core/resample.js';
import { positiveInteger, positiveNumber } from '../core/check.js';

export { AS_STORED_TOLERANCE };

/** Where the scoring resolution came from: --mpp, the model's training resolution, or neither. */
export type ResolutionSource = 'option' | 'model' | 'none';

export interface ScoringResolution {
  /** level-0 pixels per scoring pixel: > 1 shrinks (area average), < 1 enlarges (Lanczos-3) */
  factor: number;
  /** the resolution asked for (µm/px), or null when neither --mpp nor the model gives one */
  targetMpp: number | null;
  source: ResolutionSource;
  /** µm per scoring pixel as scored, or null when the slide's pixel size is unknown */
  mpp: number | null;
  /** what a report must say when the slide is not scored at the resolution asked for */
  warning: string | null;
}

/** Enlarging more than this (a slide much coarser than the model) is refused: there is no detail to score. */
export const MAX_UPSAMPLING = 4;

/**
 * The resolution a slide is scored at: `--mpp` if given, else the model's training resolution,
 * reached from the slide's own MPP. A slide without MPP, or a model of unknown resolution without
 * --mpp, is scored at level 0 as it is; the first case with a warning.
 */
export function scoringResolution(slideMpp: number | null | undefined, optionMpp: number | undefined, modelMpp: number | null, label: string): ScoringResolution {
  if (optionMpp !== undefined) positiveNumber('mpp', optionMpp);
  const targetMpp = optionMpp ?? modelMpp ?? null;
  const source: ResolutionSource = optionMpp !== undefined ? 'option' : modelMpp !== null ? 'model' : 'none';
  if (targetMpp === null) return { factor: 1, targetMpp, source, mpp: slideMpp ?? null, warning: null };
  if (!slideMpp) {
    const asked = source === 'option' ? `--mpp ${targetMpp}` : `the model's ${targetMpp} µm/px`;
    return { factor: 1, targetMpp, source, mpp: null, warning: `the slide records no MPP: scored at level 0 as stored, not resampled to ${asked}; its scores may not be comparable with those of slides that record one` };
  }
  const factor = targetMpp / slideMpp;
  if (factor < 1 / MAX_UPSAMPLING) {
    throw new Error(`${label}: the slide's ${slideMpp.toFixed(4)} µm/px is more than ${MAX_UPSAMPLING}x coarser than ${source === 'option' ? '--mpp' : 'the model\'s'} ${targetMpp} µm/px; it cannot be scored at that resolution`);
  }
  // Within AS_STORED_TOLERANCE of the slide's own resolution the pixels are scored as they are:
  // resampling by a few per cent interpolates every pixel at a drifting sub-pixel phase, which
  // softens the image more than a few per cent of scale changes a focus score.
  const asStored = Math.abs(factor - 1) <= AS_STORED_TOLERANCE;
  return { factor: asStored ? 1 : factor, targetMpp, source, mpp: asStored ? slideMpp : targetMpp, warning: null };
}

/**
 * What to read from a pyramid level for a scoring-space rectangle, and how to resample it: the
 * level window (with a filter margin, clipped to the level) and the resample spec that maps it
 * onto the rectangle's scoring pixels exactly (phase included). `levelScale` is level pixels per
 * level-0 pixel on each axis (level width / level-0 width).
 */
export interface SourceWindow {
  x: number;
  y: number;
  w: number;
  h: number;
  /** level pixels per scoring pixel, on x and y */
  scaleX: number;
  scaleY: number;
  /** offset of the rectangle's top-left corner inside the window, in level pixels */
  x0: number;
  y0: number;
  filter: ResampleFilter | 'none';
}

export function sourceWindow(factor: number, levelScaleX: number, levelScaleY: number, levelWidth: number, levelHeight: number, x: number, y: number, w: number, h: number): SourceWindow {
  const sx = factor * levelScaleX, sy = factor * levelScaleY;
  if (Math.abs(sx - 1) < 1e-9 && Math.abs(sy - 1) < 1e-9) return { x, y, w, h, scaleX: 1, scaleY: 1, x0: 0, y0: 0, filter: 'none' };
  const scale = Math.max(sx, sy);
  const filter = filterFor(scale);
  const m = resampleMargin(scale, filter);
  const ax = x * sx, ay = y * sy;
  const wx0 = Math.max(0, Math.floor(ax) - m), wy0 = Math.max(0, Math.floor(ay) - m);
  const wx1 = Math.max(wx0 + 1, Math.min(levelWidth, Math.ceil((x + w) * sx) + m));
  const wy1 = Math.max(wy0 + 1, Math.min(levelHeight, Math.ceil((y + h) * sy) + m));
  return { x: wx0, y: wy0, w: wx1 - wx0, h: wy1 - wy0, scaleX: sx, scaleY: sy, x0: ax - wx0, y0: ay - wy0, filter };
}

export interface SlideGrid {
  /** scoring-space size */
  width: number;
  height: number;
  cropSize: number;
  stride: number;
  /** level-0 pixels per scoring-space pixel (1 = full resolution) */
  factor: number;
  xs: number[];
  ys: number[];
}

export interface Chunk {
  /** crop indices into the grid: columns [c0, c1), rows [r0, r1) */
  c0: number;
  c1: number;
  r0: number;
  r1: number;
}

export function slideGrid(level0Width: number, level0Height: number, cropSize: number, stride: number, factor: number): SlideGrid {
  positiveNumber('resolution factor', factor);
  const width = Math.floor(level0Width / factor);
  const height = Math.floor(level0Height / factor);
  return { width, height, cropSize, stride, factor, xs: cropOrigins(width, cropSize, stride), ys: cropOrigins(height, cropSize, stride) };
}

/** Chunks of up to `k` x `k` crops, row-major (so reads progress down the slide like tiles do). */
export function gridChunks(grid: SlideGrid, k: number): Chunk[] {
  positiveInteger('chunk crops', k);
  const out: Chunk[] = [];
  for (let r0 = 0; r0 < grid.ys.length; r0 += k) {
    for (let c0 = 0; c0 < grid.xs.length; c0 += k) {
      out.push({ c0, c1: Math.min(grid.xs.length, c0 + k), r0, r1: Math.min(grid.ys.length, r0 + k) });
    }
  }
  return out;
}

/** Level-0 rectangle of a scoring-space rectangle. */
export function toLevel0(grid: SlideGrid, x: number, y: number, w: number, h: number): { x: number; y: number; w: number; h: number } {
  const f = grid.factor;
  return { x: Math.round(x * f), y: Math.round(y * f), w: Math.round(w * f), h: Math.round(h * f) };
}

/**
 * Pick the pyramid level to read for a resolution factor: the coarsest level that is still at
 * least as fine as asked (downsample <= factor, with 1% slack for rounded level sizes).
 */
export function pickLevel(downsamples: readonly number[], factor: number): number {
  let best = 0;
  for (let i = 0; i < downsamples.length; i++) {
    if (downsamples[i]! <= factor * 1.01 && downsamples[i]! >= downsamples[best]!) best = i;
  }
  return best;
}

/**
 * Map cells along one axis: cell i is [bounds[i], bounds[i + 1]) and shows crop i. Crops overlap
 * (235 px at stride 128), so the plane is cut where two neighbouring crops' centres are equally
 * far: each pixel belongs to the crop whose centre is nearest along this axis. Inner cells are
 * one stride wide and centred on their crop (which covers all of it); the first cell reaches back
 * to 0 and the last one on to `dim`, so the margins before the first crop centre and the strip
 * beyond the last full crop (narrower than a stride) take the nearest crop too. Boundaries are
 * floored to whole pixels. `origins` ascending, in the same pixels as `crop` and `dim`.
 */
export function cellBounds(origins: readonly number[], crop: number, dim: number): number[] {
  if (origins.length === 0) return [];
  const bounds = [0];
  for (let i = 1; i < origins.length; i++) {
    if (!(origins[i]! > origins[i - 1]!)) throw new Error(`Expected ascending crop origins but received ${origins[i - 1]} then ${origins[i]}`);
    bounds.push(Math.floor((origins[i - 1]! + origins[i]! + crop) / 2));
  }
  bounds.push(Math.max(dim, origins[origins.length - 1]! + crop));
  return bounds;
}

/** Level-0 map cell bounds of a slide grid, per axis (see cellBounds). */
export function slideCellBounds(grid: SlideGrid, level0Width: number, level0Height: number): { xs: number[]; ys: number[] } {
  const crop = Math.round(grid.cropSize * grid.factor);
  const l0 = (v: number) => Math.round(v * grid.factor);
  return { xs: cellBounds(grid.xs.map(l0), crop, level0Width), ys: cellBounds(grid.ys.map(l0), crop, level0Height) };
}
