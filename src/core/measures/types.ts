/**
 * The FocusMeasure seam: every way of scoring focus (FocusLiteNN, classic knowledge-based measures,
 * deep baselines) behind one interface, so score/slide/eval/compare take a measure, not a model.
 * Pure TS: no platform imports. Convention everywhere: **higher = blurrier** (sharpness indices are
 * negated by their implementation).
 */
import type { RgbImage } from '../image.js';

export type MeasureKind = 'data-driven' | 'knowledge-based';
/** `relative`: only the ranking means something. `z-level`: an absolute defocus scale. */
export type MeasureScale = 'relative' | 'z-level';

export interface FocusMeasure {
  /** registry name, e.g. `focuslitenn`, `fqpath`, `laplacian-variance` */
  readonly name: string;
  /** the name used in the paper's Table 1 / reports, e.g. `HVS-MaxPol-1` */
  readonly label: string;
  readonly kind: MeasureKind;
  /** trainable parameters (0 for knowledge-based measures) */
  readonly parameters: number;
  readonly scale: MeasureScale;
  /**
   * How the paper ran it: `crops` (FocusLiteNN: mean over a 235/128 crop grid) or `image` (the
   * classic measures: one score for the whole image). Every measure can do both.
   */
  readonly nativeUnit: 'crops' | 'image';
  /** paper citation and the licence situation of the original, for reports */
  readonly reference?: string;
  /** One score for the whole image, higher = blurrier. Throws with a reason when the image is too small. */
  scoreImage(image: RgbImage): number;
  /**
   * Per-crop scores (higher = blurrier) for square crops of side `cropSize` at the given origins
   * (crop i at xs[i], ys[i]; crops lie inside the image).
   */
  scoreCrops(image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): Float64Array;
}
