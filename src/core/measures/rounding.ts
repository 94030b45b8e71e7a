/**
 * MATLAB's `round`: to the nearest integer, ties away from zero (Math.round sends ties to
 * +Infinity). Below 2^31 the integer part comes from `| 0` truncation: V8 on this project's CI
 * machines compiles Math.floor/Math.round to a call (~10 ns), which made the gray conversion of a
 * 1024² image cost 15 ms. a - t is exact (both below 2^31, t <= a < t + 1).
 */
export function roundHalfAway(x: number): number {
  const a = x < 0 ? -x : x;
  let r: number;
  if (a < 2147483648) {
    const t = a | 0;
    r = a - t >= 0.5 ? t + 1 : t;
  } else {
    r = Math.floor(a);
    if (a - r >= 0.5) r += 1;
  }
  return x < 0 ? -r : r;
}

/**
 * 10^k for an integer k, correctly rounded for |k| <= 22 (the exact powers 1e0..1e22 and their
 * correctly rounded reciprocals), as C's `pow(10, k)` gives. V8's `10 ** -4` is 0.00009999999999999999,
 * one ulp off, which would move MATLAB's "nice" histogram edges.
 */
export function pow10(k: number): number {
  if (!Number.isInteger(k)) throw new Error(`Expected an integer exponent but received ${k}`);
  if (k >= 0) return k <= 22 ? POW10[k]! : 10 ** k;
  return -k <= 22 ? 1 / POW10[-k]! : 10 ** k;
}

const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** index of the high word of a double in `u32` (little- or big-endian host) */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** MATLAB's `eps(x)`: the distance from |x| to the next larger double (2^-1074 for 0 and subnormals). */
export function eps(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return NaN;
  f64[0] = a;
  const exponent = (u32[HI]! >>> 20) & 0x7ff;
  // A normal double with biased exponent e has spacing 2^(e - 1075); zero and subnormals 2^-1074.
  return exponent === 0 ? 2 ** -1074 : 2 ** (exponent - 1075);
}
