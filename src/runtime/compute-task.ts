/** The unit of compute work shared by the inline path and the worker threads. */
import { cropGrid } from '../core/grid.js';
import type { AnyFocusMeasure } from '../core/measures/measure-spec.js';
import type { FocusLiteModel } from '../core/model.js';
import type { ConvKernel } from '../core/kernels/types.js';
import { applyScaleRule, applyScaleRuleAll, gridOrigins, imageScoreOf, scoreCrops, scoreRgbImage } from '../core/score.js';

export interface ComputeTask {
  width: number;
  height: number;
  /**
   * interleaved RGB bytes: transferred to the worker, or shared (a SharedArrayBuffer) when several
   * measures score the same image
   */
  pixels: ArrayBuffer | SharedArrayBuffer;
  cropSize: number;
  stride: number;
  label: string;
  /** score only these crop origins (a slide region's tissue crops) instead of the dense grid */
  xs?: number[];
  ys?: number[];
  /**
   * `image`: one score for the whole image (`scoreImage`, as the paper ran the classic measures);
   * the result is then a 1x1 grid. Default `crops`: the crop grid (or the given origins).
   */
  unit?: 'crops' | 'image';
  /** which of the engine's measures scores it (default 0) */
  measure?: number;
}

export interface ComputeResult {
  score: number;
  /** per-crop scores after the scale rule (z-level: clamped at 0), index = row * cols + col */
  crops: Float64Array;
  rows: number;
  cols: number;
  xs: number[];
  ys: number[];
  computeMs: number;
  /**
   * The raw crop outputs (before the scale rule), for tasks with explicit origins: callers that
   * split one image into several tasks (score's row bands) compute the image score from these.
   */
  rawCrops?: Float64Array;
}

/**
 * The pixels as an ArrayBuffer of their own, ready to transfer to a worker: the decoder's buffer
 * when the image fills it exactly, else a copy (never transfer a pool that holds other data).
 */
export function transferablePixels(data: Uint8Array): ArrayBuffer {
  return data.byteOffset === 0 && data.buffer.byteLength === data.byteLength && data.buffer instanceof ArrayBuffer
    ? data.buffer
    : Uint8Array.prototype.slice.call(data).buffer; // a copy even for a Node Buffer, whose slice is a view
}

export function computeTask(model: FocusLiteModel, kernel: ConvKernel, task: ComputeTask): ComputeResult {
  const t0 = performance.now();
  const image = { width: task.width, height: task.height, data: new Uint8Array(task.pixels) };
  if (task.xs && task.ys) {
    const rawCrops = scoreCrops(model, kernel, image, task.xs, task.ys, task.cropSize);
    const score = imageScoreOf(model.scale, rawCrops);
    const crops = applyScaleRuleAll(model.scale, rawCrops.slice());
    return { score, crops, rows: 1, cols: crops.length, xs: task.xs, ys: task.ys, computeMs: performance.now() - t0, rawCrops };
  }
  const s = scoreRgbImage(model, kernel, image, { cropSize: task.cropSize, stride: task.stride, label: task.label });
  return { score: s.score, crops: s.crops, rows: s.grid.rows, cols: s.grid.cols, xs: [...s.grid.xs], ys: [...s.grid.ys], computeMs: performance.now() - t0 };
}

/**
 * One task scored by a FocusMeasure (any kind, synchronous or not), with the same outputs and
 * the same order of operations as `computeTask` for FocusLiteNN: crop scores are the measure's
 * raw outputs after the scale rule, the image score the rule applied to their plain mean.
 */
export async function measureTask(measure: AnyFocusMeasure, task: ComputeTask): Promise<ComputeResult> {
  const t0 = performance.now();
  const image = { width: task.width, height: task.height, data: new Uint8Array(task.pixels) };
  if (task.unit === 'image') {
    const score = applyScaleRule(measure.scale, await measure.scoreImage(image));
    return { score, crops: Float64Array.of(score), rows: 1, cols: 1, xs: [0], ys: [0], computeMs: performance.now() - t0 };
  }
  if (task.xs && task.ys) {
    const rawCrops = await measure.scoreCrops(image, task.xs, task.ys, task.cropSize);
    const score = imageScoreOf(measure.scale, rawCrops);
    const crops = applyScaleRuleAll(measure.scale, rawCrops.slice());
    return { score, crops, rows: 1, cols: crops.length, xs: task.xs, ys: task.ys, computeMs: performance.now() - t0, rawCrops };
  }
  const grid = cropGrid(image.width, image.height, task.cropSize, task.stride, task.label);
  const { xs, ys } = gridOrigins(grid);
  const crops = await measure.scoreCrops(image, xs, ys, task.cropSize);
  const score = imageScoreOf(measure.scale, crops);
  return { score, crops: applyScaleRuleAll(measure.scale, crops), rows: grid.rows, cols: grid.cols, xs: [...grid.xs], ys: [...grid.ys], computeMs: performance.now() - t0 };
}
