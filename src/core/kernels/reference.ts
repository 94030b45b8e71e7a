/**
 * Plain-TypeScript float64 reference kernel: the readable definition the fast kernels are tested
 * against. Slow (no SIMD) but exact in double precision.
 */
import { CONV_PADDING, CONV_STRIDE, KERNEL_SIZE, convMapSize } from '../model.js';
import type { ConvKernel, ConvWeights, PoolRequest, PoolResult } from './types.js';
import { validatePoolRequest } from './types.js';

/**
 * The conv map of one crop for one kernel: map[r * M + c] = bias + sum over channels and taps of
 * w * pixel/255, where the crop is zero-padded by 1 pixel on its own.
 */
export function convMap(weights: ConvWeights, kernel: number, req: Pick<PoolRequest, 'image' | 'cropSize'>, x0: number, y0: number): Float64Array {
  const { image, cropSize } = req;
  const m = convMapSize(cropSize);
  const out = new Float64Array(m * m);
  const w = weights.convWeight;
  const wBase = kernel * 3 * KERNEL_SIZE * KERNEL_SIZE;
  const bias = weights.convBias[kernel]!;
  const stride = image.width * 3;
  const px = image.data;
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < m; c++) {
      let acc = 0;
      for (let i = 0; i < KERNEL_SIZE; i++) {
        const u = r * CONV_STRIDE + i - CONV_PADDING; // crop-local row
        if (u < 0 || u >= cropSize) continue; // zero padding of this crop
        for (let j = 0; j < KERNEL_SIZE; j++) {
          const v = c * CONV_STRIDE + j - CONV_PADDING;
          if (v < 0 || v >= cropSize) continue;
          const p = (y0 + u) * stride + (x0 + v) * 3;
          for (let ch = 0; ch < 3; ch++) {
            acc += w[wBase + ch * 49 + i * 7 + j]! * (px[p + ch]! / 255);
          }
        }
      }
      out[r * m + c] = acc + bias;
    }
  }
  return out;
}

export const referenceKernel: ConvKernel = {
  name: 'reference',
  pool(weights: ConvWeights, req: PoolRequest): PoolResult {
    validatePoolRequest(weights, req);
    const n = weights.kernels;
    const crops = req.xs.length;
    const mins = new Float64Array(crops * n);
    const maxs = req.wantMax ? new Float64Array(crops * n) : null;
    const argMins = req.wantArgs ? new Int32Array(crops * n) : null;
    const argMaxs = req.wantArgs && req.wantMax ? new Int32Array(crops * n) : null;
    for (let i = 0; i < crops; i++) {
      for (let k = 0; k < n; k++) {
        const map = convMap(weights, k, req, req.xs[i]!, req.ys[i]!);
        let lo = Infinity, hi = -Infinity, loAt = 0, hiAt = 0;
        for (let p = 0; p < map.length; p++) {
          const v = map[p]!;
          if (v < lo) { lo = v; loAt = p; }
          if (v > hi) { hi = v; hiAt = p; }
        }
        mins[i * n + k] = lo;
        if (maxs) maxs[i * n + k] = hi;
        if (argMins) argMins[i * n + k] = loAt;
        if (argMaxs) argMaxs[i * n + k] = hiAt;
      }
    }
    return { mins, maxs, argMins, argMaxs };
  },
};
