/**
 * Focus measures registered by name (as the conv kernels are): `--method <name>` looks them up here.
 * A measure that needs weights (FocusLiteNN, ONNX models) is built by its factory from those
 * weights; the registry holds the parameter-free ones and the factories' names.
 */
import { cropImage } from '../image.js';
import type { RgbImage } from '../image.js';
import type { FocusMeasure } from './types.js';

const measures = new Map<string, FocusMeasure>();

/** Add a measure, or replace the one of the same name. */
export function registerMeasure(measure: FocusMeasure): void {
  measures.set(measure.name, measure);
}

/** Remove a measure (tests register throw-away ones). Returns whether it was there. */
export function unregisterMeasure(name: string): boolean {
  return measures.delete(name);
}

export function registeredMeasures(): string[] {
  return [...measures.keys()].sort();
}

export function getMeasure(name: string): FocusMeasure {
  const m = measures.get(name);
  if (!m) throw new Error(`Unknown focus measure "${name}"; registered measures: ${registeredMeasures().join(', ') || 'none'}`);
  return m;
}

export function hasMeasure(name: string): boolean {
  return measures.has(name);
}

/**
 * Per-crop scores of a whole-image measure: each crop cut out and scored on its own. Measures
 * with a cheaper shared computation (filter the image once, pool per crop) override this.
 */
export function cropsByImageMeasure(scoreImage: (image: RgbImage) => number, image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = scoreImage(cropImage(image, xs[i]!, ys[i]!, cropSize, cropSize));
  return out;
}
