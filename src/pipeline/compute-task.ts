/** The unit of compute work shared by the inline path and the worker threads. */
import type { FocusLiteModel } from '../core/model.js';
import type { ConvKernel } from '../core/kernels/types.js';
import { scoreRgbImage } from '../core/score.js';

export interface ComputeTask {
  width: number;
  height: number;
  /** interleaved RGB bytes (transferred to the worker) */
  pixels: ArrayBuffer;
  cropSize: number;
  stride: number;
  label: string;
}

export interface ComputeResult {
  score: number;
  /** per-crop scores, index = row * cols + col */
  crops: Float64Array;
  rows: number;
  cols: number;
  xs: number[];
  ys: number[];
  computeMs: number;
}

export function computeTask(model: FocusLiteModel, kernel: ConvKernel, task: ComputeTask): ComputeResult {
  const t0 = performance.now();
  const image = { width: task.width, height: task.height, data: new Uint8Array(task.pixels) };
  const s = scoreRgbImage(model, kernel, image, { cropSize: task.cropSize, stride: task.stride, label: task.label });
  return { score: s.score, crops: s.crops, rows: s.grid.rows, cols: s.grid.cols, xs: [...s.grid.xs], ys: [...s.grid.ys], computeMs: performance.now() - t0 };
}
