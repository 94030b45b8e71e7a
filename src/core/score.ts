/**
 * Dense scoring of one image: crops of `cropSize` at `stride` (origins 0, stride, ... <= dim-crop,
 * y outer, x inner), each scored by the model; the image score is the plain mean. Pure TS.
 */
import { cropGrid, type CropGrid } from './grid.js';
import type { RgbImage } from './image.js';
import { DEFAULT_CROP, DEFAULT_STRIDE, headScore, type FocusLiteModel, type ScoreScale } from './model.js';
import type { ConvKernel } from './kernels/types.js';
import { upperMedian } from './stats.js';

export interface ScoreOptions {
  cropSize?: number;
  stride?: number;
  /** used to name the image in errors */
  label?: string;
}

export interface ImageScore {
  /** the scale rule applied to the mean of the raw crop outputs (see `applyScaleRule`) */
  readonly score: number;
  /** per-crop scores after the scale rule, index = row * cols + col */
  readonly crops: Float64Array;
  readonly grid: CropGrid;
}

/**
 * Raw per-crop model outputs for crops at the given origins, before the scale rule: what the
 * network computes (parity with the original is checked on these). Report them through
 * `applyScaleRule`.
 */
export function scoreCrops(model: FocusLiteModel, kernel: ConvKernel, image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): Float64Array {
  const wantMax = model.pooling === 'min-max';
  const res = kernel.pool(model, { image, xs, ys, cropSize, wantMax });
  const n = model.kernels;
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    out[i] = headScore(model, res.mins.subarray(i * n, i * n + n), res.maxs?.subarray(i * n, i * n + n));
  }
  return out;
}

export function gridOrigins(grid: CropGrid): { xs: Int32Array; ys: Int32Array } {
  const xs = new Int32Array(grid.rows * grid.cols);
  const ys = new Int32Array(grid.rows * grid.cols);
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      xs[r * grid.cols + c] = grid.xs[c]!;
      ys[r * grid.cols + c] = grid.ys[r]!;
    }
  }
  return { xs, ys };
}

/**
 * The one output rule of the score scales, applied to every score focuslite reports (image
 * scores, `score --grid` crop scores, slide tiles and everything derived from them: statistics,
 * blur share, heat maps, masks, GeoJSON). A z-level (MSE) model predicts |z|, which is never
 * below 0, so its outputs are clamped at 0, as the original clamps its image score; relative
 * (PLCC) scores only rank and are left as they are. NaN stays NaN.
 */
export function applyScaleRule(scale: ScoreScale, value: number): number {
  return scale === 'z-level' && value < 0 ? 0 : value;
}

/** `applyScaleRule` on every element, in place; returns the array. */
export function applyScaleRuleAll<T extends { [i: number]: number; length: number }>(scale: ScoreScale, values: T): T {
  if (scale === 'z-level') for (let i = 0; i < values.length; i++) values[i] = applyScaleRule(scale, values[i]!);
  return values;
}

/**
 * Image score from raw crop outputs, in the original's order: the plain mean, then the scale rule.
 * (Clamping each crop first would change the image score of the original's checkpoints.) So a
 * z-level image score can be below the mean of its reported (clamped) crop scores.
 */
export function imageScoreOf(scale: ScoreScale, rawCrops: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < rawCrops.length; i++) sum += rawCrops[i]!;
  return applyScaleRule(scale, sum / Math.max(1, rawCrops.length));
}

export function scoreRgbImage(model: FocusLiteModel, kernel: ConvKernel, image: RgbImage, options: ScoreOptions = {}): ImageScore {
  const cropSize = options.cropSize ?? DEFAULT_CROP;
  const stride = options.stride ?? DEFAULT_STRIDE;
  const grid = cropGrid(image.width, image.height, cropSize, stride, options.label ?? 'image');
  const { xs, ys } = gridOrigins(grid);
  const crops = scoreCrops(model, kernel, image, xs, ys, cropSize);
  const score = imageScoreOf(model.scale, crops);
  return { score, crops: applyScaleRuleAll(model.scale, crops), grid };
}

/** |z-level| at and above which a FocusPath patch counts as blurry (our binarisation: |z| >= 3). */
export const Z_LEVEL_THRESHOLD = 3;

/**
 * The one rule for the blur threshold when the user gives none: the threshold the model carries
 * (derived from data), else Z_LEVEL_THRESHOLD on the z-level scale, else none: a relative
 * (PLCC-trained) scale or a classic measure has no absolute level.
 */
export function defaultThreshold(scale: ScoreScale, carried?: { readonly value: number } | null): number | null {
  if (carried) return carried.value;
  return scale === 'z-level' ? Z_LEVEL_THRESHOLD : null;
}

/**
 * The threshold a heat map marks: the given or default one, else (relative scales) the median
 * crop score, so the map still shows the image's better and worse halves.
 */
export function heatmapThreshold(scale: ScoreScale, crops: ArrayLike<number>, given?: number, carried?: { readonly value: number } | null): number {
  return given ?? defaultThreshold(scale, carried) ?? upperMedian(crops);
}
