/**
 * Steps shared by FQPath, HVS-MaxPol and Synthetic-MaxPol (pure TS), written from the papers and
 * the reference set's description (../shared/reference/baselines/README.md). All three filter the
 * gray image with a derivative-type MaxPol kernel along x and along y, find from a histogram of the
 * responses how much of the image carries edges (a fraction c), keep the c-fraction of pixels with
 * the strongest combined response f = (sqrt|r_x| + sqrt|r_y|)^2, and take -log10 of a central
 * moment of the kept f.
 */
import { centralMoment } from './moments.js';
import { roundHalfAway } from './rounding.js';
import { Buckets, selectLargest, selectLargestCounted } from './selection.js';

/** Pixels where both responses are positive (and `keep`, when given, is set). */
export interface PositivePairs {
  /** a[0..count): the first response at those pixels, in raster order */
  readonly a: Float64Array;
  /** b[0..count): the second response at the same pixels */
  readonly b: Float64Array;
  readonly count: number;
  /** largest a and largest b (-Infinity when count = 0), and the smallest of both (Infinity then) */
  readonly maxA: number;
  readonly maxB: number;
  readonly min: number;
}

/**
 * FQPath / HVS-MaxPol: mask = keep & (r1 > 0) & (r2 > 0); a = r1[mask], b = r2[mask]. Written
 * into `a`/`b` (at least r1.length long) when given; `a` may be r1 and `b` r2 (in place).
 */
export function positivePairs(r1: Float64Array, r2: Float64Array, keep?: Uint8Array, aOut?: Float64Array, bOut?: Float64Array): PositivePairs {
  const n = r1.length;
  const a = aOut ?? new Float64Array(n);
  const b = bOut ?? new Float64Array(n);
  if (a.length < n || b.length < n) throw new Error(`Expected pair buffers of at least ${n} values`);
  // In place, slot m <= i has already been read. The extent of the kept values is taken in the
  // same pass (it feeds the histogram and the selection). Plain branches: V8 turned the
  // branch-free forms (selects, Math.min/max) into slower code here.
  let m = 0, maxA = -Infinity, maxB = -Infinity, min = Infinity;
  for (let i = 0; i < n; i++) {
    const x = r1[i]!, y = r2[i]!;
    if (x > 0 && y > 0 && (keep === undefined || keep[i] !== 0)) {
      a[m] = x;
      b[m] = y;
      m++;
      if (x > maxA) maxA = x;
      if (y > maxB) maxB = y;
      if (x < min) min = x;
      if (y < min) min = y;
    }
  }
  return { a, b, count: m, maxA, maxB, min };
}

/**
 * Synthetic-MaxPol's responses as magnitudes: |r1|, |r2| in place, and their common range.
 */
export function absoluteInPlace(r1: Float64Array, r2: Float64Array): { min: number; max: number; max1: number; max2: number } {
  let lo = Infinity, max1 = -Infinity, max2 = -Infinity;
  let nan = false;
  for (let i = 0; i < r1.length; i++) {
    const x = Math.abs(r1[i]!), y = Math.abs(r2[i]!);
    r1[i] = x;
    r2[i] = y;
    if (x < lo) lo = x;
    if (y < lo) lo = y;
    if (x > max1) max1 = x;
    if (y > max2) max2 = y;
    if (x !== x || y !== y) nan = true;
  }
  if (nan || max1 === Infinity || max2 === Infinity) {
    throw new Error('filter responses are not finite');
  }
  return { min: lo, max: Math.max(max1, max2), max1, max2 };
}

/**
 * k* of FQPath and HVS-MaxPol: the number of bins whose cdf (cumulative counts / total) lies below
 * cdf_1 + 0.95 (cdf_end - cdf_1).
 */
export function kStarSpread(counts: Float64Array): number {
  const nb = counts.length;
  let total = 0;
  for (let k = 0; k < nb; k++) total += counts[k]!;
  const cdf = new Float64Array(nb);
  let run = 0;
  for (let k = 0; k < nb; k++) {
    run += counts[k]!;
    cdf[k] = run / total;
  }
  const threshold = cdf[0]! + 0.95 * (cdf[nb - 1]! - cdf[0]!);
  let kStar = 0;
  for (let k = 0; k < nb; k++) if (cdf[k]! < threshold) kStar++;
  return kStar;
}

/**
 * k* of Synthetic-MaxPol: counts rescaled to 0..1 (pdf = (n - min) / (max - min)), cdf = cumulative
 * pdf / its sum, k* = the number of bins with cdf < 0.9.
 */
export function kStarQuantile(counts: Float64Array): number {
  const nb = counts.length;
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < nb; k++) {
    lo = Math.min(lo, counts[k]!);
    hi = Math.max(hi, counts[k]!);
  }
  const cum = new Float64Array(nb);
  let run = 0;
  for (let k = 0; k < nb; k++) {
    run += (counts[k]! - lo) / (hi - lo);
    cum[k] = run;
  }
  let kStar = 0;
  for (let k = 0; k < nb; k++) if (cum[k]! / run < 0.9) kStar++;
  return kStar;
}

/**
 * `positions[k* - 1] / positions[end]` (1-based position k*), NaN when k* = 0: MATLAB indexes
 * position 0 there and stops with an error, so there is no score to reproduce.
 */
export function sigmaAt(positions: Float64Array, kStar: number, last = positions[positions.length - 1]!): number {
  return kStar >= 1 ? positions[kStar - 1]! / last : NaN;
}

/** Fraction of pixels kept by FQPath and HVS-MaxPol for a histogram spread sigma. */
export function keptFractionFqpath(sigma: number): number {
  return (1 - Math.tanh(60 * (sigma - 0.095))) / 4 + 0.09;
}

/** Fraction of pixels kept by Synthetic-MaxPol. */
export function keptFractionSynthetic(sigma: number): number {
  return ((1 - Math.tanh(50 * (sigma - 0.095))) / 2) * 0.41 + 0.04;
}

/**
 * Central moment of order p of the round(c count) largest f = (sqrt a + sqrt b)^2 over the pairs
 * a[i], b[i] (i < count), and how many were kept. Overwrites `a` with f. `maxA` / `maxB` bound a
 * and b (from the pass that made them): f <= (sqrt maxA + sqrt maxB)^2 sets the selection's bucket
 * range, so f is counted into buckets as it is made. Moment NaN when nothing is kept (the originals
 * then take the mean of an empty vector).
 */
export function keptMoment(a: Float64Array, b: Float64Array, count: number, c: number, p: number, maxA: number, maxB: number): { keep: number; moment: number } {
  const keep = roundHalfAway(c * count);
  const bound = (Math.sqrt(maxA) + Math.sqrt(maxB)) ** 2;
  const buckets = new Buckets(0, bound * (1 + 1e-12));
  const counts = buckets.counts;
  for (let i = 0; i < count; i++) {
    const s = Math.sqrt(a[i]!) + Math.sqrt(b[i]!);
    const f = s * s;
    a[i] = f;
    counts[buckets.of(f)]!++;
  }
  if (!(keep >= 1)) return { keep, moment: NaN };
  const k = Math.min(keep, count);
  if (buckets.usable) selectLargestCounted(a, count, k, buckets);
  else selectLargest(a, count, k);
  return { keep, moment: centralMoment(a, p, 0, k) };
}

/** -log10(|m|), with the originals' guards: -Inf (|m| infinite) becomes 0 and +Inf (m = 0) 120. */
export function negLog10Abs(m: number): number {
  const v = -Math.log10(Math.abs(m));
  return v === -Infinity ? 0 : v === Infinity ? 120 : v;
}
