/**
 * Stain variation in optical-density space (pure TS): the colour augmentation of H&E and IHC.
 *
 * Brightfield colour follows Beer-Lambert: optical density OD_c = -ln(I_c / I0) is, per pixel,
 * a sum of stain amounts times each stain's absorption vector. Ruifrok & Johnston's matrix
 * (haematoxylin, eosin, DAB) separates an RGB image into the three amounts; scaling each amount
 * by a factor near 1 and shifting it a little (Tellez et al.'s "HED jitter") makes the same
 * tissue look stained by another lab or batch (paler, bluer, browner), while its structure,
 * and so its focus, stays exactly as it was. Jitter is per image, drawn from a seed.
 */
import type { RgbImage } from '../core/image.js';
import { Mulberry32 } from '../core/random.js';
import { finiteNumber } from '../core/check.js';

/** Ruifrok & Johnston (2001) stain OD vectors (rows: H, E, DAB over R, G, B), as scikit-image uses them. */
export const HED_FROM_RGB_STAINS: readonly (readonly [number, number, number])[] = Object.freeze([
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
]);

/** 3x3 inverse (row-major). */
export function invert3(m: readonly (readonly number[])[]): number[][] {
  const [a, b, c] = m[0]!, [d, e, f] = m[1]!, [g, h, i] = m[2]!;
  const A = e! * i! - f! * h!, B = -(d! * i! - f! * g!), C = d! * h! - e! * g!;
  const det = a! * A + b! * B + c! * C;
  if (Math.abs(det) < 1e-12) throw new Error('stain matrix is singular');
  return [
    [A / det, -(b! * i! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * i! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

function normalisedStains(): number[][] {
  return HED_FROM_RGB_STAINS.map((v) => {
    const n = Math.hypot(v[0], v[1], v[2]);
    return [v[0] / n, v[1] / n, v[2] / n];
  });
}

export interface StainJitter {
  /** per stain H, E, DAB: amount multiplier */
  readonly alpha: readonly [number, number, number];
  /** per stain: added amount (OD units) */
  readonly beta: readonly [number, number, number];
}

export const IDENTITY_JITTER: StainJitter = Object.freeze({ alpha: [1, 1, 1] as const, beta: [0, 0, 0] as const });

/** Draw a jitter: alpha ~ U(1 - sigma, 1 + sigma), beta ~ U(-sigma/4, sigma/4) per stain (Tellez et al.: sigma 0.05 light, 0.2 strong). */
export function drawStainJitter(sigma: number, rng: Mulberry32): StainJitter {
  finiteNumber('stain jitter sigma', sigma, 0, 0.5);
  const a = (): number => 1 + sigma * (2 * rng.uniform() - 1);
  const b = (): number => (sigma / 4) * (2 * rng.uniform() - 1);
  return { alpha: [a(), a(), a()], beta: [b(), b(), b()] };
}

/**
 * Apply a stain jitter: RGB -> OD -> stain amounts -> alpha·amount + beta -> OD -> RGB. The whole
 * chain is linear in OD, so it is one 3x3 matrix and an offset per pixel. OD uses the half-pixel
 * convention OD = -ln((v + 0.5) / 255.5), which maps 0..255 to finite values and makes the
 * identity jitter return every pixel unchanged.
 */
export function jitterStains(img: RgbImage, jitter: StainJitter): RgbImage {
  const stains = normalisedStains();
  const toAmount = invert3(stains);
  const od = new Float64Array(256);
  for (let v = 0; v < 256; v++) od[v] = -Math.log((v + 0.5) / 255.5);
  const { alpha, beta } = jitter;
  // Combined linear map on OD: OD' = OD · toAmount · diag(alpha) · stains + beta · stains
  const m: number[][] = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += toAmount[i]![k]! * alpha[k]! * stains[k]![j]!;
      m[i]![j] = s;
    }
  }
  const off = [0, 1, 2].map((j) => beta[0] * stains[0]![j]! + beta[1] * stains[1]![j]! + beta[2] * stains[2]![j]!);
  const { data } = img;
  const out = new Uint8Array(data.length);
  const clamped = new Uint8ClampedArray(out.buffer);
  for (let p = 0; p < data.length; p += 3) {
    const o0 = od[data[p]!]!, o1 = od[data[p + 1]!]!, o2 = od[data[p + 2]!]!;
    for (let j = 0; j < 3; j++) {
      const o = o0 * m[0]![j]! + o1 * m[1]![j]! + o2 * m[2]![j]! + off[j]!;
      clamped[p + j] = 255.5 * Math.exp(-o) - 0.5;
    }
  }
  return { width: img.width, height: img.height, data: out };
}
