/** The unit of compute work shared by the inline path and the worker threads. */
import type { FocusLiteModel } from '../core/model.js';
import type { ConvKernel } from '../core/kernels/types.js';
import { applyScaleRuleAll, imageScoreOf, scoreCrops, scoreRgbImage } from '../core/score.js';

export interface ComputeTask {
  width: number;
  height: number;
  /** interleaved RGB bytes (transferred to the worker) */
  pixels: ArrayBuffer;
  cropSize: number;
  stride: number;
  label: string;
  /** score only these crop origins (a slide region's tissue crops) instead of the dense grid */
  xs?: number[];
  ys?: number[];
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
