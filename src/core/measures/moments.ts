/**
 * Sums and central moments with compensated (Neumaier) summation (pure TS): the result is the
 * exact sum rounded once, up to a tiny term, whatever the order of the values. The originals sum
 * a sorted vector left to right; being order-free lets us skip that sort and still agree with them
 * to far below the parity tolerance (their own rounding error is about n times larger than ours).
 */
import { integer } from '../check.js';

/** Neumaier-compensated sum of `values[from..to)`. */
export function compensatedSum(values: Float64Array, from = 0, to = values.length): number {
  let sum = 0, comp = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + comp;
}

/**
 * x^p for a positive integer p by repeated squaring (p = 72: 8 multiplies). Within about
 * 2 log2(p) ulps of the correctly rounded power (Octave calls pow()), i.e. ~1e-15 relative, and
 * several times faster than Math.pow in V8, which matters for Synthetic-MaxPol's 72nd moment of up
 * to half a million values.
 */
export function powInt(x: number, p: number): number {
  let result = 1, base = x, e = p;
  while (e > 1) {
    if (e & 1) result *= base;
    base *= base;
    e >>>= 1;
  }
  return e === 1 ? result * base : result;
}

/**
 * MATLAB `moment(x, p)` of `values[from..to)`: (1/n) sum (x_i - mean)^p, the mean being
 * (1/n) sum x_i. NaN for no values (MATLAB: the mean of an empty vector is NaN).
 */
export function centralMoment(values: Float64Array, p: number, from = 0, to = values.length): number {
  integer('moment order', p, 1, 1000);
  const n = to - from;
  if (n <= 0) return NaN;
  const mean = compensatedSum(values, from, to) / n;
  let sum = 0, comp = 0;
  for (let i = from; i < to; i++) {
    const v = powInt(values[i]! - mean, p);
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return (sum + comp) / n;
}

/** Population variance (1/n) sum (x - mean)^2, the form the variance-of-Laplacian measure uses. */
export function variance(values: Float64Array, from = 0, to = values.length): number {
  return centralMoment(values, 2, from, to);
}
