/**
 * FocusLiteNN forward pass on a batch of crops plus ANALYTIC gradients. Pure TS.
 *
 * The conv is linear in its weights and a global min (max) picks one map position, so the
 * gradient of a crop's min for kernel k is exactly the 7x7x3 input patch under that position
 * (pixels / 255, zero where the patch lies on the crop's own zero padding) for the weights and 1
 * for the bias. The forward pass runs on a ConvKernel with `wantArgs`; afterwards only the patch
 * at each argmin/argmax is kept (147 bytes per crop and kernel), which is all the backward pass
 * needs. Everything here is float64; the kernel may compute in float32.
 */
import type { RgbImage } from '../core/image.js';
import {
  CONV_PADDING, CONV_STRIDE, IN_CHANNELS, KERNEL_SIZE, convMapSize, createModel, featureCount, hasLinearLayer,
  type FocusLiteModel, type Pooling, type Provenance, type ScoreScale,
} from '../core/model.js';
import type { ConvKernel, ConvWeights } from '../core/kernels/types.js';
import { integer } from '../core/check.js';

/** Taps per kernel: 3 x 7 x 7. */
export const TAPS = IN_CHANNELS * KERNEL_SIZE * KERNEL_SIZE;
const INV255 = 1 / 255;

export interface ModelSpec {
  kernels: number;
  pooling: Pooling;
}

/**
 * Where each tensor lives in the flat parameter vector
 * [conv.weight (N*147) | conv.bias (N) | fc.weight (F) | fc.bias (1)]; the fc part is absent for
 * the 1-kernel min model, so the vector has exactly `parameterCount(spec)` entries.
 */
export interface ParamLayout {
  readonly kernels: number;
  readonly pooling: Pooling;
  readonly features: number;
  readonly linear: boolean;
  readonly convWeight: number;
  readonly convBias: number;
  /** -1 when there is no linear layer */
  readonly fcWeight: number;
  readonly fcBias: number;
  readonly total: number;
}

export function paramLayout(spec: ModelSpec): ParamLayout {
  const { kernels, pooling } = spec;
  integer('kernels', kernels, 1, 1024);
  if (pooling !== 'min' && pooling !== 'min-max') throw new Error(`Expected pooling "min" or "min-max" but received ${String(pooling)}`);
  const features = featureCount(spec);
  const linear = hasLinearLayer(spec);
  const convBias = kernels * TAPS;
  const fcWeight = linear ? convBias + kernels : -1;
  const fcBias = linear ? fcWeight + features : -1;
  const total = linear ? fcBias + 1 : convBias + kernels;
  return { kernels, pooling, features, linear, convWeight: 0, convBias, fcWeight, fcBias, total };
}

/**
 * PyTorch's default init (kaiming_uniform with a = sqrt(5), which reduces to
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in))), for weights and biases alike: fan_in = 147 for the conv,
 * the feature count for the linear layer. Drawn in tensor order from `random` (uniform [0,1)).
 */
export function initParams(layout: ParamLayout, random: () => number): Float64Array {
  const p = new Float64Array(layout.total);
  const convBound = 1 / Math.sqrt(TAPS);
  for (let i = 0; i < layout.kernels * TAPS; i++) p[layout.convWeight + i] = (2 * random() - 1) * convBound;
  for (let k = 0; k < layout.kernels; k++) p[layout.convBias + k] = (2 * random() - 1) * convBound;
  if (layout.linear) {
    const fcBound = 1 / Math.sqrt(layout.features);
    for (let f = 0; f < layout.features; f++) p[layout.fcWeight + f] = (2 * random() - 1) * fcBound;
    p[layout.fcBias] = (2 * random() - 1) * fcBound;
  }
  return p;
}

function checkParams(layout: ParamLayout, params: ArrayLike<number>): void {
  if (params.length !== layout.total) {
    throw new Error(`Expected ${layout.total} parameters for ${layout.kernels} kernel(s) with ${layout.pooling} pooling but received ${params.length}`);
  }
}

/** The conv part as float32 tensors, the form the kernels take. */
export function convWeightsOf(layout: ParamLayout, params: Float64Array): ConvWeights {
  checkParams(layout, params);
  return {
    kernels: layout.kernels,
    convWeight: Float32Array.from(params.subarray(layout.convWeight, layout.convWeight + layout.kernels * TAPS)),
    convBias: Float32Array.from(params.subarray(layout.convBias, layout.convBias + layout.kernels)),
  };
}

export function paramsToModel(layout: ParamLayout, params: Float64Array, scale: ScoreScale, provenance: Provenance): FocusLiteModel {
  const w = convWeightsOf(layout, params);
  return createModel({
    kernels: layout.kernels,
    pooling: layout.pooling,
    scale,
    convWeight: w.convWeight,
    convBias: w.convBias,
    fcWeight: layout.linear ? params.subarray(layout.fcWeight, layout.fcWeight + layout.features) : null,
    fcBias: layout.linear ? params[layout.fcBias]! : 0,
    provenance,
  });
}

/** The parameter vector of an existing model (e.g. to fine-tune it). */
export function paramsFromModel(model: FocusLiteModel): Float64Array {
  const layout = paramLayout(model);
  const p = new Float64Array(layout.total);
  p.set(model.convWeight, layout.convWeight);
  p.set(model.convBias, layout.convBias);
  if (layout.linear) {
    p.set(model.fcWeight!, layout.fcWeight);
    p[layout.fcBias] = model.fcBias;
  }
  return p;
}

/** What the forward pass keeps per crop: pooled features and the patches under the extrema. */
export interface CropForward {
  readonly count: number;
  readonly kernels: number;
  /** [crop][kernel] */
  readonly mins: Float64Array;
  /** [crop][kernel], min-max pooling only */
  readonly maxs: Float64Array | null;
  /** [crop][kernel][147] raw pixels under each argmin (0 on padding); null when not asked for */
  readonly patchMin: Uint8Array | null;
  readonly patchMax: Uint8Array | null;
}

/**
 * Copies the 3x7x7 input patch that produced conv-map position `pos` of the crop at (x0, y0) into
 * out[off .. off+147) in the weight layout [channel][row][col]; taps on the padding get 0.
 */
export function extractPatch(image: RgbImage, x0: number, y0: number, cropSize: number, pos: number, out: Uint8Array, off: number): void {
  const m = convMapSize(cropSize);
  const r = Math.floor(pos / m);
  const c = pos - r * m;
  const px = image.data;
  const stride = image.width * 3;
  for (let a = 0; a < KERNEL_SIZE; a++) {
    const u = r * CONV_STRIDE + a - CONV_PADDING;
    const rowInside = u >= 0 && u < cropSize;
    for (let b = 0; b < KERNEL_SIZE; b++) {
      const v = c * CONV_STRIDE + b - CONV_PADDING;
      const inside = rowInside && v >= 0 && v < cropSize;
      const p = (y0 + u) * stride + (x0 + v) * 3;
      for (let ch = 0; ch < IN_CHANNELS; ch++) {
        out[off + ch * 49 + a * KERNEL_SIZE + b] = inside ? px[p + ch]! : 0;
      }
    }
  }
}

/**
 * Forward pass of the conv + pooling on crops of `image` at (xs[i], ys[i]). With `wantPatches`
 * (training) the patches under each extremum are gathered for the backward pass.
 */
export function forwardCrops(
  kernel: ConvKernel, weights: ConvWeights, pooling: Pooling,
  image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number, wantPatches: boolean,
): CropForward {
  const wantMax = pooling === 'min-max';
  const res = kernel.pool(weights, { image, xs, ys, cropSize, wantMax, wantArgs: wantPatches });
  const n = weights.kernels;
  const count = xs.length;
  let patchMin: Uint8Array | null = null;
  let patchMax: Uint8Array | null = null;
  if (wantPatches) {
    if (!res.argMins || (wantMax && !res.argMaxs)) throw new Error(`Kernel "${kernel.name}" did not return the argmin/argmax positions training needs`);
    patchMin = new Uint8Array(count * n * TAPS);
    if (wantMax) patchMax = new Uint8Array(count * n * TAPS);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < n; k++) {
        const j = i * n + k;
        extractPatch(image, xs[i]!, ys[i]!, cropSize, res.argMins[j]!, patchMin, j * TAPS);
        if (patchMax) extractPatch(image, xs[i]!, ys[i]!, cropSize, res.argMaxs![j]!, patchMax, j * TAPS);
      }
    }
  }
  return { count, kernels: n, mins: res.mins, maxs: wantMax ? res.maxs : null, patchMin, patchMax };
}

function checkForward(layout: ParamLayout, fwd: CropForward): void {
  if (fwd.kernels !== layout.kernels) throw new Error(`Forward pass has ${fwd.kernels} kernel(s) but the model has ${layout.kernels}`);
  if (layout.pooling === 'min-max' && !fwd.maxs) throw new Error('min-max pooling needs the per-kernel maxima');
}

/** Per-crop scores from pooled features (float64 head). */
export function cropScores(layout: ParamLayout, params: Float64Array, fwd: CropForward): Float64Array {
  checkParams(layout, params);
  checkForward(layout, fwd);
  const n = layout.kernels;
  const out = new Float64Array(fwd.count);
  for (let i = 0; i < fwd.count; i++) {
    if (!layout.linear) {
      out[i] = fwd.mins[i]!;
      continue;
    }
    let s = params[layout.fcBias]!;
    for (let k = 0; k < n; k++) s += params[layout.fcWeight + k]! * fwd.mins[i * n + k]!;
    if (fwd.maxs) for (let k = 0; k < n; k++) s += params[layout.fcWeight + n + k]! * fwd.maxs[i * n + k]!;
    out[i] = s;
  }
  return out;
}

/**
 * Adds d(sum_i dScores[i] * score_i)/d(params) to `grad`, i.e. the chain rule from per-crop score
 * gradients (from a loss) through the linear layer and the pooling to the conv weights and biases.
 */
export function backward(layout: ParamLayout, params: Float64Array, fwd: CropForward, dScores: ArrayLike<number>, grad: Float64Array): void {
  checkParams(layout, params);
  checkParams(layout, grad);
  checkForward(layout, fwd);
  if (!fwd.patchMin || (layout.pooling === 'min-max' && !fwd.patchMax)) throw new Error('backward needs a forward pass run with patches');
  if (dScores.length !== fwd.count) throw new Error(`Expected ${fwd.count} score gradients but received ${dScores.length}`);
  const n = layout.kernels;
  const dFeat = new Float64Array(layout.features);
  for (let i = 0; i < fwd.count; i++) {
    const g = dScores[i]!;
    if (g === 0) continue;
    if (layout.linear) {
      grad[layout.fcBias] = grad[layout.fcBias]! + g;
      for (let k = 0; k < n; k++) {
        grad[layout.fcWeight + k] = grad[layout.fcWeight + k]! + g * fwd.mins[i * n + k]!;
        dFeat[k] = g * params[layout.fcWeight + k]!;
      }
      if (fwd.maxs) {
        for (let k = 0; k < n; k++) {
          grad[layout.fcWeight + n + k] = grad[layout.fcWeight + n + k]! + g * fwd.maxs[i * n + k]!;
          dFeat[n + k] = g * params[layout.fcWeight + n + k]!;
        }
      }
    } else {
      dFeat[0] = g;
    }
    for (let k = 0; k < n; k++) {
      addPatchGrad(grad, layout, k, dFeat[k]!, fwd.patchMin, (i * n + k) * TAPS);
      if (fwd.patchMax) addPatchGrad(grad, layout, k, dFeat[n + k]!, fwd.patchMax, (i * n + k) * TAPS);
    }
  }
}

function addPatchGrad(grad: Float64Array, layout: ParamLayout, k: number, d: number, patches: Uint8Array, off: number): void {
  if (d === 0) return;
  grad[layout.convBias + k] = grad[layout.convBias + k]! + d;
  const base = layout.convWeight + k * TAPS;
  const s = d * INV255;
  for (let t = 0; t < TAPS; t++) grad[base + t] = grad[base + t]! + s * patches[off + t]!;
}

/** Concatenates forward results of consecutive crop chunks (e.g. from several workers). */
export function concatForward(parts: readonly CropForward[]): CropForward {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) throw new Error('Expected at least one forward result to concatenate');
  const n = parts[0]!.kernels;
  const count = parts.reduce((s, p) => s + p.count, 0);
  const cat = <T extends Float64Array | Uint8Array>(pick: (p: CropForward) => T | null, make: (len: number) => T, per: number): T | null => {
    if (parts.some((p) => pick(p) === null)) return null;
    const out = make(count * per);
    let o = 0;
    for (const p of parts) {
      out.set(pick(p)!, o);
      o += p.count * per;
    }
    return out;
  };
  return {
    count,
    kernels: n,
    mins: cat((p) => p.mins, (l) => new Float64Array(l), n)!,
    maxs: cat((p) => p.maxs, (l) => new Float64Array(l), n),
    patchMin: cat((p) => p.patchMin, (l) => new Uint8Array(l), n * TAPS),
    patchMax: cat((p) => p.patchMax, (l) => new Uint8Array(l), n * TAPS),
  };
}
