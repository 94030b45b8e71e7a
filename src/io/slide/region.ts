/**
 * Backend-independent region logic: argument checks, clipping a request to the level, white
 * padding, and choosing the pyramid level for a thumbnail. Pure TS, so every backend behaves
 * the same at the edges.
 */
import type { RgbImage } from '../../core/image.js';
import type { SlideLevel } from './types.js';
import { integer } from '../../core/check.js';

/** Largest region one call may ask for (3 bytes each: 768 MiB of RGB). */
export const MAX_REGION_PIXELS = 2 ** 28;

/** Throws on a level that does not exist, negative or fractional coordinates, or a bad size. */
export function validateRegion(levels: readonly SlideLevel[], level: number, x: number, y: number, w: number, h: number): void {
  integer('level', level, 0, levels.length - 1);
  const l = levels[level]!;
  // Coordinates may point past the right/bottom edge (that part is white) but not before it.
  integer('x', x, 0, Number.MAX_SAFE_INTEGER);
  integer('y', y, 0, Number.MAX_SAFE_INTEGER);
  integer('width', w, 1, MAX_REGION_PIXELS);
  integer('height', h, 1, MAX_REGION_PIXELS);
  if (w * h > MAX_REGION_PIXELS) {
    throw new Error(`Expected a region of at most ${MAX_REGION_PIXELS} pixels but received ${w}x${h} at level ${level} (${l.width}x${l.height})`);
  }
}

/** The part of a request that lies inside the level: source rectangle and where it lands in the output. */
export interface Clip {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Offset of the clipped rectangle inside the requested region. */
  readonly dx: number;
  readonly dy: number;
}

/** Intersection of the region with a levelWidth x levelHeight level, or null when they do not meet. */
export function clipRegion(levelWidth: number, levelHeight: number, x: number, y: number, w: number, h: number): Clip | null {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(levelWidth, x + w);
  const y1 = Math.min(levelHeight, y + h);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, dx: x0 - x, dy: y0 - y };
}

export function whiteImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(255) };
}

/** Copy `src` into `dst` with its top-left corner at (dx, dy); src must fit. */
export function pasteInto(dst: RgbImage, src: RgbImage, dx: number, dy: number): void {
  const row = src.width * 3;
  for (let r = 0; r < src.height; r++) {
    const o = ((dy + r) * dst.width + dx) * 3;
    dst.data.set(src.data.subarray(r * row, (r + 1) * row), o);
  }
}

/**
 * Read a region through `readInside`, which only ever sees rectangles inside the level: regions
 * fully inside pass straight through (no copy); the rest is white.
 */
export async function readClipped(
  levelWidth: number,
  levelHeight: number,
  x: number,
  y: number,
  w: number,
  h: number,
  readInside: (x: number, y: number, w: number, h: number) => Promise<RgbImage>,
): Promise<RgbImage> {
  const clip = clipRegion(levelWidth, levelHeight, x, y, w, h);
  if (clip === null) return whiteImage(w, h);
  const inner = await readInside(clip.x, clip.y, clip.width, clip.height);
  if (clip.width === w && clip.height === h) return inner;
  const out = whiteImage(w, h);
  pasteInto(out, inner, clip.dx, clip.dy);
  return out;
}

/** Output size of a thumbnail: longer side at most maxSize, aspect kept, never enlarged. */
export function thumbnailSize(width: number, height: number, maxSize: number): { width: number; height: number } {
  integer('maxSize', maxSize, 1, Number.MAX_SAFE_INTEGER);
  const scale = Math.min(1, maxSize / Math.max(width, height));
  return {
    width: Math.min(maxSize, Math.max(1, Math.round(width * scale))),
    height: Math.min(maxSize, Math.max(1, Math.round(height * scale))),
  };
}

/** The smallest level that still has at least width x height pixels (level 0 if none is smaller). */
export function thumbnailLevel(levels: readonly SlideLevel[], width: number, height: number): number {
  let best = 0;
  for (let i = 1; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.width >= width && l.height >= height && l.width * l.height < levels[best]!.width * levels[best]!.height) best = i;
  }
  return best;
}
