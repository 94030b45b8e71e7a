/**
 * Synthetic defocus (pure TS): a physically motivated point-spread function and a fast way to
 * apply it, plus seeded Gaussian sensor noise.
 *
 * Model. In geometric optics a point that lies a distance dz from the focal plane images as a
 * uniform disk (the "circle of confusion") whose radius grows linearly with |dz|. Diffraction,
 * lens aberrations and the sensor's pixel footprint soften the disk's rim, which we model with a
 * small Gaussian. So for a focus level z (FocusPath's z-level, one step of the scanner's z-stack):
 *
 *   disk radius  r(z)     = radiusPerLevel * |z|                       (px)
 *   softening    sigma(z) = sigma0 * min(1, |z|) + sigmaPerLevel * |z|  (px)
 *   PSF          = disk(r) convolved with gauss(sigma), normalised to sum 1
 *
 * z = 0 is exactly the identity (the in-focus source is passed through untouched); sigma0 is ramped
 * in over the first level so the PSF changes continuously with fractional z (used by focus
 * gradients). The default constants put |z| = 10 at a 16 px wide disk (r = 8 px), which at the
 * FocusPath / TCGA 40x resolution (~0.25 um/px) takes a patch from crisp to heavily blurred, as the
 * real z-stacks do over ten levels. They are a model, not a calibration of any scanner.
 *
 * Speed. The disk is stored as one horizontal box per kernel row (width = the disk's area in that
 * row, so the rim is anti-aliased and the total is exactly pi r^2). A box of any (fractional) width
 * is two look-ups in a row prefix sum, so the disk costs O(rows) per pixel instead of O(r^2); the
 * Gaussian is separable. Because both stages are symmetric and the borders are mirrored
 * (half-sample symmetric), the result equals a direct 2-D convolution with the combined kernel
 * (see `defocusKernel` / `convolveDirect`, kept as the reference) up to float rounding.
 */
import type { RgbImage } from '../core/image.js';
import { Mulberry32 } from '../core/random.js';
import { finiteNumber } from '../core/check.js';

export interface DefocusParams {
  /** disk radius in px per unit of |z| */
  readonly radiusPerLevel: number;
  /** Gaussian softening at |z| >= 1, px (ramped in linearly over 0 < |z| < 1) */
  readonly sigma0: number;
  /** extra Gaussian softening per unit of |z|, px */
  readonly sigmaPerLevel: number;
}

export const DEFAULT_DEFOCUS: DefocusParams = Object.freeze({ radiusPerLevel: 0.8, sigma0: 0.5, sigmaPerLevel: 0.05 });

/** Largest |z| accepted: r = 0.8 * 64 = 51 px is already far beyond any real z-stack. */
export const MAX_DEFOCUS_LEVEL = 64;

function checkLevel(level: number): number {
  finiteNumber('defocus level', level, -MAX_DEFOCUS_LEVEL, MAX_DEFOCUS_LEVEL);
  return Math.abs(level);
}

function checkParams(p: DefocusParams): DefocusParams {
  for (const key of ['radiusPerLevel', 'sigma0', 'sigmaPerLevel'] as const) {
    const v = p[key];
    finiteNumber(key, v, 0, 10);
  }
  return p;
}

/** Disk radius (px) at a focus level. */
export function defocusRadius(level: number, params: DefocusParams = DEFAULT_DEFOCUS): number {
  return checkParams(params).radiusPerLevel * checkLevel(level);
}

/** Gaussian softening (px) at a focus level; 0 at level 0. */
export function defocusSigma(level: number, params: DefocusParams = DEFAULT_DEFOCUS): number {
  const z = checkLevel(level);
  checkParams(params);
  return params.sigma0 * Math.min(1, z) + params.sigmaPerLevel * z;
}

/** One kernel row of the disk: a horizontal box [-halfWidth, halfWidth] at vertical offset dy. */
export interface DiskRow {
  readonly dy: number;
  readonly halfWidth: number;
}

export interface DiskRows {
  readonly radius: number;
  /** rows with non-zero area, dy ascending */
  readonly rows: readonly DiskRow[];
  /** sum of the row areas (= pi r^2, or 1 for the identity) */
  readonly area: number;
  /** largest |dx| or |dy| with non-zero weight */
  readonly reach: number;
}

/** Antiderivative of the chord length 2*sqrt(r^2 - y^2). */
function chordIntegral(r: number, y: number): number {
  const c = Math.max(-r, Math.min(r, y));
  return c * Math.sqrt(Math.max(0, r * r - c * c)) + r * r * Math.asin(c / r);
}

/**
 * The disk of radius r as rows: row dy covers the vertical strip [dy-0.5, dy+0.5]; its box width is
 * the disk's area inside that strip (the mean chord), which anti-aliases the rim in both directions.
 * r = 0 gives the identity (one row of width 1).
 */
export function diskRows(radius: number): DiskRows {
  if (!Number.isFinite(radius) || radius < 0) throw new Error(`Expected non-negative number for disk radius but received ${radius}`);
  if (radius === 0) return { radius, rows: [{ dy: 0, halfWidth: 0.5 }], area: 1, reach: 0 };
  const rows: DiskRow[] = [];
  let area = 0;
  let reach = 0;
  const last = Math.ceil(radius + 0.5);
  for (let dy = -last; dy <= last; dy++) {
    const a = chordIntegral(radius, dy + 0.5) - chordIntegral(radius, dy - 0.5);
    if (a <= 1e-12) continue;
    const halfWidth = a / 2;
    rows.push({ dy, halfWidth });
    area += a;
    // pixel dx is touched when its left edge dx-0.5 lies inside the box
    reach = Math.max(reach, Math.abs(dy), Math.ceil(halfWidth + 0.5) - 1);
  }
  return { radius, rows, area, reach };
}

/** Sampled, normalised 1-D Gaussian of half-width ceil(3 sigma); sigma 0 gives [1]. */
export function gaussianTaps(sigma: number): Float64Array {
  if (!Number.isFinite(sigma) || sigma < 0) throw new Error(`Expected non-negative number for sigma but received ${sigma}`);
  if (sigma === 0) return Float64Array.of(1);
  const half = Math.ceil(3 * sigma);
  const taps = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let i = -half; i <= half; i++) sum += taps[i + half] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i]! /= sum;
  return taps;
}

/** A square 2-D kernel, (2*half+1)^2 weights, row-major, centred. */
export interface Kernel2D {
  readonly half: number;
  readonly weights: Float64Array;
}

/** The disk rows rasterised: weight(dx, dy) = overlap of pixel [dx-0.5, dx+0.5] with the row's box. */
export function diskKernel(radius: number): Kernel2D {
  const disk = diskRows(radius);
  const half = disk.reach;
  const size = 2 * half + 1;
  const weights = new Float64Array(size * size);
  for (const { dy, halfWidth } of disk.rows) {
    for (let dx = -half; dx <= half; dx++) {
      const overlap = Math.min(dx + 0.5, halfWidth) - Math.max(dx - 0.5, -halfWidth);
      if (overlap > 0) weights[(dy + half) * size + dx + half] = overlap / disk.area;
    }
  }
  return { half, weights };
}

/** The full defocus PSF at a level as an explicit 2-D kernel (disk convolved with the Gaussian); sums to 1. */
export function defocusKernel(level: number, params: DefocusParams = DEFAULT_DEFOCUS): Kernel2D {
  const disk = diskKernel(defocusRadius(level, params));
  const taps = gaussianTaps(defocusSigma(level, params));
  const g = (taps.length - 1) / 2;
  const half = disk.half + g;
  const size = 2 * half + 1;
  const dsize = 2 * disk.half + 1;
  const weights = new Float64Array(size * size);
  for (let dy = 0; dy < dsize; dy++) {
    for (let dx = 0; dx < dsize; dx++) {
      const w = disk.weights[dy * dsize + dx]!;
      if (w === 0) continue;
      for (let gy = 0; gy < taps.length; gy++) {
        const row = (dy + gy) * size + dx;
        const wy = w * taps[gy]!;
        for (let gx = 0; gx < taps.length; gx++) weights[row + gx]! += wy * taps[gx]!;
      }
    }
  }
  return { half, weights };
}

/**
 * Mirror an index into [0, n): half-sample symmetric (edge pixel repeated: ... b a | a b c ...),
 * periodic with 2n so any overhang works, even on 1-px images.
 */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

function toUint8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Reference implementation: direct 2-D convolution with mirrored borders (slow: O(kernel area) per pixel). */
export function convolveDirect(img: RgbImage, kernel: Kernel2D): RgbImage {
  const { width: w, height: h, data } = img;
  const { half, weights } = kernel;
  const size = 2 * half + 1;
  const out = new Uint8Array(data.length);
  const xs = new Int32Array(w + 2 * half);
  for (let i = 0; i < xs.length; i++) xs[i] = reflectIndex(i - half, w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0;
      for (let ky = 0; ky < size; ky++) {
        const row = reflectIndex(y + ky - half, h) * w;
        for (let kx = 0; kx < size; kx++) {
          const wt = weights[ky * size + kx]!;
          if (wt === 0) continue;
          const p = (row + xs[x + kx]!) * 3;
          r += wt * data[p]!;
          g += wt * data[p + 1]!;
          b += wt * data[p + 2]!;
        }
      }
      const o = (y * w + x) * 3;
      out[o] = toUint8(r);
      out[o + 1] = toUint8(g);
      out[o + 2] = toUint8(b);
    }
  }
  return { width: w, height: h, data: out };
}

/** Disk stage on one channel plane: per kernel row, a fractional-width box read from row prefix sums. */
function diskPass(data: Uint8Array, channel: number, w: number, h: number, disk: DiskRows): Float32Array {
  const ry = disk.reach;
  const px = disk.reach + 2; // room for the interpolation's j+1 look-up
  const wp = w + 2 * px;
  const stride = wp + 1;
  const hp = h + 2 * ry;
  const prefix = new Float64Array(hp * stride);
  const xs = new Int32Array(wp);
  for (let j = 0; j < wp; j++) xs[j] = reflectIndex(j - px, w) * 3 + channel;
  for (let py = 0; py < hp; py++) {
    const src = reflectIndex(py - ry, h) * w * 3;
    const base = py * stride;
    let acc = 0;
    prefix[base] = 0;
    for (let j = 0; j < wp; j++) {
      acc += data[src + xs[j]!]!;
      prefix[base + j + 1] = acc;
    }
  }
  // Row dy and row -dy have the same box, so they share one pass. Per box of half-width hw,
  // with u1 = hw + 0.5 = o1 + f1 and C(t) the integral of the piecewise-constant row up to t
  // (C at pixel edges = prefix sums, linear in between):
  //   C(q + hw) - C(q - hw) = (1 - f1) (S[q+o1] - S[q-o1+1]) + f1 (S[q+o1+1] - S[q-o1])
  const pairs: Array<{ dy: number; o1: number; f1: number }> = [];
  for (const { dy, halfWidth } of disk.rows) {
    if (dy < 0) continue;
    const u1 = halfWidth + 0.5;
    const o1 = Math.floor(u1);
    pairs.push({ dy, o1, f1: u1 - o1 });
  }
  const res = new Float32Array(w * h);
  const inv = 1 / disk.area;
  const row = new Float64Array(w);
  // y outer, kernel rows inner: the output row stays in cache and each prefix row is reused by
  // the next 2r output rows while it is still cached.
  for (let y = 0; y < h; y++) {
    row.fill(0);
    for (const { dy, o1, f1 } of pairs) {
      const g1 = 1 - f1;
      const up = (y + ry - dy) * stride + px;
      const down = (y + ry + dy) * stride + px;
      const a0 = o1, b0 = 1 - o1;
      if (dy === 0) {
        for (let x = 0; x < w; x++) {
          const a = up + x + a0, b = up + x + b0;
          row[x]! += g1 * (prefix[a]! - prefix[b]!) + f1 * (prefix[a + 1]! - prefix[b - 1]!);
        }
      } else {
        for (let x = 0; x < w; x++) {
          const a = up + x + a0, b = up + x + b0;
          const c = down + x + a0, d = down + x + b0;
          row[x]! += g1 * (prefix[a]! - prefix[b]! + prefix[c]! - prefix[d]!) + f1 * (prefix[a + 1]! - prefix[b - 1]! + prefix[c + 1]! - prefix[d - 1]!);
        }
      }
    }
    const out = y * w;
    for (let x = 0; x < w; x++) res[out + x] = row[x]! * inv;
  }
  return res;
}

/** Separable Gaussian stage on one channel plane, mirrored borders. */
function gaussPass(plane: Float32Array, w: number, h: number, taps: Float64Array): Float32Array {
  const g = (taps.length - 1) / 2;
  if (g === 0) return plane;
  const tmp = new Float32Array(w * h);
  const line = new Float32Array(Math.max(w, h) + 2 * g);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let j = 0; j < w + 2 * g; j++) line[j] = plane[row + reflectIndex(j - g, w)]!;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < taps.length; k++) s += taps[k]! * line[x + k]!;
      tmp[row + x] = s;
    }
  }
  const out = new Float32Array(w * h);
  // vertical pass row by row (cache friendly): out[y] = sum_k taps[k] * tmp[reflect(y + k - g)]
  for (let y = 0; y < h; y++) {
    const orow = y * w;
    for (let k = 0; k < taps.length; k++) {
      const t = taps[k]!;
      const srow = reflectIndex(y + k - g, h) * w;
      for (let x = 0; x < w; x++) out[orow + x]! += t * tmp[srow + x]!;
    }
  }
  return out;
}

/**
 * Blur an image with the defocus PSF of a focus level (sign ignored). Level 0 returns an
 * identical copy. About 0.2-0.3 s for 1024x1024 at |z| = 10 (r = 8 px).
 */
export function defocusImage(img: RgbImage, level: number, params: DefocusParams = DEFAULT_DEFOCUS): RgbImage {
  const r = defocusRadius(level, params);
  const sigma = defocusSigma(level, params);
  const { width: w, height: h, data } = img;
  if (r === 0 && sigma === 0) return { width: w, height: h, data: data.slice() };
  const disk = diskRows(r);
  const taps = gaussianTaps(sigma);
  const out = new Uint8Array(data.length);
  // a clamped view converts (round half to even, clamp to 0..255) in hardware
  const clamped = new Uint8ClampedArray(out.buffer);
  for (let c = 0; c < 3; c++) {
    const blurred = gaussPass(diskPass(data, c, w, h, disk), w, h, taps);
    for (let i = 0, o = c; i < blurred.length; i++, o += 3) clamped[o] = blurred[i]!;
  }
  return { width: w, height: h, data: out };
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
 * p must lie in (0, 1).
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`Expected number between 0 and 1 (exclusive) for probability but received ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < lo ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

let normalTable: Float32Array | null = null;

/**
 * 65536 equiprobable standard normal quantiles, at (k + 0.5) / 65536. Drawing a uniform 16-bit
 * index gives a normal sample (tails cut at about 4.2 sigma), two per 32-bit random number: about
 * ten times faster than Box-Muller, and exact enough for noise that is rounded to 8 bits anyway.
 */
function normalQuantiles(): Float32Array {
  if (!normalTable) {
    normalTable = new Float32Array(65536);
    for (let k = 0; k < 65536; k++) normalTable[k] = inverseNormalCdf((k + 0.5) / 65536);
  }
  return normalTable;
}

/**
 * Additive Gaussian sensor noise, independent per pixel and channel, sigma in 8-bit units,
 * rounded and clamped to 0..255. Deterministic for a seed; sigma 0 returns a copy.
 */
export function addSensorNoise(img: RgbImage, sigma: number, seed: number): RgbImage {
  finiteNumber('noise sigma', sigma, 0, 128);
  const out = img.data.slice();
  if (sigma === 0) return { width: img.width, height: img.height, data: out };
  // Pixels are integers, so round(v + sigma*g) = v + round(sigma*g): precompute the rounded
  // noise per quantile once, then each sample is a look-up and a clamped add.
  const quantiles = normalQuantiles();
  const table = new Int16Array(65536);
  for (let k = 0; k < 65536; k++) table[k] = Math.max(-512, Math.min(512, Math.round(sigma * quantiles[k]!)));
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, out.length);
  const rng = new Mulberry32(seed >>> 0);
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r = rng.nextUint32();
    clamped[i] = clamped[i]! + table[r & 0xffff]!;
    clamped[i + 1] = clamped[i + 1]! + table[r >>> 16]!;
  }
  if (i < n) clamped[i] = clamped[i]! + table[rng.nextUint32() & 0xffff]!;
  return { width: img.width, height: img.height, data: out };
}
