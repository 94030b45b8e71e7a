/**
 * Geometry of whole-slide scoring (pure): the crop grid in "scoring space" (level-0 pixels divided
 * by `factor`, 1 at level 0), its split into chunks of K x K crops read as one region, and the
 * mapping of each crop back to level-0 coordinates.
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
