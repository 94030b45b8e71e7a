/**
 * Dense scoring of one image: crops of `cropSize` at `stride` (origins 0, stride, ... <= dim-crop,
 * y outer, x inner), each scored by the model; the image score is the plain mean. Pure TS.
 */
import { cropGrid, type CropGrid } from './grid.js';
import type { RgbImage } from './image.js';
import { DEFAULT_CROP, DEFAULT_STRIDE, headScore, type FocusLiteModel } from './model.js';
import type { ConvKernel } from './kernels/types.js';

export interface ScoreOptions {
  cropSize?: number;
  stride?: number;
  /** used to name the image in errors */
  label?: string;
}

export interface ImageScore {
  /** mean of crop scores; for z-level models clamped at 0 as the original does */
  readonly score: number;
  /** per-crop scores, index = row * cols + col */
  readonly crops: Float64Array;
  readonly grid: CropGrid;
}

/** Per-crop scores of the model for crops at the given origins. */
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

/** Applies the score scale's output rule: z-level (MSE) models predict |z| >= 0. */
export function finalizeScore(model: FocusLiteModel, meanScore: number): number {
  return model.scale === 'z-level' ? Math.max(0, meanScore) : meanScore;
}

export function scoreRgbImage(model: FocusLiteModel, kernel: ConvKernel, image: RgbImage, options: ScoreOptions = {}): ImageScore {
  const cropSize = options.cropSize ?? DEFAULT_CROP;
  const stride = options.stride ?? DEFAULT_STRIDE;
  const grid = cropGrid(image.width, image.height, cropSize, stride, options.label ?? 'image');
  const { xs, ys } = gridOrigins(grid);
  const crops = scoreCrops(model, kernel, image, xs, ys, cropSize);
  let sum = 0;
  for (const v of crops) sum += v;
  return { score: finalizeScore(model, sum / crops.length), crops, grid };
}
