/** The unit of compute work shared by the inline path and the worker threads. */
import { cropGrid } from '../core/grid.js';
import type { AnyFocusMeasure } from '../core/measures/measure-spec.js';
import { applyScaleRule, applyScaleRuleAll, gridOrigins, imageScoreOf } from '../core/score.js';

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

/**
 * One task scored by a FocusMeasure (any kind, synchronous or not): crop scores are the measure's
 * raw outputs after the scale rule, the image score the rule applied to their plain mean (the
 * original FocusLiteNN's order: the parity numbers depend on it); `unit: 'image'` asks the
 * measure for one whole-image score instead.
 */
export async function computeTask(measure: AnyFocusMeasure, task: ComputeTask): Promise<ComputeResult> {
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
