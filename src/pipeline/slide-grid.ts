/**
 * Geometry of whole-slide scoring (pure): the crop grid in "scoring space" (level-0 pixels divided
 * by `factor`, 1 at level 0), its split into chunks of K x K crops read as one region, the
 * mapping of each crop back to level-0 coordinates, and the map cells the crops are drawn in.
 */
import { cropOrigins } from '../core/grid.js';

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
  if (!(factor > 0)) throw new Error(`Expected positive number for resolution factor but received ${factor}`);
  const width = Math.floor(level0Width / factor);
  const height = Math.floor(level0Height / factor);
  return { width, height, cropSize, stride, factor, xs: cropOrigins(width, cropSize, stride), ys: cropOrigins(height, cropSize, stride) };
}

/** Chunks of up to `k` x `k` crops, row-major (so reads progress down the slide like tiles do). */
export function gridChunks(grid: SlideGrid, k: number): Chunk[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`Expected positive integer for chunk crops but received ${k}`);
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
