/**
 * Gray conversions of an RGB image, as the original methods make them (pure TS).
 * - MATLAB `rgb2gray` on uint8: round((wR R + wG G) + wB B), ties away from zero, saturated to
 *   0..255, with MATLAB's weights (Octave's are rounded to 6 digits and differ for 236 RGB triplets);
 *   `im2double` then divides by 255. The MaxPol family and Tenengrad/Brenner use this `g`.
 * - scikit-image `rgb2gray` (HistoQC): 0.2125 R + 0.7154 G + 0.0721 B on RGB / 255, not rounded.
 */
import type { RgbImage } from '../image.js';

export const MATLAB_GRAY_WEIGHTS = [0.298936021293775, 0.587043074451121, 0.114020904255103] as const;
export const SKIMAGE_GRAY_WEIGHTS = [0.2125, 0.7154, 0.0721] as const;

/** A gray (or any single-channel float) plane, row-major. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float64Array;
}

/** w * v for every byte value v: the same doubles as multiplying in the loop, looked up. */
const products = (w: number): Float64Array => Float64Array.from({ length: 256 }, (_, v) => w * v);
const MR = products(MATLAB_GRAY_WEIGHTS[0]), MG = products(MATLAB_GRAY_WEIGHTS[1]), MB = products(MATLAB_GRAY_WEIGHTS[2]);

/**
 * MATLAB's uint8 gray level of one pixel: round((wR R + wG G) + wB B), ties away from zero. The sum
 * lies in [0, 255), so that is (v + 0.5) truncated, computed branch-free with `| 0` (a branch on the
 * fraction mispredicts half the time; Math.round is a slow call in V8 here). v + 0.5 can round up
 * wrongly only for v in [0.5 - 2^-54, 0.5), which no RGB triplet gives: the test checks all 2^24
 * triplets against an exact rounding.
 */
function gray8Of(r: number, g: number, b: number): number {
  return ((MR[r]! + MG[g]!) + MB[b]! + 0.5) | 0;
}

/** MATLAB `rgb2gray` of a uint8 RGB image: uint8 gray, row-major. */
export function matlabGray8(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const src = image.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) out[i] = gray8Of(src[o]!, src[o + 1]!, src[o + 2]!);
  return out;
}

/** byte / 255 for every byte value (MATLAB `im2double` of uint8) */
const UNIT = Float64Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * `im2double(rgb2gray(rgb))`: the input `g` of FQPath, HVS-MaxPol and Synthetic-MaxPol.
 * `out` (width * height values) is filled instead of a new array when given.
 */
export function matlabGray(image: RgbImage, out?: Float64Array): Plane {
  const n = image.width * image.height;
  const data = out ?? new Float64Array(n);
  if (data.length !== n) throw new Error(`Expected an output of ${n} values but received ${data.length}`);
  const src = image.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) data[i] = UNIT[gray8Of(src[o]!, src[o + 1]!, src[o + 2]!)]!;
  return { width: image.width, height: image.height, data };
}

/** scikit-image `rgb2gray` (used by HistoQC): luminance of RGB / 255, in 0..1, not rounded. */
export function skimageGray(image: RgbImage, out?: Float64Array): Plane {
  const [wr, wg, wb] = SKIMAGE_GRAY_WEIGHTS;
  const n = image.width * image.height;
  const data = out ?? new Float64Array(n);
  if (data.length !== n) throw new Error(`Expected an output of ${n} values but received ${data.length}`);
  const src = image.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) data[i] = wr * UNIT[src[o]!]! + wg * UNIT[src[o + 1]!]! + wb * UNIT[src[o + 2]!]!;
  return { width: image.width, height: image.height, data };
}

/** Copy a rectangle out of a plane (it must lie inside), into `out` when given. */
export function cropPlane(plane: Plane, x: number, y: number, w: number, h: number, out?: Float64Array): Plane {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > plane.width || y + h > plane.height) {
    throw new Error(`Crop ${w}x${h} at (${x},${y}) lies outside the ${plane.width}x${plane.height} image`);
  }
  const data = out ?? new Float64Array(w * h);
  if (data.length !== w * h) throw new Error(`Expected an output of ${w * h} values but received ${data.length}`);
  for (let r = 0; r < h; r++) {
    const src = (y + r) * plane.width + x;
    data.set(plane.data.subarray(src, src + w), r * w);
  }
  return { width: w, height: h, data };
}

/**
 * `double(rgb2gray(rgb))`: MATLAB's uint8 gray levels as doubles 0..255 (the input of the S index,
 * GPC and LPC-SI, whose constants assume that scale). `out` is filled when given.
 */
export function matlabGrayLevels(image: RgbImage, out?: Float64Array): Plane {
  const n = image.width * image.height;
  const data = out ?? new Float64Array(n);
  if (data.length !== n) throw new Error(`Expected an output of ${n} values but received ${data.length}`);
  const src = image.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) data[i] = gray8Of(src[o]!, src[o + 1]!, src[o + 2]!);
  return { width: image.width, height: image.height, data };
}
