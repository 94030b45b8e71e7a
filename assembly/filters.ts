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
