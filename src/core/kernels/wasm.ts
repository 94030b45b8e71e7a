/**
 * WebAssembly SIMD conv+pool kernel (assembly/conv.ts, embedded as base64 by
 * scripts/build-wasm.mjs). Pure TS: instantiates synchronously, no platform imports.
 *
 * Per call: the crops are visited in (y, x) order, and the image rows they need are converted once
 * each (RGB bytes -> float planes deinterleaved by 5, see assembly/conv.ts) into a ring of cropSize
 * rows covering the crops' column range (one column of margin each side for the zero pad). The ring
 * bounds memory for big images: a 4000-wide region needs about 13 MB whatever its height.
 */
import { convMapSize } from '../model.js';
import { registerKernel } from './registry.js';
import type { ConvKernel, ConvWeights, PoolRequest, PoolResult } from './types.js';
import { validatePoolRequest } from './types.js';
import { WASM_BASE64 } from './wasm-binary.js';
import { compiledOnce, decodeBase64, wasmApi, type WasmMemory } from '../wasm.js';

export { decodeBase64 } from '../wasm.js';

/** The conv module's exports (see assembly/conv.ts). */
interface ConvExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  convertRows(src: number, srcStride: number, rows: number, y: number, ring: number, ringRows: number, planeLen: number, blocks: number): void;
  paddedMapWidth(mapSize: number): number;
  scratchBytes(cropSize: number, kernels: number): number;
  poolCrop(
    weights: number, biasRows: number, n: number, cropSize: number,
    ring: number, ringRows: number, planeLen: number, y0: number, xb: number,
    scratch: number, outMin: number, outMax: number, map: number,
  ): void;
  findFirst(map: number, mapSize: number, value: number): number;
}

/** Image rows staged (as bytes) per convertRows call. */
const STAGE_ROWS = 32;
const PAGE = 65536;


/** The embedded binary (wasm/conv.wasm). */
export function wasmBinary(): Uint8Array {
  return decodeBase64(WASM_BASE64);
}


// Engines without SIMD reject the module: say so plainly rather than with a CompileError.
const compiledModule = compiledOnce(wasmBinary, 'the conv module');

// Arithmetic, not bitwise: byte offsets may exceed 2^31 in a large wasm memory.
const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Where each buffer of one request lives in wasm memory (byte offsets). */
interface Layout {
  weights: number; biasRows: number; scratch: number; outMin: number; outMax: number; map: number;
  ring: number; stage: number; end: number;
  /**
   * Staging of image bytes: whole image rows (one copy per batch) when the box spans most of the
   * image's width, else just the box's columns of each row.
   */
  wholeRows: boolean;
  /** box: image column of box column 0, and its width */
  bx: number; boxW: number;
  blocks: number; planeLen: number; stageStride: number; mapSize: number; mapWidth: number;
}

function planLayout(ex: ConvExports, weights: ConvWeights, req: PoolRequest): Layout {
  const n = weights.kernels;
  const crops = req.xs.length;
  const c = req.cropSize;
  let xmin = Infinity, xmax = -Infinity;
  for (let i = 0; i < crops; i++) {
    xmin = Math.min(xmin, req.xs[i]!);
    xmax = Math.max(xmax, req.xs[i]!);
  }
  // One column of margin left of the leftmost crop and right of the rightmost: their pad columns.
  const bx = xmin - 1;
  const boxW = xmax - xmin + c + 2;
  const blocks = Math.ceil(boxW / 20);
  const mapSize = convMapSize(c);
  const mapWidth = ex.paddedMapWidth(mapSize);
  // The conv loop reads, from the rightmost crop's tap column b = xb + 5, mapWidth consecutive k.
  const xbMax = xmax - bx;
  const planeLen = (Math.max(4 * blocks, Math.floor((xbMax + 5) / 5) + mapWidth) + 3) & ~3;
  const wholeRows = 2 * boxW >= req.image.width;
  // convertRows reads blocks * 60 + 1 bytes from each row's box column 0.
  const stageStride = wholeRows ? req.image.width * 3 : align16(blocks * 60 + 1);
  let at = align16(ex.heapBase());
  const take = (bytes: number): number => {
    const p = at;
    at = align16(at + bytes);
    return p;
  };
  const layout: Layout = {
    weights: take(n * 147 * 4),
    biasRows: take(n * 3 * mapWidth * 4),
    scratch: take(ex.scratchBytes(c, n)),
    outMin: take(crops * n * 4),
    outMax: req.wantMax ? take(crops * n * 4) : 0,
    map: req.wantArgs ? take(n * mapSize * mapWidth * 4) : 0,
    ring: take(c * 15 * planeLen * 4 + 64),
    // 16 bytes of slack before (box column 0 may be image column -1) and after (over-reads).
    stage: take(16 + STAGE_ROWS * stageStride + blocks * 60 + 64),
    end: 0,
    wholeRows, bx, boxW, blocks, planeLen, stageStride, mapSize, mapWidth,
  };
  layout.end = at;
  return layout;
}

/**
 * Starting values of the conv outputs for pixels stored centred (value - 128, see
 * assembly/conv.ts): conv bias + 128/255 * the sum of the weights of the taps inside the crop.
 * Layout [kernel][row class][column] (width `mapWidth`): row class 0 is the first output row (tap
 * row 0 on the pad), 1 an inner row, 2 the last row when its tap row 6 is on the pad; the first
 * column likewise loses tap column 0 and the last column tap column 6 when that is on the pad.
 */
export function centredBiasRows(weights: ConvWeights, cropSize: number, mapWidth: number): Float32Array {
  const m = convMapSize(cropSize);
  // The last row/column's tap 6 reads crop row/column 5(m-1)+5 = cropSize exactly when 5 | cropSize.
  const lastLosesTap6 = cropSize % 5 === 0;
  const out = new Float32Array(weights.kernels * 3 * mapWidth);
  const w = weights.convWeight;
  for (let k = 0; k < weights.kernels; k++) {
    // tapSum(i0, i1, j0, j1): weights of tap rows i0..i1 and tap columns j0..j1, all channels.
    const tapSum = (i0: number, i1: number, j0: number, j1: number): number => {
      let s = 0;
      for (let ch = 0; ch < 3; ch++) for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) s += w[k * 147 + ch * 49 + i * 7 + j]!;
      return s;
    };
    const rowTaps: Array<[number, number]> = [[1, 6], [0, 6], [0, 5]];
    for (let cls = 0; cls < 3; cls++) {
      const [i0, i1] = rowTaps[cls]!;
      const at = (k * 3 + cls) * mapWidth;
      const inner = weights.convBias[k]! + (128 / 255) * tapSum(i0, i1, 0, 6);
      out.fill(inner, at, at + mapWidth);
      if (lastLosesTap6) out[at + m - 1] = weights.convBias[k]! + (128 / 255) * tapSum(i0, i1, 0, 5);
      // A single column (m = 1, cropSize 7..9) is first and last, and keeps its tap 6 (5 does not divide cropSize).
      out[at] = weights.convBias[k]! + (128 / 255) * tapSum(i0, i1, 1, 6);
    }
  }
  return out;
}

/** Crop indices in (y, x) order, so each image row is converted once. */
function visitOrder(xs: ArrayLike<number>, ys: ArrayLike<number>): Int32Array {
  const order = new Int32Array(xs.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => ys[a]! - ys[b]! || xs[a]! - xs[b]! || a - b);
}

export function createWasmKernel(): ConvKernel {
  const instance = new (wasmApi().Instance)(compiledModule(), {});
  const ex = instance.exports as unknown as ConvExports;
  const memory = ex.memory;

  function ensureMemory(bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (err) {
      const mb = Math.ceil(bytes / 2 ** 20);
      throw new Error(`The wasm-simd kernel needs ${mb} MB of WebAssembly memory for this request, more than this engine grants (${err instanceof Error ? err.message : String(err)}); use fewer crops per call or a narrower region`);
    }
  }

  /**
   * Stage image rows [y, y + count) and convert them into the ring. Staged bytes of columns outside
   * the image are left as they are: such columns are only ever a crop's pad column (zeroed while
   * that crop is pooled) or lie past the last real output (lanes that are masked out).
   */
  function convertRows(req: PoolRequest, lay: Layout, u8: Uint8Array, y: number, count: number): void {
    const { width, data } = req.image;
    const stage = lay.stage + 16;
    const rowBytes = width * 3;
    const xs = Math.max(0, lay.bx);
    const xe = Math.min(width, lay.bx + lay.boxW);
    for (let done = 0; done < count; done += STAGE_ROWS) {
      const rows = Math.min(STAGE_ROWS, count - done);
      const first = y + done;
      if (lay.wholeRows) {
        u8.set(data.subarray(first * rowBytes, (first + rows) * rowBytes), stage);
        ex.convertRows(stage + lay.bx * 3, rowBytes, rows, first, lay.ring, req.cropSize, lay.planeLen, lay.blocks);
      } else {
        for (let r = 0; r < rows; r++) {
          const src = (first + r) * rowBytes + xs * 3;
          u8.set(data.subarray(src, src + (xe - xs) * 3), stage + r * lay.stageStride + (xs - lay.bx) * 3);
        }
        ex.convertRows(stage, lay.stageStride, rows, first, lay.ring, req.cropSize, lay.planeLen, lay.blocks);
      }
    }
  }

  function pool(weights: ConvWeights, req: PoolRequest): PoolResult {
    validatePoolRequest(weights, req);
    const n = weights.kernels;
    const crops = req.xs.length;
    const c = req.cropSize;
    const mins = new Float64Array(crops * n);
    const maxs = req.wantMax ? new Float64Array(crops * n) : null;
    const argMins = req.wantArgs ? new Int32Array(crops * n) : null;
    const argMaxs = req.wantArgs && req.wantMax ? new Int32Array(crops * n) : null;
    if (crops === 0) return { mins, maxs, argMins, argMaxs };

    const lay = planLayout(ex, weights, req);
    ensureMemory(lay.end);
    const u8 = new Uint8Array(memory.buffer);
    const f32 = new Float32Array(memory.buffer);

    // Weights reordered to [k][i][ch][j] (the conv loop's order) with the 1/255 folded in.
    const w = weights.convWeight;
    for (let k = 0; k < n; k++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let i = 0; i < 7; i++) {
          for (let j = 0; j < 7; j++) {
            f32[(lay.weights / 4) + k * 147 + i * 21 + ch * 7 + j] = w[k * 147 + ch * 49 + i * 7 + j]! / 255;
          }
        }
      }
    }
    f32.set(centredBiasRows(weights, c, lay.mapWidth), lay.biasRows / 4);

    let loadedLo = 0, loadedHi = 0; // image rows [loadedLo, loadedHi) are in the ring
    for (const idx of visitOrder(req.xs, req.ys)) {
      const x0 = req.xs[idx]!, y0 = req.ys[idx]!;
      const from = y0 >= loadedLo && y0 <= loadedHi ? loadedHi : y0;
      if (from < y0 + c) convertRows(req, lay, u8, from, y0 + c - from);
      loadedLo = y0;
      loadedHi = y0 + c;
      const outMin = lay.outMin + idx * n * 4;
      const outMax = lay.outMax ? lay.outMax + idx * n * 4 : 0;
      ex.poolCrop(lay.weights, lay.biasRows, n, c, lay.ring, c, lay.planeLen, y0, x0 - lay.bx, lay.scratch, outMin, outMax, lay.map);
      if (argMins) {
        const mapBytes = lay.mapSize * lay.mapWidth * 4;
        for (let k = 0; k < n; k++) {
          argMins[idx * n + k] = ex.findFirst(lay.map + k * mapBytes, lay.mapSize, f32[(outMin / 4) + k]!);
          if (argMaxs) argMaxs[idx * n + k] = ex.findFirst(lay.map + k * mapBytes, lay.mapSize, f32[(outMax / 4) + k]!);
        }
      }
    }
    for (let i = 0; i < crops * n; i++) {
      mins[i] = f32[(lay.outMin / 4) + i]!;
      if (maxs) maxs[i] = f32[(lay.outMax / 4) + i]!;
    }
    return { mins, maxs, argMins, argMaxs };
  }

  return { name: 'wasm-simd', pool };
}

registerKernel({ name: 'wasm-simd', priority: 100, create: createWasmKernel });
