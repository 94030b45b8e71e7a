/**
 * FocusLiteNN as a FocusMeasure (name `focuslitenn`): the weights plus the conv kernel they run on.
 * Pure TS (the kernel is passed in; core/kernels picks one).
 *
 * `scoreCrops` returns the raw network outputs, before the scale rule, like every measure's crop
 * scores; whoever reports them applies `applyScaleRule` with the measure's `scale` (z-level models
 * are clamped at 0, relative ones never), and an image score is the mean of the raw crop outputs,
 * then the rule (`imageScoreOf`), as the original does. `scoreImage` is exactly that over the
 * 235/128 grid, so it equals `scoreRgbImage(...).score`.
 */
import { cropGrid } from '../grid.js';
import type { RgbImage } from '../image.js';
import type { ConvKernel } from '../kernels/types.js';
import { DEFAULT_CROP, DEFAULT_STRIDE, parameterCount, type FocusLiteModel } from '../model.js';
import { gridOrigins, imageScoreOf, scoreCrops } from '../score.js';
import type { FocusMeasure } from './types.js';

export const FOCUSLITENN = 'focuslitenn';

export interface FocusLiteNNMeasure extends FocusMeasure {
  readonly model: FocusLiteModel;
  readonly kernel: ConvKernel;
}

/** "FocusLiteNN-1", "FocusLiteNN-10 (min-max)": the kernel count, as in the paper's Table 1. */
export function focusLiteNNLabel(model: Pick<FocusLiteModel, 'kernels' | 'pooling'>): string {
  return `FocusLiteNN-${model.kernels}${model.pooling === 'min-max' ? ' (min-max)' : ''}`;
}

export function focusLiteNNMeasure(model: FocusLiteModel, kernel: ConvKernel, label = focusLiteNNLabel(model)): FocusLiteNNMeasure {
  return {
    name: FOCUSLITENN,
    label,
    kind: 'data-driven',
    parameters: parameterCount(model),
    scale: model.scale,
    nativeUnit: 'crops',
    reference: 'Wang et al., MICCAI 2020 (FocusLiteNN)',
    model,
    kernel,
    scoreImage(image: RgbImage): number {
      const grid = cropGrid(image.width, image.height, DEFAULT_CROP, DEFAULT_STRIDE);
      const { xs, ys } = gridOrigins(grid);
      return imageScoreOf(model.scale, scoreCrops(model, kernel, image, xs, ys, DEFAULT_CROP));
    },
    scoreCrops: (image, xs, ys, cropSize) => scoreCrops(model, kernel, image, xs, ys, cropSize),
  };
}

export function isFocusLiteNNMeasure(m: { name: string }): m is FocusLiteNNMeasure {
  return m.name === FOCUSLITENN && 'model' in m;
}

/** A FocusLiteNN model object (as opposed to a measure spec or a measure). */
export function isFocusLiteModel(x: unknown): x is FocusLiteModel {
  return !!x && typeof x === 'object' && 'convWeight' in x && 'kernels' in x;
}
