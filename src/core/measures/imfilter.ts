/**
 * MATLAB `imfilter(X, h, 'symmetric', 'conv')` for a 1-D kernel h of n taps, along rows (a row
 * vector kernel: x) or along columns (its transpose: y). Pure TS.
 *
 *   out[i] = sum_{k=0..n-1} h[k] * X[i + c - k],   c = floor(n / 2)   (0-based)
 *
 * so the centre tap (odd n) or tap n/2 (even n: the 16-tap Synthetic-MaxPol kernels) multiplies
 * X[i]. Samples outside the line are mirrored including the edge sample (X[-1] = X[0],
 * X[N] = X[N-1]), repeating with period 2N when the kernel is longer than the line.
 *
 * Each output is summed in exactly that order, k = 0 first, starting from 0, with one rounding per
 * multiply and per add (JavaScript never fuses them): the plain loop that Octave's imfilter agrees
 * with bit for bit. FQPath's positivity mask reads the sign of outputs that are ±1e-17 rounding
 * noise on flat background, so any other order (symmetric folding, FFT) would change which pixels
 * it keeps. The loops below keep that order per output and only interleave independent outputs.
 */
import { integer } from '../check.js';
import type { Plane } from './gray.js';

/** 0-based index of sample t of a line of length n under symmetric (edge-repeating) extension. */
export function mirrorIndex(t: number, n: number): number {
  const period = 2 * n;
  let m = (t % period) | 0; // | 0: -6 % 6 is -0
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

function checkTaps(taps: ArrayLike<number>): Float64Array {
  if (taps.length < 1) throw new Error('Expected a kernel of at least one tap but received none');
  return taps instanceof Float64Array ? taps : Float64Array.from(taps);
}

/**
 * One line padded for an n-tap kernel: padded[j] = X[mirror(j - (n - 1 - c))], length N + n - 1,
 * so out[i] = sum_k h[k] * padded[i + n - 1 - k].
 */
function padLine(src: Float64Array, start: number, stride: number, length: number, n: number, padded: Float64Array): void {
  const left = n - 1 - (n >> 1);
  for (let j = 0; j < length + n - 1; j++) {
    const t = j - left;
    const s = t >= 0 && t < length ? t : mirrorIndex(t, length);
    padded[j] = src[start + s * stride]!;
  }
}

/** Convolve every row of `src` with `taps` (MATLAB: a row-vector kernel, filtering along x). */
export function filterRows(src: Plane, taps: ArrayLike<number>, out?: Float64Array): Plane {
  const h = checkTaps(taps);
  const n = h.length;
  const { width: w, height: rows } = src;
  const dst = out ?? new Float64Array(w * rows);
  if (dst.length !== w * rows) throw new Error(`Expected an output of ${w * rows} values but received ${dst.length}`);
  const padded = new Float64Array(w + n - 1);
  const x = src.data;
  for (let r = 0; r < rows; r++) {
    const row = r * w;
    padLine(x, row, 1, w, n, padded);
    let i = 0;
    // Four outputs at a time: their sums are independent, each still taken in k order.
    for (; i + 4 <= w; i += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0, p = i + n - 1; k < n; k++, p--) {
        const hk = h[k]!;
        a0 += hk * padded[p]!;
        a1 += hk * padded[p + 1]!;
        a2 += hk * padded[p + 2]!;
        a3 += hk * padded[p + 3]!;
      }
      dst[row + i] = a0;
      dst[row + i + 1] = a1;
      dst[row + i + 2] = a2;
      dst[row + i + 3] = a3;
    }
    for (; i < w; i++) {
      let a = 0;
      for (let k = 0, p = i + n - 1; k < n; k++, p--) a += h[k]! * padded[p]!;
      dst[row + i] = a;
    }
  }
  return { width: w, height: rows, data: dst };
}

/** Convolve every column of `src` with `taps` (MATLAB: the transposed kernel, filtering along y). */
export function filterColumns(src: Plane, taps: ArrayLike<number>, out?: Float64Array): Plane {
  const h = checkTaps(taps);
  const n = h.length;
  const c = n >> 1;
  const { width: w, height: rows } = src;
  const dst = out ?? new Float64Array(w * rows);
  if (dst.length !== w * rows) throw new Error(`Expected an output of ${w * rows} values but received ${dst.length}`);
  if (dst === src.data) throw new Error('filterColumns cannot write into its input');
  const x = src.data;
  // Output row y accumulates whole source rows (contiguous), tap k = 0 first: per pixel the same
  // order as the formula, with the inner loop running along memory.
  for (let y = 0; y < rows; y++) {
    const o = y * w;
    dst.fill(0, o, o + w);
    for (let k = 0; k < n; k++) {
      const hk = h[k]!;
      const s = mirrorIndex(y + c - k, rows) * w;
      for (let i = 0; i < w; i++) dst[o + i] += hk * x[s + i]!;
    }
  }
  return { width: w, height: rows, data: dst };
}

/**
 * The plane with `r` samples of symmetric (edge-repeating) extension on every side, as MATLAB's
 * 'symmetric' and scipy.ndimage's 'reflect' modes extend it: (width + 2r) x (height + 2r),
 * row-major, into `out` when given. 3x3 operators then run over the interior without index checks.
 */
export function padSymmetric(src: Plane, r: number, out?: Float64Array): Plane {
  integer('pad', r, 0, 1e6);
  const { width: w, height: h } = src;
  const pw = w + 2 * r, ph = h + 2 * r;
  const data = out ?? new Float64Array(pw * ph);
  if (data.length !== pw * ph) throw new Error(`Expected an output of ${pw * ph} values but received ${data.length}`);
  const cols = new Int32Array(pw);
  for (let j = 0; j < pw; j++) cols[j] = mirrorIndex(j - r, w);
  for (let y = 0; y < ph; y++) {
    const srow = mirrorIndex(y - r, h) * w;
    const drow = y * pw;
    data.set(src.data.subarray(srow, srow + w), drow + r);
    for (let j = 0; j < r; j++) {
      data[drow + j] = src.data[srow + cols[j]!]!;
      data[drow + pw - 1 - j] = src.data[srow + cols[pw - 1 - j]!]!;
    }
  }
  return { width: pw, height: ph, data };
}
