/**
 * MLV, the maximum local variation sharpness index (K. Bahrami, A. C. Kot, "A Fast Approach for
 * No-Reference Image Sharpness Assessment Based on Maximum Local Variation", IEEE Signal Processing
 * Letters 21(6):751-755, 2014), written from the paper and the reference set's description (pure TS).
 *
 * Input: the unrounded MATLAB-weight gray of RGB / 255 (the original's `x = double(rgb)/255`,
 * then `rgb2gray` on doubles), not the uint8 gray `g` of the MaxPol family: the rounding would move
 * the score at ~1e-3.
 *  1. For every interior pixel, the largest signed difference (neighbour - centre) over its 8
 *     neighbours, a neighbour on the image border counting as 0 (as the original builds its shifted
 *     images); a map of (H-2) x (W-2) values.
 *  2. The 1000 largest map values v_1 >= v_2 >= ..., weighted by exp(-0.01 k), k = 1..1000.
 *  3. score = sqrt(mean((v_k exp(-0.01 k))^2)): the scale sigma of a zero-mean generalised
 *     Gaussian fitted to the weighted values (the original fits the shape too, and ignores it).
 * The original is a sharpness index (higher = sharper); the measure reports its negation.
 */
import type { RgbImage } from '../image.js';
import { MATLAB_GRAY_WEIGHTS, type Plane } from './gray.js';
import { planeMeasure } from './plane-measure.js';
import { scratchF64 } from './scratch.js';
import { selectLargest, sortDescending } from './selection.js';

/** How many of the largest local variations are pooled (the original's fixed count). */
export const MLV_TOP = 1000;

/** w * (v / 255) for every byte value v: the same doubles as the original's `double(rgb)/255` times w. */
const unitProducts = (w: number): Float64Array => Float64Array.from({ length: 256 }, (_, v) => w * (v / 255));
const UR = unitProducts(MATLAB_GRAY_WEIGHTS[0]), UG = unitProducts(MATLAB_GRAY_WEIGHTS[1]), UB = unitProducts(MATLAB_GRAY_WEIGHTS[2]);

/** MATLAB `rgb2gray(double(rgb) / 255)`: (wR r + wG g) + wB b on 0..1 values, not rounded. */
export function matlabGrayUnrounded(image: RgbImage, out?: Float64Array): Plane {
  const n = image.width * image.height;
  const data = out ?? new Float64Array(n);
  if (data.length !== n) throw new Error(`Expected an output of ${n} values but received ${data.length}`);
  const src = image.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) data[i] = (UR[src[o]!]! + UG[src[o + 1]!]!) + UB[src[o + 2]!]!;
  return { width: image.width, height: image.height, data };
}

/** The maximum-local-variation map of the interior pixels, (H-2) x (W-2), row-major. */
export function mlvMap(x: Plane, out?: Float64Array): Float64Array {
  const { width: w, height: h, data: d } = x;
  if (w < 3 || h < 3) throw new Error(`MLV needs at least 3x3 pixels but the image is ${w}x${h}`);
  const mw = w - 2, mh = h - 2;
  const map = out ?? new Float64Array(mw * mh);
  // A neighbour on the border (row 0 or h-1, column 0 or w-1) counts as 0.
  const at = (r: number, c: number): number => (r === 0 || c === 0 || r === h - 1 || c === w - 1 ? 0 : d[r * w + c]!);
  for (let r = 1; r < h - 1; r++) {
    const edgeRow = r === 1 || r === h - 2;
    for (let c = 1; c < w - 1; c++) {
      const centre = d[r * w + c]!;
      let best: number;
      if (edgeRow || c === 1 || c === w - 2) {
        best = -Infinity;
        for (let dr = -1; dr <= 1; dr++) {
          for (let dc = -1; dc <= 1; dc++) {
            if (dr === 0 && dc === 0) continue;
            const v = at(r + dr, c + dc) - centre;
            if (v > best) best = v;
          }
        }
      } else {
        const up = (r - 1) * w + c, mid = r * w + c, down = (r + 1) * w + c;
        const m = Math.max(d[up - 1]!, d[up]!, d[up + 1]!, d[mid - 1]!, d[mid + 1]!, d[down - 1]!, d[down]!, d[down + 1]!);
        best = m - centre;
      }
      map[(r - 1) * mw + (c - 1)] = best;
    }
  }
  return map;
}

/** The MLV sharpness index of a gray plane (0..1 values), not negated. */
export function mlvIndex(x: Plane): number {
  const n = (x.width - 2) * (x.height - 2);
  if (x.width < 3 || x.height < 3 || n < MLV_TOP) {
    throw new Error(`MLV needs at least ${MLV_TOP} interior pixels but the image is ${x.width}x${x.height}`);
  }
  const map = mlvMap(x, scratchF64('mlv.map', n));
  selectLargest(map, n, MLV_TOP);
  const top = map.slice(0, MLV_TOP);
  sortDescending(top);
  let sum = 0;
  for (let k = 1; k <= MLV_TOP; k++) {
    const v = top[k - 1]! * Math.exp(-0.01 * k);
    sum += v * v;
  }
  return Math.sqrt(sum / MLV_TOP);
}

export const mlvMeasure = planeMeasure({
  name: 'mlv',
  label: 'MLV',
  reference: 'Bahrami & Kot, IEEE SPL 2014 (maximum local variation); original FEX #49991, no licence stated; negated',
  toPlane: matlabGrayUnrounded,
  scorePlane: (x) => 0 - mlvIndex(x),
});
