/**
 * Partial descending selection (pure TS): the k largest of n values, without sorting all n.
 * The MaxPol measures keep the top round(c M) of M feature values ("sort descending, keep the
 * first ..."); only which values are kept matters, because their moments are then taken with
 * compensated sums (./moments.ts) that do not depend on the order.
 */
import { integer } from '../check.js';

/**
 * Rearrange `a[0..n)` so that `a[0..k)` holds its k largest values (in no particular order);
 * what is left in `a[k..n)` is unspecified. NaN is refused: it has no place in an order (MATLAB's
 * `sort(..., 'descend')` would put it first).
 *
 * Bucket selection: the values are counted into 4096 equal-width buckets over [min, max]
 * (bucket index monotone in the value), the bucket holding the k-th largest is found from the top,
 * the values of the buckets above it are moved to the front and only that bucket's values are
 * quick-selected. Three linear passes and a small selection, against the many unpredictable
 * branches of quickselect over all n (about 4x slower on a million values).
 */
export function selectLargest(a: Float64Array, n: number, k: number): void {
  integer('length', n, 0, a.length);
  integer('count', k, 0, n);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new Error(`Cannot select among values containing NaN (at ${indexOfNaN(a, n)})`);
  if (k === 0 || k === n || lo === hi) return;
  const buckets = new Buckets(lo, hi);
  if (!buckets.usable) {
    quickSelectLargest(a, 0, n - 1, k - 1);
    return;
  }
  for (let i = 0; i < n; i++) buckets.counts[buckets.of(a[i]!)]!++;
  selectLargestCounted(a, n, k, buckets);
}

/**
 * Equal-width buckets over [lo, hi] for bucket selection. A caller that makes a pass over the
 * values anyway counts them there (`counts[of(v)]++`) and then calls selectLargestCounted. The
 * range must contain every value (a bound is fine: only the monotonicity of `of` matters).
 */
export class Buckets {
  static readonly COUNT = 4096;
  readonly counts = new Uint32Array(Buckets.COUNT);
  readonly scale: number;
  /** false when the range is empty or not finite: use a plain selection then */
  readonly usable: boolean;
  constructor(readonly lo: number, hi: number) {
    this.scale = Buckets.COUNT / (hi - lo);
    this.usable = hi > lo && Number.isFinite(this.scale) && Number.isFinite(hi - lo);
  }
  /** Bucket of v in 0..COUNT-1, monotone non-decreasing in v (each step is a monotone rounded operation). */
  of(v: number): number {
    const q = ((v - this.lo) * this.scale) | 0;
    return q < 0 ? 0 : q < Buckets.COUNT ? q : Buckets.COUNT - 1;
  }
}

/**
 * selectLargest for values already counted into `buckets` (every one of a[0..n), none of NaN):
 * finds the bucket holding the k-th largest from the top, moves the values of the buckets above it
 * to the front and quick-selects only that bucket's values.
 */
export function selectLargestCounted(a: Float64Array, n: number, k: number, buckets: Buckets): void {
  if (k === 0 || k === n) return;
  const counts = buckets.counts;
  // the bucket b of the k-th largest: fewer than k values above it, at least k from it up
  let b = Buckets.COUNT - 1, above = 0;
  while (above + counts[b]! < k) above += counts[b--]!;
  const candidates = new Float64Array(counts[b]!);
  let w = 0, c = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    const q = buckets.of(v);
    // w <= i: only slots already read are overwritten
    if (q > b) a[w++] = v;
    else if (q === b) candidates[c++] = v;
  }
  if (w !== above || c !== candidates.length) throw new Error(`bucket counts do not match the values (${w}/${above} above, ${c}/${candidates.length} in the bucket)`);
  const need = k - above;
  if (need < candidates.length) quickSelectLargest(candidates, 0, candidates.length - 1, need - 1);
  a.set(candidates.subarray(0, need), above);
}

function indexOfNaN(a: Float64Array, n: number): number {
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i]!)) return i;
  return -1;
}

/**
 * Quickselect on a[lo..hi] (median-of-three pivot, Hoare partition, which keeps runs of equal
 * values balanced) until a[lo..target] holds the largest values; falls back to sorting the range
 * if partitions keep coming out lopsided, so the worst case stays O(n log n).
 */
function quickSelectLargest(a: Float64Array, lo: number, hi: number, target: number): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 16;
  while (hi > lo) {
    if (budget-- === 0) {
      sortDescending(a, lo, hi + 1);
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // now a[lo..j] >= pivot, a[i..hi] <= pivot, and everything strictly between equals pivot
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}

/** Sort `a[from..to)` in descending order, in place. */
export function sortDescending(a: Float64Array, from = 0, to = a.length): void {
  const part = a.subarray(from, to);
  part.sort();
  part.reverse();
}

/** The k largest of `values[0..n)`, in descending order, as a new array (`values` is untouched). */
export function largestDescending(values: ArrayLike<number>, n: number, k: number): Float64Array {
  const work = Float64Array.from({ length: n }, (_, i) => values[i]!);
  selectLargest(work, n, k);
  const top = work.slice(0, k);
  sortDescending(top);
  return top;
}
