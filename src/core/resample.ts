/**
 * Resampling an RGB image to another pixel size, with the sampling phase under control (pure TS).
 *
 * A model scores at the resolution it was trained at (µm per pixel), so a slide or an image at
 * another resolution is resampled first. Which filter, and why:
 * - **down** (output pixels larger than input pixels): **area averaging**. Each output pixel is the
 *   mean of the input it covers, fractional overlaps weighted by area. This is what a camera with
 *   larger pixels records of the same optical image (a sensor pixel integrates light over its
 *   area), so a 40x scan averaged 2x looks like a 20x scan of the same optics, and it adds no
 *   ringing or sharpening a focus model could mistake for detail.
 * - **up** (output pixels smaller): **Lanczos-3** (sinc windowed by sinc, 3 lobes). Upsampling
 *   cannot add detail the coarser sampling lost; a band-limited interpolator reproduces the band
 *   the input holds without the blur of bilinear/bicubic (which would read as defocus) or the
 *   blocks of nearest neighbour (which would read as sharp edges). Its small overshoot is clamped
 *   to 0..255. (It is the kernel sharp/libvips uses by default; ours is computed here so that
 *   the phase of a region read out of a slide is exact and the code runs in a browser too.)
 * Geometry follows the pixel-area convention: output pixel i covers the input interval
 * [x0 + i·scale, x0 + (i + 1)·scale) and its centre is at x0 + (i + 0.5)·scale, where input
 * pixel j covers [j, j + 1). Input beyond the edges repeats the edge pixel; callers that cut
 * a region out of a bigger picture pass a margin (resampleMargin) so no edge is invented.
 */
import type { RgbImage } from './image.js';
import { finiteNumber, integer, oneOf } from './check.js';

export type ResampleFilter = 'area' | 'lanczos3';
export const RESAMPLE_FILTERS: readonly ResampleFilter[] = ['area', 'lanczos3'];

/**
 * An image or slide within this relative difference of the resolution asked for is scored as
 * stored (CMU-1's 0.499 µm/px for 0.5): resampling by a few per cent interpolates every pixel at
 * a drifting sub-pixel phase, which softens the image more than a few per cent of scale changes
 * a focus score.
 */
export const AS_STORED_TOLERANCE = 0.05;

/** Scales within this of 1 with a whole-pixel offset are copies, not resamples. */
const IDENTITY_EPS = 1e-9;

/** The filter for a scale (input px per output px): area when shrinking, Lanczos-3 when enlarging. */
export function filterFor(scale: number): ResampleFilter {
  return scale >= 1 ? 'area' : 'lanczos3';
}

/** Input pixels needed beyond a region's edges on each side for `filter` at `scale`. */
export function resampleMargin(scale: number, filter: ResampleFilter = filterFor(scale)): number {
  // Area: a fractional phase touches one more pixel. Lanczos-3 (not widened, since it is only
  // used to enlarge): three taps beyond the centre's pixel.
  return filter === 'area' ? 1 : 3;
}

export interface ResampleSpec {
  /** output size */
  width: number;
  height: number;
  /** input pixels per output pixel (both axes, unless scaleX / scaleY say otherwise) */
  scale: number;
  scaleX?: number;
  scaleY?: number;
  /** input coordinate of the output's left / top edge (pixel-area convention); default 0 */
  x0?: number;
  y0?: number;
  /** default: filterFor(scale) */
  filter?: ResampleFilter;
}

/** Taps of one axis: for output i, weights[i][k] apply to input index start[i] + k (clamped). */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  /** index into `weights` where output i's taps begin */
  offset: Int32Array;
  weights: Float64Array;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const p = Math.PI * x;
  return Math.sin(p) / p;
}

/** Lanczos-a kernel: sinc(x)·sinc(x/a) for |x| < a, else 0. */
export function lanczos(x: number, a = 3): number {
  return Math.abs(x) < a ? sinc(x) * sinc(x / a) : 0;
}

function axisTaps(outSize: number, scale: number, origin: number, filter: ResampleFilter): AxisTaps {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const all: number[] = [];
  for (let i = 0; i < outSize; i++) {
    offset[i] = all.length;
    let first: number, weights: number[];
    if (filter === 'area') {
      const a = origin + i * scale, b = a + scale;
      first = Math.floor(a);
      const last = Math.ceil(b) - 1;
      weights = [];
      for (let j = first; j <= Math.max(first, last); j++) weights.push(Math.max(0, Math.min(b, j + 1) - Math.max(a, j)));
    } else {
      const centre = origin + (i + 0.5) * scale - 0.5; // in input pixel-centre coordinates
      const base = Math.floor(centre);
      first = base - 2;
      weights = [];
      for (let j = first; j <= base + 3; j++) weights.push(lanczos(centre - j, 3));
    }
    let sum = 0;
    for (const w of weights) sum += w;
    start[i] = first;
    count[i] = weights.length;
    for (const w of weights) all.push(w / sum);
  }
  return { start, count, offset, weights: Float64Array.from(all) };
}

function clampIndex(j: number, n: number): number {
  return j < 0 ? 0 : j >= n ? n - 1 : j;
}

/**
 * Resample `src` to spec.width x spec.height (see the file comment for the geometry). A scale of
 * exactly 1 at a whole-pixel offset copies pixels (no filtering at all).
 */
export function resampleRgb(src: RgbImage, spec: ResampleSpec): RgbImage {
  const width = integer('width', spec.width, 1, 1 << 20);
  const height = integer('height', spec.height, 1, 1 << 20);
  const scale = finiteNumber('scale', spec.scale, 1e-3, 1e3);
  const scaleX = finiteNumber('scaleX', spec.scaleX ?? scale, 1e-3, 1e3);
  const scaleY = finiteNumber('scaleY', spec.scaleY ?? scale, 1e-3, 1e3);
  const x0 = finiteNumber('x0', spec.x0 ?? 0, -1e9, 1e9);
  const y0 = finiteNumber('y0', spec.y0 ?? 0, -1e9, 1e9);
  const filter = oneOf('filter', spec.filter ?? filterFor(Math.max(scaleX, scaleY)), RESAMPLE_FILTERS);
  const out = new Uint8Array(width * height * 3);
  if (Math.abs(scaleX - 1) < IDENTITY_EPS && Math.abs(scaleY - 1) < IDENTITY_EPS && Number.isInteger(x0) && Number.isInteger(y0)) {
    for (let r = 0; r < height; r++) {
      const sy = clampIndex(y0 + r, src.height);
      for (let c = 0; c < width; c++) {
        const s = (sy * src.width + clampIndex(x0 + c, src.width)) * 3, o = (r * width + c) * 3;
        out[o] = src.data[s]!; out[o + 1] = src.data[s + 1]!; out[o + 2] = src.data[s + 2]!;
      }
    }
    return { width, height, data: out };
  }
  const tx = axisTaps(width, scaleX, x0, filter);
  const ty = axisTaps(height, scaleY, y0, filter);
  // Only the input rows some output row needs go through the horizontal pass.
  let rowMin = Infinity, rowMax = -Infinity;
  for (let i = 0; i < height; i++) {
    rowMin = Math.min(rowMin, clampIndex(ty.start[i]!, src.height));
    rowMax = Math.max(rowMax, clampIndex(ty.start[i]! + ty.count[i]! - 1, src.height));
  }
  const rows = rowMax - rowMin + 1;
  const horiz = new Float32Array(rows * width * 3);
  // Clamped input column of every horizontal tap, computed once.
  const colIndex = new Int32Array(tx.weights.length);
  for (let c = 0; c < width; c++) for (let k = 0; k < tx.count[c]!; k++) colIndex[tx.offset[c]! + k] = clampIndex(tx.start[c]! + k, src.width);
  for (let r = 0; r < rows; r++) {
    const srow = (rowMin + r) * src.width * 3;
    const hrow = r * width * 3;
    for (let c = 0; c < width; c++) {
      let a = 0, b = 0, g = 0;
      const off = tx.offset[c]!, n = tx.count[c]!;
      for (let k = 0; k < n; k++) {
        const w = tx.weights[off + k]!;
        const s = srow + colIndex[off + k]! * 3;
        a += w * src.data[s]!; b += w * src.data[s + 1]!; g += w * src.data[s + 2]!;
      }
      const o = hrow + c * 3;
      horiz[o] = a; horiz[o + 1] = b; horiz[o + 2] = g;
    }
  }
  const acc = new Float64Array(width * 3);
  for (let r = 0; r < height; r++) {
    const off = ty.offset[r]!, n = ty.count[r]!;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = ty.weights[off + k]!;
      const hrow = (clampIndex(ty.start[r]! + k, src.height) - rowMin) * width * 3;
      for (let c3 = 0; c3 < width * 3; c3++) acc[c3] += w * horiz[hrow + c3]!;
    }
    const orow = r * width * 3;
    for (let c3 = 0; c3 < width * 3; c3++) {
      const v = acc[c3]!;
      out[orow + c3] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { width, height, data: out };
}

/**
 * Resample a whole image from `fromMpp` to `toMpp` µm per pixel: the output covers the same
 * field (its size is the input size times fromMpp / toMpp, rounded down, at least 1).
 */
export function resampleToMpp(src: RgbImage, fromMpp: number, toMpp: number): RgbImage {
  finiteNumber('image mpp', fromMpp, 1e-4, 1e3);
  finiteNumber('target mpp', toMpp, 1e-4, 1e3);
  const scale = toMpp / fromMpp;
  if (Math.abs(scale - 1) < IDENTITY_EPS) return src;
  const width = Math.max(1, Math.floor(src.width / scale + 1e-9));
  const height = Math.max(1, Math.floor(src.height / scale + 1e-9));
  return resampleRgb(src, { width, height, scale });
}
