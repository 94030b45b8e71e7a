/**
 * 1-D convolutions along rows and columns of a float64 plane, in WebAssembly SIMD (f64x2), for the
 * MaxPol focus measures: MATLAB `imfilter(X, h, 'symmetric', 'conv')` with
 *
 *   out[i] = sum_{k=0..n-1} h[k] * X[i + c - k],   c = floor(n / 2),
 *
 * samples outside the line mirrored including the edge sample (period 2N). Built by
 * scripts/build-wasm-filters.mjs into wasm/filters.wasm; driven by src/core/measures/filter-wasm.ts,
 * which owns the memory layout (every pointer here comes from there).
 *
 * Bit-exactness: every output is summed in the formula's order (k = 0 first, starting from 0) with
 * one rounding per multiply and per add, as the TypeScript reference (src/core/measures/imfilter.ts)
 * and Octave's imfilter do. SIMD lanes hold neighbouring outputs, never parts of one sum, and no
 * fused multiply-add is used (it would round once instead of twice), so the results are the same
 * bits as the reference's; a test checks that.
 *
 * The same module holds the radix-2 FFT of the Fourier-domain measures (fftRows, transpose; end of
 * this file).
 */

/** Start of free memory after this module's static data: the caller lays out its buffers from here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** 0-based index of sample t of a line of length len under symmetric (edge-repeating) extension. */
// @ts-ignore: decorator
@inline function mirror(t: i32, len: i32): i32 {
  const period = len << 1;
  let m = t % period;
  if (m < 0) m += period;
  return m < len ? m : period - 1 - m;
}

/**
 * Filters each of `rows` rows of `width` doubles at `src` with the n taps at `taps`, writing `dst`
 * (may not alias `src`). `padded` is scratch for width + n - 1 doubles.
 */
export function filterRows(src: usize, dst: usize, width: i32, rows: i32, taps: usize, n: i32, padded: usize): void {
  const left = n - 1 - (n >> 1);
  const padLen = width + n - 1;
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>r * <usize>width << 3);
    const out = dst + (<usize>r * <usize>width << 3);
    for (let j = 0; j < padLen; j++) {
      const t = j - left;
      const s = t >= 0 && t < width ? t : mirror(t, width);
      store<f64>(padded + (<usize>j << 3), load<f64>(row + (<usize>s << 3)));
    }
    let i = 0;
    // Eight outputs per pass: four f64x2 accumulators, each lane one output's own sum.
    for (; i + 8 <= width; i += 8) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let p = padded + (<usize>(i + n - 1) << 3);
      for (let k = 0; k < n; k++) {
        const hk = f64x2.splat(load<f64>(taps + (<usize>k << 3)));
        a0 = f64x2.add(a0, f64x2.mul(hk, v128.load(p, 0)));
        a1 = f64x2.add(a1, f64x2.mul(hk, v128.load(p, 16)));
        a2 = f64x2.add(a2, f64x2.mul(hk, v128.load(p, 32)));
        a3 = f64x2.add(a3, f64x2.mul(hk, v128.load(p, 48)));
        p -= 8;
      }
      const o = out + (<usize>i << 3);
      v128.store(o, a0, 0);
      v128.store(o, a1, 16);
      v128.store(o, a2, 32);
      v128.store(o, a3, 48);
    }
    for (; i < width; i++) {
      let a: f64 = 0;
      let p = padded + (<usize>(i + n - 1) << 3);
      for (let k = 0; k < n; k++) {
        a += load<f64>(taps + (<usize>k << 3)) * load<f64>(p);
        p -= 8;
      }
      store<f64>(out + (<usize>i << 3), a);
    }
  }
}

/** Columns per tile of the column filter: one cache line of doubles, four f64x2 lanes pairs. */
const TILE: i32 = 8;

/**
 * Filters each column of a `rows` x `width` plane at `src` with the n taps at `taps`, writing `dst`
 * (may not alias `src`). `tile` is scratch for (rows + n - 1) * TILE doubles.
 *
 * Per tile of 8 columns, the mirrored column segment is first gathered into `tile`, row after row
 * (64 bytes each), so the sums then read consecutive memory: reading the plane down a column
 * directly touches one page per tap and was 3x slower.
 */
export function filterColumns(src: usize, dst: usize, width: i32, rows: i32, taps: usize, n: i32, tile: usize): void {
  const left = n - 1 - (n >> 1);
  const padLen = rows + n - 1;
  const rowBytes = <usize>width << 3;
  for (let x0 = 0; x0 < width; x0 += TILE) {
    const tw = min(TILE, width - x0);
    const col = src + (<usize>x0 << 3);
    for (let j = 0; j < padLen; j++) {
      const t = j - left;
      const s = t >= 0 && t < rows ? t : mirror(t, rows);
      const from = col + <usize>s * rowBytes;
      const to = tile + (<usize>j << 6);
      if (tw === TILE) {
        v128.store(to, v128.load(from, 0), 0);
        v128.store(to, v128.load(from, 16), 16);
        v128.store(to, v128.load(from, 32), 32);
        v128.store(to, v128.load(from, 48), 48);
      } else {
        for (let q = 0; q < tw; q++) store<f64>(to + (<usize>q << 3), load<f64>(from + (<usize>q << 3)));
      }
    }
    const out0 = dst + (<usize>x0 << 3);
    if (tw === TILE) {
      for (let y = 0; y < rows; y++) {
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let p = tile + (<usize>(y + n - 1) << 6);
        for (let k = 0; k < n; k++) {
          const hk = f64x2.splat(load<f64>(taps + (<usize>k << 3)));
          a0 = f64x2.add(a0, f64x2.mul(hk, v128.load(p, 0)));
          a1 = f64x2.add(a1, f64x2.mul(hk, v128.load(p, 16)));
          a2 = f64x2.add(a2, f64x2.mul(hk, v128.load(p, 32)));
          a3 = f64x2.add(a3, f64x2.mul(hk, v128.load(p, 48)));
          p -= 64;
        }
        const o = out0 + <usize>y * rowBytes;
        v128.store(o, a0, 0);
        v128.store(o, a1, 16);
        v128.store(o, a2, 32);
        v128.store(o, a3, 48);
      }
    } else {
      for (let y = 0; y < rows; y++) {
        for (let q = 0; q < tw; q++) {
          let a: f64 = 0;
          let p = tile + (<usize>(y + n - 1) << 6) + (<usize>q << 3);
          for (let k = 0; k < n; k++) {
            a += load<f64>(taps + (<usize>k << 3)) * load<f64>(p);
            p -= 64;
          }
          store<f64>(out0 + <usize>y * rowBytes + (<usize>q << 3), a);
        }
      }
    }
  }
}

/*
 * Radix-2 FFT of power-of-two rows, for the Fourier-domain measures (S index, GPC, LPC-SI), driven
 * by src/core/measures/fft-wasm.ts. Split real/imaginary planes (one double each), transformed in
 * place: bit-reversal permutation (table `rev`), then log2(n) decimation-in-time stages; stage m
 * (butterflies m apart) reads its m twiddles exp(-i pi k / m) from `twr`/`twi` at offset m - 1
 * (the caller takes them from the same cos/sin table as the TypeScript FFT). Two neighbouring
 * butterflies share one f64x2 operation per step (lanes = k and k + 1). `inverse` conjugates the
 * twiddles and scales by 1/n, as ifft.
 */
export function fftRows(re: usize, im: usize, n: i32, count: i32, twr: usize, twi: usize, rev: usize, inverse: i32): void {
  const sign: f64 = inverse ? -1 : 1;
  const vsign = f64x2.splat(sign);
  const scale = f64x2.splat(inverse ? 1.0 / <f64>n : 1.0);
  for (let r = 0; r < count; r++) {
    const pr = re + ((<usize>r * <usize>n) << 3);
    const pi = im + ((<usize>r * <usize>n) << 3);
    for (let i = 0; i < n; i++) {
      const j = <i32>load<u32>(rev + (<usize>i << 2));
      if (j > i) {
        const a = pr + (<usize>i << 3), b = pr + (<usize>j << 3);
        const t = load<f64>(a);
        store<f64>(a, load<f64>(b));
        store<f64>(b, t);
        const c = pi + (<usize>i << 3), d = pi + (<usize>j << 3);
        const u = load<f64>(c);
        store<f64>(c, load<f64>(d));
        store<f64>(d, u);
      }
    }
    if (n >= 2) {
      // m = 1: twiddle 1
      for (let b = 0; b < n; b += 2) {
        const a0 = pr + (<usize>b << 3), a1 = pi + (<usize>b << 3);
        const xr = load<f64>(a0), yr = load<f64>(a0, 8), xi = load<f64>(a1), yi = load<f64>(a1, 8);
        store<f64>(a0, xr + yr);
        store<f64>(a0, xr - yr, 8);
        store<f64>(a1, xi + yi);
        store<f64>(a1, xi - yi, 8);
      }
    }
    for (let m = 2; m < n; m <<= 1) {
      const tr = twr + (<usize>(m - 1) << 3), ti = twi + (<usize>(m - 1) << 3);
      for (let b = 0; b < n; b += m << 1) {
        const r0 = pr + (<usize>b << 3), i0 = pi + (<usize>b << 3);
        const mo = <usize>m << 3;
        for (let k = 0; k < m; k += 2) {
          const ko = <usize>k << 3;
          const wr = v128.load(tr + ko), wi = f64x2.mul(v128.load(ti + ko), vsign);
          const x1r = v128.load(r0 + mo + ko), x1i = v128.load(i0 + mo + ko);
          const tre = f64x2.sub(f64x2.mul(x1r, wr), f64x2.mul(x1i, wi));
          const tim = f64x2.add(f64x2.mul(x1r, wi), f64x2.mul(x1i, wr));
          const x0r = v128.load(r0 + ko), x0i = v128.load(i0 + ko);
          v128.store(r0 + ko, f64x2.add(x0r, tre));
          v128.store(i0 + ko, f64x2.add(x0i, tim));
          v128.store(r0 + mo + ko, f64x2.sub(x0r, tre));
          v128.store(i0 + mo + ko, f64x2.sub(x0i, tim));
        }
      }
    }
    if (inverse) {
      for (let i = 0; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(pr + o, f64x2.mul(v128.load(pr + o), scale));
        v128.store(pi + o, f64x2.mul(v128.load(pi + o), scale));
      }
      if (n & 1) {
        const o = <usize>(n - 1) << 3;
        store<f64>(pr + o, load<f64>(pr + o) / <f64>n);
        store<f64>(pi + o, load<f64>(pi + o) / <f64>n);
      }
    }
  }
}

/** dst (width x height... transposed: `height` columns of `width` rows) = the transpose of the height x width plane src, in 16 x 16 blocks. */
export function transpose(src: usize, dst: usize, width: i32, height: i32): void {
  const B: i32 = 16;
  for (let y0 = 0; y0 < height; y0 += B) {
    const y1 = min(y0 + B, height);
    for (let x0 = 0; x0 < width; x0 += B) {
      const x1 = min(x0 + B, width);
      for (let y = y0; y < y1; y++) {
        const s = src + ((<usize>y * <usize>width) << 3);
        for (let x = x0; x < x1; x++) store<f64>(dst + ((<usize>x * <usize>height + <usize>y) << 3), load<f64>(s + (<usize>x << 3)));
      }
    }
  }
}
