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
    provenance: spec.provenance ?? { source: 'unspecified' },
  };
}
