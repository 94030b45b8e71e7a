/**
 * FocusLiteNN model definition (pure TypeScript, no platform imports).
 *
 * One convolution 3->N (7x7, stride 5, zero padding 1 applied to each crop on its own), a global
 * pool per kernel (min, or the paper's Eq. 2 min-max), then for N > 1 (or min-max pooling) a linear
 * layer to one score. Input pixels are 8-bit RGB scaled by 1/255. Higher score = blurrier.
 */
import { integer } from './check.js';

export const KERNEL_SIZE = 7;
export const CONV_STRIDE = 5;
export const CONV_PADDING = 1;
export const IN_CHANNELS = 3;
export const DEFAULT_CROP = 235;
export const DEFAULT_STRIDE = 128;
/** Most kernels a model may have (the paper uses 1 to 10; this only bounds what a file can ask for). */
export const MAX_KERNELS = 1024;

export type Pooling = 'min' | 'min-max';
/** `relative`: PLCC-trained, only the ranking means something. `z-level`: MSE-trained on |z|. */
export type ScoreScale = 'relative' | 'z-level';

/**
 * What one unit of a z-level score is: `um` = one micrometre of defocus; `focuspath-step` = one
 * FocusPath |z-level| step (the published -mse checkpoints; see FOCUSPATH_STEP_UM).
 */
export type ScoreUnit = 'um' | 'focuspath-step';
export const SCORE_UNITS: readonly ScoreUnit[] = ['um', 'focuspath-step'];

/**
 * Micrometres of defocus per FocusPath z-level step, or null: not stated in any source available
 * to this project (the FocusPath README and the FocusLiteNN paper give the number of z-levels,
 * 16 and 14, not their spacing), so it is left unknown rather than guessed.
 */
export const FOCUSPATH_STEP_UM: number | null = null;

/** A default blur threshold carried by the model: a score above `value` is out of focus. */
export interface ModelThreshold {
  readonly value: number;
  /** how it was found (e.g. "held-out synthetic tiles: midpoint between ...") */
  readonly method: string;
  readonly [key: string]: unknown;
}

export interface Provenance {
  /** Where the weights came from, e.g. "trained by focuslite" or "imported from focuslitenn-1kernel.pt". */
  source: string;
  [key: string]: unknown;
}

export interface FocusLiteModel {
  readonly kernels: number;
  readonly pooling: Pooling;
  readonly scale: ScoreScale;
  /** [N][3][7][7], row-major, channels R,G,B of input in [0,1]. */
  readonly convWeight: Float32Array;
  /** [N] */
  readonly convBias: Float32Array;
  /**
   * Linear layer over the pooled features: N weights for `min`, 2N for `min-max`
   * (the N minima first, then the N maxima). Null exactly when N = 1 and pooling is `min`
   * (the original 1-kernel model has no linear layer: score = min).
   */
  readonly fcWeight: Float32Array | null;
  readonly fcBias: number;
  /**
   * Resolution the model was trained at, µm per pixel; null = unknown (weights written before
   * focuslite recorded it, or a model trained on images of unknown pixel size): such a model
   * scores images as they come and slides at level 0 (or at --mpp).
   */
  readonly mpp: number | null;
  /** unit of a z-level score; null for relative models and z-level models of unknown unit */
  readonly unit: ScoreUnit | null;
  /** default blur threshold derived from data, when the model carries one */
  readonly threshold: ModelThreshold | null;
  readonly provenance: Provenance;
}

/** Number of pooled features the linear layer sees. */
export function featureCount(model: Pick<FocusLiteModel, 'kernels' | 'pooling'>): number {
  return model.pooling === 'min-max' ? 2 * model.kernels : model.kernels;
}

/** Whether the model has a linear layer (false only for the N = 1 min-pooling model). */
export function hasLinearLayer(model: Pick<FocusLiteModel, 'kernels' | 'pooling'>): boolean {
  return model.kernels > 1 || model.pooling === 'min-max';
}

/** Trainable parameter count: 148 for the 1-kernel model (147 conv weights + 1 bias). */
export function parameterCount(model: Pick<FocusLiteModel, 'kernels' | 'pooling'>): number {
  const conv = model.kernels * (IN_CHANNELS * KERNEL_SIZE * KERNEL_SIZE + 1);
  return hasLinearLayer(model) ? conv + featureCount(model) + 1 : conv;
}

/** Side of the conv map for a square crop side: 47 for 235. */
export function convMapSize(cropSize: number): number {
  return Math.floor((cropSize + 2 * CONV_PADDING - KERNEL_SIZE) / CONV_STRIDE) + 1;
}

/** Smallest crop the model accepts (one conv output). */
export const MIN_CROP = KERNEL_SIZE - 2 * CONV_PADDING;

/**
 * Score of one crop from its pooled features.
 * @param mins per-kernel minima of the conv map (length N)
 * @param maxs per-kernel maxima (length N; only read for `min-max` pooling)
 */
export function headScore(model: FocusLiteModel, mins: ArrayLike<number>, maxs?: ArrayLike<number>): number {
  if (!hasLinearLayer(model)) return mins[0]!;
  const w = model.fcWeight!;
  const n = model.kernels;
  let s = model.fcBias;
  for (let k = 0; k < n; k++) s += w[k]! * mins[k]!;
  if (model.pooling === 'min-max') {
    if (!maxs) throw new Error('min-max pooling needs the per-kernel maxima');
    for (let k = 0; k < n; k++) s += w[n + k]! * maxs[k]!;
  }
  return s;
}

/** Validated constructor: checks every tensor length against the kernel count and pooling. */
export function createModel(spec: {
  kernels: number;
  pooling?: Pooling;
  scale?: ScoreScale;
  convWeight: ArrayLike<number>;
  convBias: ArrayLike<number>;
  fcWeight?: ArrayLike<number> | null;
  fcBias?: number;
  mpp?: number | null;
  unit?: ScoreUnit | null;
  threshold?: ModelThreshold | null;
  provenance?: Provenance;
}): FocusLiteModel {
  const { kernels } = spec;
  const pooling = spec.pooling ?? 'min';
  const scale = spec.scale ?? 'relative';
  integer('kernels', kernels, 1, MAX_KERNELS);
  if (pooling !== 'min' && pooling !== 'min-max') throw new Error(`Expected pooling "min" or "min-max" but received ${String(pooling)}`);
  if (scale !== 'relative' && scale !== 'z-level') throw new Error(`Expected scale "relative" or "z-level" but received ${String(scale)}`);
  const wantConv = kernels * IN_CHANNELS * KERNEL_SIZE * KERNEL_SIZE;
  if (spec.convWeight.length !== wantConv) {
    throw new Error(`Expected ${wantConv} conv weights for ${kernels} kernel(s) ([${kernels},3,7,7]) but received ${spec.convWeight.length}`);
  }
  if (spec.convBias.length !== kernels) {
    throw new Error(`Expected ${kernels} conv biases but received ${spec.convBias.length}`);
  }
  const linear = hasLinearLayer({ kernels, pooling });
  let fcWeight: Float32Array | null = null;
  if (linear) {
    const wantFc = featureCount({ kernels, pooling });
    if (!spec.fcWeight || spec.fcWeight.length !== wantFc) {
      throw new Error(`Expected ${wantFc} linear-layer weights for ${kernels} kernel(s) with ${pooling} pooling but received ${spec.fcWeight ? spec.fcWeight.length : 'none'}`);
    }
    fcWeight = Float32Array.from(spec.fcWeight);
  } else if (spec.fcWeight && spec.fcWeight.length > 0) {
    throw new Error('A 1-kernel model with min pooling has no linear layer, but linear-layer weights were given');
  }
  const mpp = spec.mpp ?? null;
  if (mpp !== null && !(Number.isFinite(mpp) && mpp >= 0.01 && mpp <= 100)) throw new Error(`Expected number between 0.01 and 100 (µm per pixel) for mpp but received ${mpp}`);
  const unit = spec.unit ?? null;
  if (unit !== null && !SCORE_UNITS.includes(unit)) throw new Error(`Expected unit ${SCORE_UNITS.map((u) => `"${u}"`).join(' or ')} but received ${String(unit)}`);
  if (unit !== null && scale !== 'z-level') throw new Error(`A unit (${unit}) belongs to z-level models only, but the scale is ${scale}`);
  const threshold = spec.threshold ?? null;
  if (threshold !== null && !(Number.isFinite(threshold.value) && typeof threshold.method === 'string')) {
    throw new Error(`Expected a threshold with a finite "value" and a "method" string but received ${JSON.stringify(threshold)}`);
  }
  const all = [spec.convWeight, spec.convBias, spec.fcWeight ?? []];
  for (const t of all) for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i]!)) throw new Error('Model weights contain a non-finite value');
  return {
    kernels,
    pooling,
    scale,
    convWeight: Float32Array.from(spec.convWeight),
    convBias: Float32Array.from(spec.convBias),
    fcWeight,
    // float32 like every other weight (and as the weights file stores it), so a model copied to a
    // worker thread through its JSON scores exactly as the original does.
    fcBias: linear ? Math.fround(spec.fcBias ?? 0) : 0,
    mpp,
    unit,
    threshold,
    provenance: spec.provenance ?? { source: 'unspecified' },
  };
}
