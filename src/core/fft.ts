/**
 * Discrete Fourier transforms of any length, 1-D and 2-D, on split real/imaginary Float64Arrays
 * (pure TS), for the Fourier-domain measures (S index, GPC, LPC-SI).
 *
 *   forward: X[k] = sum_j x[j] exp(-2 pi i j k / n)    inverse: x[j] = (1/n) sum_k X[k] exp(+2 pi i j k / n)
 *
 * as MATLAB's fft/ifft (FFTW). Mixed-radix decimation in time (radix 4 and 2, and a direct
 * butterfly for any other prime factor up to MAX_DIRECT_PRIME), after a digit-reversal
 * permutation; a length with a larger prime factor goes through Bluestein's chirp transform on a
 * power of two. Every twiddle factor is a table entry cos/sin(2 pi j / n) computed directly, never
 * a recurrence, so the error stays at a few ulps times log n (the reference code's FFTW is as
 * accurate; the parity tests allow 1e-9 relative on the scores).
 */

/** Prime factors above this are not done by an O(p^2) butterfly but by Bluestein's algorithm. */
const MAX_DIRECT_PRIME = 64;

export interface FftPlan {
  readonly n: number;
  /** applies the transform in place to re/im (n values each; the inverse includes the 1/n) */
  transform(re: Float64Array, im: Float64Array, inverse: boolean): void;
}

function factorise(n: number): number[] {
  const f: number[] = [];
  let m = n;
  while (m % 4 === 0) {
    f.push(4);
    m /= 4;
  }
  if (m % 2 === 0) {
    f.push(2);
    m /= 2;
  }
  for (let p = 3; p * p <= m; p += 2) {
    while (m % p === 0) {
      f.push(p);
      m /= p;
    }
  }
  if (m > 1) f.push(m);
  return f;
}

/** cos/sin(2 pi j / n), j = 0..n-1, from the first octant by symmetry so that w^j and w^(n-j) are exact conjugates. */
export function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // Reduce the angle to [0, pi/4] where cos/sin are most accurate, then map back.
    const a = 8 * j;
    let c: number, s: number;
    if (a <= n) {
      const t = (2 * Math.PI * j) / n;
      c = Math.cos(t);
      s = Math.sin(t);
    } else if (a <= 2 * n) {
      const t = (2 * Math.PI * (n - 4 * j)) / (4 * n); // pi/2 - theta
      c = Math.sin(t);
      s = Math.cos(t);
    } else if (a <= 4 * n) {
      const t = (2 * Math.PI * (n - 2 * j)) / (2 * n); // pi - theta
      c = -Math.cos(t);
      s = Math.sin(t);
    } else {
      c = cos[n - j]!;
      s = -sin[n - j]!;
    }
    cos[j] = c;
    sin[j] = s;
  }
  return { cos, sin };
}

/** The mixed-radix plan for a length whose prime factors are all <= MAX_DIRECT_PRIME. */
function mixedRadixPlan(n: number, factors: number[]): FftPlan {
  const { cos, sin } = twiddles(n);
  // perm[pos] = input index whose value starts at pos: input i = q0 + f0 q1 + f0 f1 q2 + ...,
  // pos = q0 m0 + q1 m1 + ..., m_i = n / (f0 ... f_i).
  const perm = new Int32Array(n);
  const spans: number[] = [];
  let span = n;
  for (const f of factors) {
    span /= f;
    spans.push(span);
  }
  for (let i = 0; i < n; i++) {
    let rest = i, pos = 0;
    for (let d = 0; d < factors.length; d++) {
      const f = factors[d]!;
      pos += (rest % f) * spans[d]!;
      rest = Math.floor(rest / f);
    }
    perm[pos] = i;
  }
  const maxP = Math.max(1, ...factors);
  const tr = new Float64Array(maxP), ti = new Float64Array(maxP);
  const sr = new Float64Array(n), si = new Float64Array(n);

  function transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const sign = inverse ? 1 : -1; // sin table is +sin: forward multiplies by exp(-i t)
    for (let p = 0; p < n; p++) {
      sr[p] = re[perm[p]!]!;
      si[p] = im[perm[p]!]!;
    }
    // Combine from the innermost factor outwards: blocks of L = p * m values.
    for (let d = factors.length - 1; d >= 0; d--) {
      const p = factors[d]!;
      const m = spans[d]!;
      const L = p * m;
      const step = n / L; // W_L^j = table[j * step]
      for (let b = 0; b < n; b += L) {
        if (p === 2) {
          for (let k = 0; k < m; k++) {
            const i0 = b + k, i1 = i0 + m;
            const wr = cos[k * step]!, wi = sign * sin[k * step]!;
            const xr = sr[i1]!, xi = si[i1]!;
            const br = xr * wr - xi * wi, bi = xr * wi + xi * wr;
            const ar = sr[i0]!, ai = si[i0]!;
            sr[i0] = ar + br;
            si[i0] = ai + bi;
            sr[i1] = ar - br;
            si[i1] = ai - bi;
          }
        } else if (p === 4) {
          for (let k = 0; k < m; k++) {
            const i0 = b + k, i1 = i0 + m, i2 = i1 + m, i3 = i2 + m;
            const t1 = k * step, t2 = 2 * t1, t3 = 3 * t1;
            let xr = sr[i1]!, xi = si[i1]!;
            let wr = cos[t1]!, wi = sign * sin[t1]!;
            const a1r = xr * wr - xi * wi, a1i = xr * wi + xi * wr;
            xr = sr[i2]!;
            xi = si[i2]!;
            wr = cos[t2]!;
            wi = sign * sin[t2]!;
            const a2r = xr * wr - xi * wi, a2i = xr * wi + xi * wr;
            xr = sr[i3]!;
            xi = si[i3]!;
            wr = cos[t3]!;
            wi = sign * sin[t3]!;
            const a3r = xr * wr - xi * wi, a3i = xr * wi + xi * wr;
            const a0r = sr[i0]!, a0i = si[i0]!;
            const s02r = a0r + a2r, s02i = a0i + a2i, d02r = a0r - a2r, d02i = a0i - a2i;
            const s13r = a1r + a3r, s13i = a1i + a3i, d13r = a1r - a3r, d13i = a1i - a3i;
            // W_4 = exp(sign * i pi / 2) = sign * i: X1 = d02 + sign*i*d13, X3 = d02 - sign*i*d13
            sr[i0] = s02r + s13r;
            si[i0] = s02i + s13i;
            sr[i2] = s02r - s13r;
            si[i2] = s02i - s13i;
            sr[i1] = d02r - sign * d13i;
            si[i1] = d02i + sign * d13r;
            sr[i3] = d02r + sign * d13i;
            si[i3] = d02i - sign * d13r;
          }
        } else {
          // Direct butterfly, pairing r with p - r: X_r = a_0 + sum_q (a_q + a_{p-q}) cos + i sign (a_q - a_{p-q}) sin.
          const pStep = n / p;
          const half = (p - 1) >> 1;
          for (let k = 0; k < m; k++) {
            for (let q = 0; q < p; q++) {
              const idx = b + k + q * m;
              const t = q * k * step;
              const wr = cos[t]!, wi = sign * sin[t]!;
              const xr = sr[idx]!, xi = si[idx]!;
              tr[q] = xr * wr - xi * wi;
              ti[q] = xr * wi + xi * wr;
            }
            let dcR = tr[0]!, dcI = ti[0]!;
            for (let q = 1; q < p; q++) {
              dcR += tr[q]!;
              dcI += ti[q]!;
            }
            sr[b + k] = dcR;
            si[b + k] = dcI;
            for (let r = 1; r <= half; r++) {
              let cR = tr[0]!, cI = ti[0]!, sR = 0, sI = 0;
              let t = 0;
              for (let q = 1; q <= half; q++) {
                t += r;
                if (t >= p) t -= p;
                const c = cos[t * pStep]!, sn = sin[t * pStep]!;
                cR += (tr[q]! + tr[p - q]!) * c;
                cI += (ti[q]! + ti[p - q]!) * c;
                sR += (tr[q]! - tr[p - q]!) * sn;
                sI += (ti[q]! - ti[p - q]!) * sn;
              }
              // i sign (sR + i sI) = sign (-sI + i sR)
              sr[b + k + r * m] = cR - sign * sI;
              si[b + k + r * m] = cI + sign * sR;
              sr[b + k + (p - r) * m] = cR + sign * sI;
              si[b + k + (p - r) * m] = cI - sign * sR;
            }
          }
        }
      }
    }
    const scale = inverse ? 1 / n : 1;
    for (let p = 0; p < n; p++) {
      re[p] = sr[p]! * scale;
      im[p] = si[p]! * scale;
    }
  }
  return { n, transform };
}

/**
 * Bluestein: X[k] = conj(c[k]) sum_j (x[j] conj(c[j])) c[k - j], c[j] = exp(i pi j^2 / n), the
 * convolution done by FFTs of a power-of-two length >= 2n - 1. The chirp index j^2 is reduced
 * mod 2n exactly (integers) before the angle is formed.
 */
function bluesteinPlan(n: number): FftPlan {
  let size = 1;
  while (size < 2 * n - 1) size *= 2;
  const inner = mixedRadixPlan(size, factorise(size));
  const cr = new Float64Array(n), ci = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const e = (j * j) % (2 * n); // j^2 mod 2n, exact below 2^53 for n < 2^26
    const t = (Math.PI * e) / n;
    cr[j] = Math.cos(t);
    ci[j] = Math.sin(t);
  }
  // FFT of the chirp filter b[j] = c[j] for |j| < n (wrapped), computed once.
  const br = new Float64Array(size), bi = new Float64Array(size);
  br[0] = cr[0]!;
  bi[0] = ci[0]!;
  for (let j = 1; j < n; j++) {
    br[j] = br[size - j] = cr[j]!;
    bi[j] = bi[size - j] = ci[j]!;
  }
  inner.transform(br, bi, false);
  const ar = new Float64Array(size), ai = new Float64Array(size);
  function transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    // The inverse is the conjugate of the forward transform of the conjugate, over n.
    const s = inverse ? -1 : 1;
    ar.fill(0);
    ai.fill(0);
    for (let j = 0; j < n; j++) {
      const xr = re[j]!, xi = s * im[j]!;
      // x * conj(c)
      ar[j] = xr * cr[j]! + xi * ci[j]!;
      ai[j] = xi * cr[j]! - xr * ci[j]!;
    }
    inner.transform(ar, ai, false);
    for (let k = 0; k < size; k++) {
      const xr = ar[k]!, xi = ai[k]!;
      ar[k] = xr * br[k]! - xi * bi[k]!;
      ai[k] = xr * bi[k]! + xi * br[k]!;
    }
    inner.transform(ar, ai, true);
    const scale = inverse ? 1 / n : 1;
    for (let k = 0; k < n; k++) {
      const xr = ar[k]!, xi = ai[k]!;
      // * conj(c[k])
      re[k] = (xr * cr[k]! + xi * ci[k]!) * scale;
      im[k] = s * (xi * cr[k]! - xr * ci[k]!) * scale;
    }
  }
  return { n, transform };
}

const plans = new Map<number, FftPlan>();

/** The (cached) plan for length n. */
export function fftPlan(n: number): FftPlan {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new Error(`Expected an FFT length between 1 and 2^24 but received ${n}`);
  let plan = plans.get(n);
  if (!plan) {
    const factors = factorise(n);
    plan = factors.some((f) => f > MAX_DIRECT_PRIME) ? bluesteinPlan(n) : mixedRadixPlan(n, factors);
    plans.set(n, plan);
  }
  return plan;
}

/** A 2-D transform backend for power-of-two sizes (./fft-wasm.ts); returns false when it does not take the job. */
export type Fft2Accelerator = (re: Float64Array, im: Float64Array, width: number, height: number, inverse: boolean) => boolean;

let accelerator: Fft2Accelerator | null = null;

/** Install (or with null remove) the accelerated 2-D transform; fft2 uses it where it applies. */
export function setFft2Accelerator(a: Fft2Accelerator | null): void {
  accelerator = a;
}

/**
 * In-place 2-D DFT of an H x W row-major complex plane (MATLAB fft2 / ifft2 of the H x W matrix):
 * every row transformed, then every column. Power-of-two planes go to the accelerator when one is
 * installed (the WebAssembly SIMD radix-2 FFT, ./fft-wasm.ts: same twiddles, results within a few
 * ulps of these loops, tested).
 */
export function fft2(re: Float64Array, im: Float64Array, width: number, height: number, inverse = false): void {
  const n = width * height;
  if (re.length !== n || im.length !== n) throw new Error(`Expected planes of ${width}x${height} values but received ${re.length} and ${im.length}`);
  if (accelerator && accelerator(re, im, width, height, inverse)) return;
  fft2Reference(re, im, width, height, inverse);
}

/** fft2 in TypeScript only (any size). */
export function fft2Reference(re: Float64Array, im: Float64Array, width: number, height: number, inverse = false): void {
  const n = width * height;
  if (re.length !== n || im.length !== n) throw new Error(`Expected planes of ${width}x${height} values but received ${re.length} and ${im.length}`);
  const rowPlan = fftPlan(width);
  if (width > 1) {
    for (let y = 0; y < height; y++) {
      const o = y * width;
      rowPlan.transform(re.subarray(o, o + width), im.subarray(o, o + width), inverse);
    }
  }
  if (height > 1) {
    const colPlan = fftPlan(height);
    const cr = new Float64Array(height), ci = new Float64Array(height);
    for (let x = 0; x < width; x++) {
      for (let y = 0, o = x; y < height; y++, o += width) {
        cr[y] = re[o]!;
        ci[y] = im[o]!;
      }
      colPlan.transform(cr, ci, inverse);
      for (let y = 0, o = x; y < height; y++, o += width) {
        re[o] = cr[y]!;
        im[o] = ci[y]!;
      }
    }
  }
}
