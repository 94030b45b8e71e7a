/**
 * What the seam carries between threads: a FocusMeasure cannot be posted to a worker (it holds
 * functions, and FocusLiteNN a conv kernel), so every thread rebuilds it from a MeasureSpec, plain
 * data: a registered name for the parameter-free measures, the weights for FocusLiteNN, the file
 * path for an ONNX model. Pure TS.
 *
 * Measures backed by an asynchronous engine (ONNX Runtime runs a session on its own threads and
 * only offers a Promise API) implement AsyncFocusMeasure; the runtime awaits either kind.
 */
import type { RgbImage } from '../image.js';
import type { WeightsJson } from '../weights.js';
import type { FocusMeasure } from './types.js';

/** Everything of a measure but its two scoring functions: what reports and outputs need. */
export type MeasureInfo = Omit<FocusMeasure, 'scoreImage' | 'scoreCrops'>;

export interface AsyncFocusMeasure extends MeasureInfo {
  scoreImage(image: RgbImage): Promise<number>;
  scoreCrops(image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): Promise<Float64Array>;
  /** frees what the measure holds outside the JS heap (an ONNX session) */
  close?(): Promise<void>;
}

export type AnyFocusMeasure = FocusMeasure | AsyncFocusMeasure;

export type MeasureSpec =
  /** a parameter-free measure of the registry, by name (`fqpath`, `laplacian-variance`, ...) */
  | { readonly type: 'registered'; readonly name: string }
  /** FocusLiteNN from its weights, on the conv kernel of that name (default: the fastest) */
  | { readonly type: 'focuslitenn'; readonly weights: WeightsJson; readonly kernel?: string; readonly label?: string }
  /** an ONNX focus model: one crop batch in, one score per crop out */
  | { readonly type: 'onnx'; readonly path: string; readonly label?: string };

/** The spec in words, for errors and logs: `fqpath`, `FocusLiteNN weights`, `model.onnx`. */
export function describeSpec(spec: MeasureSpec): string {
  if (spec.type === 'registered') return spec.name;
  if (spec.type === 'onnx') return spec.path;
  return spec.label ?? 'FocusLiteNN weights';
}
