/**
 * The two MATLAB histograms the MaxPol measures read bin positions from (pure TS):
 * - `hist(y, nb)` (FQPath): equal bins from min to max, right-closed, reporting bin centres;
 * - `histcounts(y, nb)` (HVS-MaxPol, Synthetic-MaxPol): MATLAB's "nice" edges (not min..max),
 *   left-closed with the last bin closed on both sides, reporting the edges.
 * The methods use `centre(k*) / centre(end)` or `edge(k*) / max(edge)`, so the edges must be
 * MATLAB's to the last bit: every step below is one IEEE operation in MATLAB's order.
 * Data are given as several arrays (`[a; b]` in MATLAB) to avoid concatenating millions of values.
 */
import { integer } from '../check.js';
import { eps, pow10 } from './rounding.js';

export type Samples = readonly Float64Array[];

/**
 * The data's smallest and largest value (NaN skipped; for histcounts also infinities), when the
 * caller already has them from a pass it makes anyway: the histograms then skip their own.
 */
export interface DataRange {
  readonly min: number;
  readonly max: number;
}

export interface Histogram {
  /** bin counts (integers, as doubles) */
  readonly counts: Float64Array;
  /** `hist`: the nb bin centres; `histcounts`: the nb + 1 edges */
  readonly positions: Float64Array;
  /** smallest and largest value counted (Infinity, -Infinity without data) */
  readonly min: number;
  readonly max: number;
}

/**
 * Smallest and largest value of x folded into ext = [min, max]. Math.min/max (V8 compiles them
 * to two instructions, where a compare-and-assign is 3x slower) propagate NaN, so a NaN or, with
 * `finite`, an infinity sends that array through the slow path that skips them.
 */
function extendExtent(x: Float64Array, finite: boolean, ext: Float64Array): void {
  let lo = ext[0]!, hi = ext[1]!;
  let l = Infinity, h = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    l = Math.min(l, v);
    h = Math.max(h, v);
  }
  if (Number.isNaN(l) || Number.isNaN(h) || (finite && (l === -Infinity || h === Infinity))) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Number.isNaN(v) || (finite && !Number.isFinite(v))) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    lo = Math.min(lo, l);
    hi = Math.max(hi, h);
  }
  ext[0] = lo;
  ext[1] = hi;
}

function extent(samples: Samples, finite: boolean): { min: number; max: number } {
  const ext = Float64Array.of(Infinity, -Infinity);
  for (const x of samples) extendExtent(x, finite, ext);
  return { min: ext[0]!, max: ext[1]! };
}

function checkBins(nb: number): void {
  integer('bins', nb, 1, 1e6);
}

/**
 * Bin initial guess from arithmetic, (v - e_0) / w truncated and clamped to 0..nb-1; the callers
 * then walk to the exact bin by comparing with the stored edges, as MATLAB bins. (`| 0`, not
 * Math.floor, which V8 compiles to a slow call here; NaN becomes 0, fine for a guess.)
 */
function guessBin(v: number, e0: number, w: number, nb: number): number {
  const q = (v - e0) / w;
  return q > 0 ? (q < nb - 1 ? q | 0 : nb - 1) : 0;
}

/** `hist` binning: bin 0 is (-inf, e_1], bin k (e_k, e_{k+1}], bin nb-1 (e_{nb-1}, +inf). */
function binRightClosed(x: Float64Array, edges: Float64Array, nb: number, w: number, counts: Uint32Array): void {
  const e0 = edges[0]!;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) continue; // NaN
    let k = guessBin(v, e0, w, nb);
    // the guess is nearly always right: check it with two compares, walk only when it is not
    if ((k > 0 && v <= edges[k]!) || (k < nb - 1 && v > edges[k + 1]!)) {
      while (k > 0 && v <= edges[k]!) k--;
      while (k < nb - 1 && v > edges[k + 1]!) k++;
    }
    counts[k]!++;
  }
}

/** `histcounts` binning: bin k is [e_k, e_{k+1}), the last [e_{nb-1}, e_nb]; values outside are not counted. */
function binLeftClosed(x: Float64Array, edges: Float64Array, nb: number, w: number, counts: Uint32Array): void {
  const first = edges[0]!, last = edges[nb]!;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= first && v <= last)) continue;
    let k = guessBin(v, first, w, nb);
    if (v < edges[k]! || (k < nb - 1 && v >= edges[k + 1]!)) {
      while (k > 0 && v < edges[k]!) k--;
      while (k < nb - 1 && v >= edges[k + 1]!) k++;
    }
    counts[k]!++;
  }
}

/**
 * MATLAB `[N, centres] = hist(y, nb)` for a vector y (NaN ignored): w = (max - min) / nb,
 * e_k = min + w k (k = 0..nb, e_nb = max), centres e_k + w/2; bin 1 is (-inf, e_1], bin k
 * (e_{k-1}, e_k], bin nb (e_{nb-1}, +inf). Constant data: min -= floor(nb/2) + 0.5,
 * max += ceil(nb/2) - 0.5 first. No data: all counts 0, centres 1..nb (MATLAB's choice).
 */
export function matlabHist(samples: Samples, nb: number, knownRange?: DataRange): Histogram {
  checkBins(nb);
  const range = knownRange ?? extent(samples, false);
  let { min, max } = range;
  const counts = new Float64Array(nb);
  const positions = new Float64Array(nb);
  if (min > max) {
    for (let k = 0; k < nb; k++) positions[k] = k + 1;
    return { counts, positions, ...range };
  }
  if (min === max) {
    min = min - Math.floor(nb / 2) - 0.5;
    max = max + Math.ceil(nb / 2) - 0.5;
  }
  const w = (max - min) / nb;
  const edges = new Float64Array(nb + 1);
  for (let k = 0; k <= nb; k++) edges[k] = min + w * k;
  edges[nb] = max;
  for (let k = 0; k < nb; k++) positions[k] = edges[k]! + w / 2;
  const tally = new Uint32Array(nb);
  for (const x of samples) binRightClosed(x, edges, nb, w, tally);
  counts.set(tally);
  return { counts, positions, ...range };
}

/** MATLAB's `histcounts` edges for `nb` bins over data spanning [xmin, xmax] (finite). */
export function niceEdges(xmin: number, xmax: number, nb: number): Float64Array {
  checkBins(nb);
  const xscale = Math.max(Math.abs(xmin), Math.abs(xmax));
  const xrange = xmax - xmin;
  const raw = Math.max(xrange / nb, eps(xscale));
  let left: number, right: number, w: number;
  if (xrange > Math.max(Math.sqrt(eps(xscale)), Number.MIN_VALUE * 2 ** 52)) {
    // realmin (smallest normal) = 2^-1022 = MIN_VALUE * 2^52
    const p = pow10(Math.floor(Math.log10(raw)));
    w = p * Math.floor(raw / p);
    left = Math.max(Math.min(w * Math.floor(xmin / w), xmin), -Number.MAX_VALUE);
    if (nb > 1) {
      const lo = (xmax - left) / nb;
      const hi = (xmax - left) / (nb - 1);
      const q = pow10(Math.floor(Math.log10(hi - lo)));
      w = q * Math.ceil(lo / q);
    }
    right = Math.min(Math.max(left + nb * w, xmax), Number.MAX_VALUE);
  } else {
    const r = Math.max(1, Math.ceil(nb * eps(xscale)));
    left = Math.floor(2 * (xmin - r / 4)) / 2;
    right = Math.ceil(2 * (xmax + r / 4)) / 2;
    w = (right - left) / nb;
  }
  const edges = new Float64Array(nb + 1);
  if (!Number.isFinite(w)) {
    // MATLAB falls back to linspace(left, right, nb + 1)
    for (let k = 0; k <= nb; k++) edges[k] = k === nb ? right : left + (k * (right - left)) / nb;
    return edges;
  }
  edges[0] = left;
  for (let k = 1; k < nb; k++) edges[k] = left + k * w;
  edges[nb] = right;
  return edges;
}

/**
 * MATLAB `[N, edges] = histcounts(y, nb)`: nice edges over the finite data; bin k holds
 * edges[k] <= v < edges[k+1], the last bin also v == edges[nb]; values outside and NaN are not
 * counted. No finite data: edges 0..nb, counts 0.
 */
export function matlabHistcounts(samples: Samples, nb: number, knownRange?: DataRange): Histogram {
  checkBins(nb);
  const { min, max } = knownRange ?? extent(samples, true);
  const counts = new Float64Array(nb);
  if (min > max) return { counts, positions: Float64Array.from({ length: nb + 1 }, (_, k) => k), min, max };
  const edges = niceEdges(min, max, nb);
  const tally = new Uint32Array(nb);
  const w = (edges[nb]! - edges[0]!) / nb;
  for (const x of samples) binLeftClosed(x, edges, nb, w, tally);
  counts.set(tally);
  return { counts, positions: edges, min, max };
}
