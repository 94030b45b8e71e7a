/**
 * FocusLiteNN conv (3->N, 7x7, stride 5, zero padding 1 per crop) + global min/max pooling, in
 * WebAssembly SIMD (f32x4). Built by scripts/build-wasm.mjs into wasm/conv.wasm; driven by
 * src/core/kernels/wasm.ts, which owns the memory layout (every pointer here comes from there).
 *
 * Data layout ("deinterleaved by 5"): the image rows a request needs are converted once into
 * float32 rows of a ring buffer. One converted row holds 15 planes of K floats, plane t = 3*p + ch
 * for phase p = b % 5 and channel ch, element k = b / 5, where b is the column inside the request's
 * box. Four adjacent conv outputs at one kernel tap (i, j) then read box columns b, b+5, b+10, b+15:
 * one contiguous v128 load from the plane of b's phase.
 *
 * Zero padding of each crop: rows outside the crop are never read (the tap-row loop is clipped per
 * output row), and the two pad columns (crop columns -1 and cropSize) are set to 0 in the ring for
 * the duration of that crop, then restored, because they hold neighbouring pixels other crops need.
 *
 * Pixels are stored centred (value - 128, exact in float32) to keep float32 sums small; the
 * caller folds the 1/255 into the weights and the centring constant into per-column starting values
 * (see poolCrop and "Precision" below).
 */

/** Start of free memory after this module's static data: the caller lays out its buffers from here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// ---------------------------------------------------------------------------------------------
// Conversion: 8-bit RGB rows -> float planes deinterleaved by 5.
// ---------------------------------------------------------------------------------------------

/**
 * Converts `rows` image rows into ring rows. Row r's bytes start at src0 + r * srcStride with the
 * box's column 0 (RGB) and must be readable for blocks * 60 + 1 bytes. Image row y + r goes to ring
 * slot (y + r) % ringRows. Each block of 20 pixels yields 4 consecutive k of all 15 planes; k from
 * 4 * blocks to planeLen - 1 is zeroed so that the conv loop's over-reads meet finite values.
 */
export function convertRows(src0: usize, srcStride: i32, rows: i32, y: i32, ring: usize, ringRows: i32, planeLen: i32, blocks: i32): void {
  const planeBytes = <usize>planeLen << 2;
  const rowBytes = planeBytes * 15;
  for (let r = 0; r < rows; r++) {
    const src = src0 + <usize>r * <usize>srcStride;
    const dst = ring + <usize>((y + r) % ringRows) * rowBytes;
    for (let blk = 0; blk < blocks; blk++) {
      const s = src + <usize>blk * 60;
      const d = dst + (<usize>blk << 4);
      // Row g of a 4 x 15 byte matrix: pixel group g (5 pixels = 15 bytes) of this block.
      const l0 = v128.load(s, 0);
      const l1 = v128.load(s, 15);
      const l2 = v128.load(s, 30);
      const l3 = v128.load(s, 45);
      // 4x16 byte transpose: tm holds plane t = 4m..4m+3, 4 groups each.
      const a = i8x16.shuffle(l0, l1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const b = i8x16.shuffle(l2, l3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const a2 = i8x16.shuffle(l0, l1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const b2 = i8x16.shuffle(l2, l3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const t0 = i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      const t1 = i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
      const t2 = i8x16.shuffle(a2, b2, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      const t3 = i8x16.shuffle(a2, b2, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
      storeBytesAsFloats(d, planeBytes, 0, t0, 4);
      storeBytesAsFloats(d, planeBytes, 4, t1, 4);
      storeBytesAsFloats(d, planeBytes, 8, t2, 4);
      storeBytesAsFloats(d, planeBytes, 12, t3, 3); // lane group 15 is the next block's first byte
    }
    const tail = <usize>blocks << 4;
    if (tail < planeBytes) {
      for (let t = 0; t < 15; t++) memory.fill(dst + <usize>t * planeBytes + tail, 0, planeBytes - tail);
    }
  }
}

/** Widens 16 bytes (4 planes x 4 groups) to centred floats and stores `planes` of the 4 planes. */
// @ts-ignore: decorator
@inline function storeBytesAsFloats(d: usize, planeBytes: usize, firstPlane: i32, bytes: v128, planes: i32): void {
  // Centred pixels (value - 128): see "Precision" below.
  const centre = i16x8.splat(128);
  const lo = i16x8.sub(i16x8.extend_low_i8x16_u(bytes), centre);
  const hi = i16x8.sub(i16x8.extend_high_i8x16_u(bytes), centre);
  const p = d + <usize>firstPlane * planeBytes;
  v128.store(p, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)));
  v128.store(p + planeBytes, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)));
  v128.store(p + 2 * planeBytes, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)));
  if (planes > 3) v128.store(p + 3 * planeBytes, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)));
}

// ---------------------------------------------------------------------------------------------
// Conv + pool of one crop.
// ---------------------------------------------------------------------------------------------

// Register budget. V8 (TurboFan) issues every load of a loop body before its arithmetic, so the
// loaded vectors, the running sums and the splatted weights are all live at once and must fit the
// 15 allocatable xmm registers, or it spills to the stack (measured: 2x slower). Hence 6 sums for
// one kernel (6 loads + 6 + 1 weight = 13) and 2 kernels x 4 vectors sharing each load
// (4 + 8 + 2 = 14). Unrolling the tap loop by hand makes it hoist even more loads: don't.
//
// Precision (float32, compared with a float64 reference at 1e-5): pixels are stored centred
// (value - 128, the constant part is in the bias rows) and each tap row's 21 products are summed on
// their own before joining the output's total in memory. Both keep the running sums small; with
// the official 10-kernel weights the worst error on real tissue drops from ~2e-5 to ~3e-6.

/** Kernels computed together by chunkGroup, and the output columns of one chunkGroup call. */
const GROUP_K = 2;
const GROUP_COLS = 16;

/**
 * Conv outputs of one kernel for one output row: 24 adjacent columns starting at byte offset
 * `colByte` (= 4 * first column), stored to `out` as 6 v128. `rows` points at the ring address of
 * crop row 5r - 1 (so rows[i] is tap row i); taps iLo..iHi are the rows inside the crop.
 * `w` holds this kernel's 147 weights as [i][ch][j]; `cols` the 21 byte offsets of (ch, j);
 * `bias` the starting values of these 24 outputs (bias plus the centring constant).
 */
function chunk6(w: usize, rows: usize, iLo: i32, iHi: i32, cols: usize, colByte: usize, bias: usize, out: usize): void {
  v128.store(out, v128.load(bias, 0), 0);
  v128.store(out, v128.load(bias, 16), 16);
  v128.store(out, v128.load(bias, 32), 32);
  v128.store(out, v128.load(bias, 48), 48);
  v128.store(out, v128.load(bias, 64), 64);
  v128.store(out, v128.load(bias, 80), 80);
  for (let i = iLo; i <= iHi; i++) {
    const base = load<usize>(rows + (<usize>i << 2)) + colByte;
    const wi = w + <usize>i * 84;
    const zero = f32x4.splat(0);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero;
    for (let t: usize = 0; t < 84; t += 4) {
      const p = base + <usize>load<i32>(cols + t);
      const wv = v128.load32_splat(wi + t);
      s0 = f32x4.add(s0, f32x4.mul(wv, v128.load(p, 0)));
      s1 = f32x4.add(s1, f32x4.mul(wv, v128.load(p, 16)));
      s2 = f32x4.add(s2, f32x4.mul(wv, v128.load(p, 32)));
      s3 = f32x4.add(s3, f32x4.mul(wv, v128.load(p, 48)));
      s4 = f32x4.add(s4, f32x4.mul(wv, v128.load(p, 64)));
      s5 = f32x4.add(s5, f32x4.mul(wv, v128.load(p, 80)));
    }
    v128.store(out, f32x4.add(v128.load(out, 0), s0), 0);
    v128.store(out, f32x4.add(v128.load(out, 16), s1), 16);
    v128.store(out, f32x4.add(v128.load(out, 32), s2), 32);
    v128.store(out, f32x4.add(v128.load(out, 48), s3), 48);
    v128.store(out, f32x4.add(v128.load(out, 64), s4), 64);
    v128.store(out, f32x4.add(v128.load(out, 80), s5), 80);
  }
}

/**
 * As chunk6 for GROUP_K = 2 kernels (weights w and w + 588 bytes, starting values at bias and
 * bias + biasStride) and GROUP_COLS = 16 columns: each loaded vector feeds both kernels. Output:
 * the first kernel's 4 v128, then the second's.
 */
function chunkGroup(w: usize, rows: usize, iLo: i32, iHi: i32, cols: usize, colByte: usize, bias: usize, biasStride: usize, out: usize): void {
  v128.store(out, v128.load(bias + 0 * biasStride, 0), 0);
  v128.store(out, v128.load(bias + 0 * biasStride, 16), 16);
  v128.store(out, v128.load(bias + 0 * biasStride, 32), 32);
  v128.store(out, v128.load(bias + 0 * biasStride, 48), 48);
  v128.store(out, v128.load(bias + 1 * biasStride, 0), 64);
  v128.store(out, v128.load(bias + 1 * biasStride, 16), 80);
  v128.store(out, v128.load(bias + 1 * biasStride, 32), 96);
  v128.store(out, v128.load(bias + 1 * biasStride, 48), 112);
  for (let i = iLo; i <= iHi; i++) {
    const base = load<usize>(rows + (<usize>i << 2)) + colByte;
    const wi = w + <usize>i * 84;
    const zero = f32x4.splat(0);
    let s0_0 = zero, s0_1 = zero, s0_2 = zero, s0_3 = zero;
    let s1_0 = zero, s1_1 = zero, s1_2 = zero, s1_3 = zero;
    for (let t: usize = 0; t < 84; t += 4) {
      const p = base + <usize>load<i32>(cols + t);
      const wt = wi + t;
      const w0 = v128.load32_splat(wt, 0);
      const w1 = v128.load32_splat(wt, 588);
      const x0 = v128.load(p, 0);
      s0_0 = f32x4.add(s0_0, f32x4.mul(w0, x0));
      s1_0 = f32x4.add(s1_0, f32x4.mul(w1, x0));
      const x1 = v128.load(p, 16);
      s0_1 = f32x4.add(s0_1, f32x4.mul(w0, x1));
      s1_1 = f32x4.add(s1_1, f32x4.mul(w1, x1));
      const x2 = v128.load(p, 32);
      s0_2 = f32x4.add(s0_2, f32x4.mul(w0, x2));
      s1_2 = f32x4.add(s1_2, f32x4.mul(w1, x2));
      const x3 = v128.load(p, 48);
      s0_3 = f32x4.add(s0_3, f32x4.mul(w0, x3));
      s1_3 = f32x4.add(s1_3, f32x4.mul(w1, x3));
    }
    v128.store(out, f32x4.add(v128.load(out, 0), s0_0), 0);
    v128.store(out, f32x4.add(v128.load(out, 16), s0_1), 16);
    v128.store(out, f32x4.add(v128.load(out, 32), s0_2), 32);
    v128.store(out, f32x4.add(v128.load(out, 48), s0_3), 48);
    v128.store(out, f32x4.add(v128.load(out, 64), s1_0), 64);
    v128.store(out, f32x4.add(v128.load(out, 80), s1_1), 80);
    v128.store(out, f32x4.add(v128.load(out, 96), s1_2), 96);
    v128.store(out, f32x4.add(v128.load(out, 112), s1_3), 112);
  }
}

/**
 * Width of a stored map row: the conv loops compute 24 (one kernel) or 16 (two kernels) columns
 * at a time, so maps are computed (and over-read) up to the next multiple of 48.
 */
export function paddedMapWidth(mapSize: i32): i32 {
  return (mapSize + 47) / 48 * 48;
}

// Scratch layout inside `scratch` (caller-provided, 16-byte aligned):
//   [0, 256)            chunk outputs (up to 16 v128)
//   [256, 256 + 84)     column byte offsets of (ch, j)
//   then rowTable       cropSize usize: ring address of each crop row
//   then padSave        cropSize * 6 f32: the pad columns' real values, restored afterwards
//   then min/max        2 * n v128 running per-kernel minima and maxima
const CHUNK_OUT: usize = 0;
const COLS: usize = 256;
const ROWS: usize = 352;

/** Bytes of scratch poolCrop needs. */
export function scratchBytes(cropSize: i32, kernels: i32): usize {
  return ROWS + <usize>cropSize * 4 + <usize>cropSize * 24 + 16 + <usize>kernels * 32 + 16;
}

/**
 * Folds `vecs` freshly computed output vectors (columns c0...) of one kernel into its running
 * min/max vectors, masking columns >= m, and copies them into the map row when one is kept.
 */
function absorb(chunk: usize, vecs: i32, c0: i32, m: i32, minVec: usize, maxVec: usize, mapRow: usize): void {
  const inf = f32x4.splat(Infinity);
  const negInf = f32x4.splat(-Infinity);
  let vmin = v128.load(minVec);
  let vmax = v128.load(maxVec);
  for (let q = 0; q < vecs; q++) {
    const valid = m - c0 - (q << 2);
    if (valid <= 0) break;
    const v = v128.load(chunk + (<usize>q << 4));
    if (mapRow) v128.store(mapRow + (<usize>(c0 + (q << 2)) << 2), v);
    if (valid < 4) {
      const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(valid));
      vmin = f32x4.pmin(vmin, v128.bitselect(v, inf, keep));
      vmax = f32x4.pmax(vmax, v128.bitselect(v, negInf, keep));
    } else {
      vmin = f32x4.pmin(vmin, v);
      vmax = f32x4.pmax(vmax, v);
    }
  }
  v128.store(minVec, vmin);
  v128.store(maxVec, vmax);
}

/**
 * Conv + global min (and max) pooling of one crop for all n kernels.
 *
 * weights: n x [7][3][7] f32 (already divided by 255).
 * biasRows: n x 3 x paddedMapWidth f32, the starting value of each output column for output rows
 * of class 0 (the first row: no tap row 0), 1 (rows with all 7 tap rows) and 2 (the last row when
 * its tap row 6 is the pad): conv bias + 128/255 * the sum of the weights of the taps that fall
 * inside the crop (the centring constant).
 * ring/ringRows/planeLen: the converted rows (see convertRows); the crop's rows must be in it.
 * y0: the crop's top image row; xb: its left column inside the box (>= 1: the box starts one
 * column left of the leftmost crop).
 * outMin/outMax: n f32 results (outMax 0 when not wanted). map: 0, or n x mapSize x paddedWidth f32
 * that receives every conv output (used to find positions of the extremes).
 */
export function poolCrop(
  weights: usize, biasRows: usize, n: i32, cropSize: i32,
  ring: usize, ringRows: i32, planeLen: i32, y0: i32, xb: i32,
  scratch: usize, outMin: usize, outMax: usize, map: usize,
): void {
  const planeBytes = <usize>planeLen << 2;
  const rowBytes = planeBytes * 15;
  const m = (cropSize - 5) / 5 + 1;
  const width = paddedMapWidth(m);
  const rowTable = scratch + ROWS;
  const padSave = rowTable + <usize>cropSize * 4;
  const minVecs = (padSave + <usize>cropSize * 24 + 15) & ~15;
  const maxVecs = minVecs + <usize>n * 16;
  const cols = scratch + COLS;
  const chunkOut = scratch + CHUNK_OUT;

  for (let u = 0; u < cropSize; u++) {
    store<usize>(rowTable + (<usize>u << 2), ring + <usize>((y0 + u) % ringRows) * rowBytes);
  }
  for (let ch = 0; ch < 3; ch++) {
    for (let j = 0; j < 7; j++) {
      const b = xb + j - 1;
      store<i32>(cols + <usize>(ch * 7 + j) * 4, <i32>(((3 * (b % 5) + ch) * planeLen + b / 5) << 2));
    }
  }
  setPadColumns(rowTable, cropSize, planeBytes, xb - 1, xb + cropSize, padSave, true);

  for (let k = 0; k < n; k++) {
    v128.store(minVecs + (<usize>k << 4), f32x4.splat(Infinity));
    v128.store(maxVecs + (<usize>k << 4), f32x4.splat(-Infinity));
  }
  // Output rows outer, kernels inner: the 7 input rows of an output row stay in L1 for all kernels.
  const widthBytes = <usize>width << 2;
  const kernelBiasBytes = widthBytes * 3;
  for (let r = 0; r < m; r++) {
    const iLo = r == 0 ? 1 : 0;
    const iHi = min(6, cropSize - 5 * r);
    const rows = rowTable + <usize>(5 * r - 1) * 4;
    const rowClass: usize = r == 0 ? 0 : iHi < 6 ? 2 : 1;
    const biasRow = biasRows + rowClass * widthBytes;
    let k = 0;
    for (; k + GROUP_K <= n; k += GROUP_K) {
      const w = weights + <usize>k * 588;
      for (let c0 = 0; c0 < m; c0 += GROUP_COLS) {
        const colByte = <usize>c0 << 2;
        chunkGroup(w, rows, iLo, iHi, cols, colByte, biasRow + <usize>k * kernelBiasBytes + colByte, kernelBiasBytes, chunkOut);
        for (let g = 0; g < GROUP_K; g++) {
          const mapRow = map ? map + (<usize>((k + g) * m + r) * <usize>width << 2) : 0;
          absorb(chunkOut + <usize>g * GROUP_COLS * 4, GROUP_COLS >> 2, c0, m, minVecs + (<usize>(k + g) << 4), maxVecs + (<usize>(k + g) << 4), mapRow);
        }
      }
    }
    for (; k < n; k++) {
      const w = weights + <usize>k * 588;
      const mapRow = map ? map + (<usize>(k * m + r) * <usize>width << 2) : 0;
      for (let c0 = 0; c0 < m; c0 += 24) {
        const colByte = <usize>c0 << 2;
        chunk6(w, rows, iLo, iHi, cols, colByte, biasRow + <usize>k * kernelBiasBytes + colByte, chunkOut);
        absorb(chunkOut, 6, c0, m, minVecs + (<usize>k << 4), maxVecs + (<usize>k << 4), mapRow);
      }
    }
  }
  setPadColumns(rowTable, cropSize, planeBytes, xb - 1, xb + cropSize, padSave, false);

  for (let k = 0; k < n; k++) {
    store<f32>(outMin + (<usize>k << 2), horizontalMin(v128.load(minVecs + (<usize>k << 4))));
    if (outMax) store<f32>(outMax + (<usize>k << 2), horizontalMax(v128.load(maxVecs + (<usize>k << 4))));
  }
}

/** Zeroes (save = true, keeping the old values in padSave) or restores the crop's two pad columns. */
function setPadColumns(rowTable: usize, cropSize: i32, planeBytes: usize, left: i32, right: i32, padSave: usize, save: bool): void {
  const leftOff = <usize>(3 * (left % 5)) * planeBytes + (<usize>(left / 5) << 2);
  const rightOff = <usize>(3 * (right % 5)) * planeBytes + (<usize>(right / 5) << 2);
  for (let u = 0; u < cropSize; u++) {
    const row = load<usize>(rowTable + (<usize>u << 2));
    const s = padSave + <usize>u * 24;
    for (let ch = 0; ch < 3; ch++) {
      const l = row + leftOff + <usize>ch * planeBytes;
      const r = row + rightOff + <usize>ch * planeBytes;
      if (save) {
        store<f32>(s + (<usize>ch << 2), load<f32>(l));
        store<f32>(s + 12 + (<usize>ch << 2), load<f32>(r));
        store<f32>(l, 0);
        store<f32>(r, 0);
      } else {
        store<f32>(l, load<f32>(s + (<usize>ch << 2)));
        store<f32>(r, load<f32>(s + 12 + (<usize>ch << 2)));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function horizontalMin(v: v128): f32 {
  return min(min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

// @ts-ignore: decorator
@inline function horizontalMax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * Flat position (r * mapSize + c) of the first occurrence, in row-major order, of `value` in one
 * kernel's map (as filled by poolCrop); -1 if absent.
 */
export function findFirst(map: usize, mapSize: i32, value: f32): i32 {
  const width = paddedMapWidth(mapSize);
  for (let r = 0; r < mapSize; r++) {
    const row = map + (<usize>(r * width) << 2);
    for (let c = 0; c < mapSize; c++) {
      if (load<f32>(row + (<usize>c << 2)) == value) return r * mapSize + c;
    }
  }
  return -1;
}
