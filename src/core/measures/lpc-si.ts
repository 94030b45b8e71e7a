/**
 * LPC-SI, the local phase coherence sharpness index, written from the paper only: R. Hassen,
 * Z. Wang, M. M. A. Salama, "Image Sharpness Assessment Based on Local Phase Coherence", IEEE
 * Trans. Image Processing 22(7):2798-2810, 2013, and the reference set's description of it (pure
 * TS). The authors' MATLAB code is licensed for research only and forbids re-writes for commercial
 * use, so none of it was read for this file.
 *
 * Idea (paper, Sec. II-III): at a sharp edge the phases of a complex wavelet at neighbouring scales
 * are locked together (phase congruency across scale); blur breaks that. With log-Gabor filters at
 * three scales s = 1, 3/2, 2 the paper derives the weighted phase combination
 * phi_1 - 3 phi_2 + 2 phi_3, which is 0 at an ideal step edge, so cos of it is a local phase
 * coherence in [-1, 1].
 *  1. Filters on the FFT grid (Kovesi's construction): normalised frequency radius r and angle
 *     theta = atan2(-y, x); log-Gabor radial part exp(-ln(r / f0)^2 / (2 ln(0.75)^2)) with centre
 *     frequency f0 = 1 / (4 s), times a Butterworth low-pass 1 / (1 + (r / 0.45)^30), zero at DC;
 *     8 orientations phi_o = o pi / 8 with angular spread exp(-dtheta^2 / (2 sigma^2)),
 *     sigma = (pi / 8) / 1.5 (one-sided in angle, so the responses are complex).
 *  2. M_{s,o} = ifft2(fft2(u) G_s S_o).
 *  3. Per orientation: coherence cos(arg(M_1 M_2^-3 M_3^2)), weighted by the finest scale's energy
 *     above a noise threshold, E_o = max(0, |M_1,o| - T_o), T_o = mean + 2 std of |M_1,o| over the
 *     image without a border of B = round(min(H, W) / 16) pixels.
 *  4. LPC map = sum_o max(0, coherence_o) E_o / (sum_o E_o + C), C = 2 (u in 0..255).
 *  5. Pooling: the map without the border B, sorted descending l_1 >= ... >= l_N, weighted by
 *     u_k = exp(-((k - 1) / (N - 1)) / beta), beta = 1e-4: LPC-SI = sum l_k u_k / sum u_k (the
 *     sharpest 0.01% of the image dominate).
 * A sharpness index in 0..1 (higher = sharper); the measure reports its negation. Input: MATLAB
 * uint8 gray as 0..255 doubles (C assumes that scale).
 */
import { fft2 } from '../fft.js';
import { matlabGrayLevels, type Plane } from './gray.js';
import { planeMeasure } from './plane-measure.js';
import { scratchF64 } from './scratch.js';
import { selectLargest, sortDescending } from './selection.js';

export const LPC_SCALES = [1, 3 / 2, 2] as const;
export const LPC_WEIGHTS = [1, -3, 2] as const;
export const LPC_ORIENTATIONS = 8;
export const LPC_C = 2;
export const LPC_BETA = 1e-4;

/** The frequency coordinates of an n-point axis after ifftshift (DC first): k/n, or k/(n-1) for odd n, wrapped. */
function axisFrequencies(n: number): Float64Array {
  const out = new Float64Array(n);
  const half = Math.floor(n / 2);
  for (let k = 0; k < n; k++) {
    const j = (k + half) % n; // the unshifted index that ifftshift brings to k
    out[k] = n % 2 === 1 ? (j - (n - 1) / 2) / (n - 1) : (j - n / 2) / n;
  }
  return out;
}

interface Filters {
  /** G_s for each scale (radial log-Gabor times low-pass, 0 at DC) */
  readonly radial: Float64Array[];
  readonly sinTheta: Float64Array;
  readonly cosTheta: Float64Array;
}

function filters(width: number, height: number): Filters {
  const n = width * height;
  const fx = axisFrequencies(width), fy = axisFrequencies(height);
  const radial = LPC_SCALES.map((_, i) => scratchF64(`lpc.g${i}`, n));
  const sinTheta = scratchF64('lpc.sin', n), cosTheta = scratchF64('lpc.cos', n);
  const spread = 2 * Math.log(0.75) ** 2;
  const f0 = LPC_SCALES.map((s) => 1 / (4 * s));
  for (let p = 0; p < height; p++) {
    const y = fy[p]!;
    for (let q = 0; q < width; q++) {
      const x = fx[q]!;
      const i = p * width + q;
      const r0 = Math.sqrt(x * x + y * y);
      const theta = Math.atan2(-y, x);
      sinTheta[i] = Math.sin(theta);
      cosTheta[i] = Math.cos(theta);
      const lowpass = 1 / (1 + (r0 / 0.45) ** 30);
      const r = i === 0 ? 1 : r0;
      for (let s = 0; s < LPC_SCALES.length; s++) {
        const l = Math.log(r / f0[s]!);
        radial[s]![i] = i === 0 ? 0 : Math.exp(-(l * l) / spread) * lowpass;
      }
    }
  }
  return { radial, sinTheta, cosTheta };
}

/** mean + 2 std (n - 1) of values[y][x] over the rows/columns inside a border of b. */
function noiseThreshold(e: Float64Array, width: number, height: number, b: number): number {
  let sum = 0, count = 0;
  for (let y = b; y < height - b; y++) for (let x = b, o = y * width; x < width - b; x++) sum += e[o + x]!;
  count = (height - 2 * b) * (width - 2 * b);
  const mean = sum / count;
  let ss = 0;
  for (let y = b; y < height - b; y++) {
    for (let x = b, o = y * width; x < width - b; x++) {
      const d = e[o + x]! - mean;
      ss += d * d;
    }
  }
  return mean + 2 * Math.sqrt(ss / (count - 1));
}

/** The border cut before the threshold statistics and the pooling. */
export function lpcBorder(width: number, height: number): number {
  return Math.round(Math.min(width, height) / 16);
}

/** The LPC map (H x W) of a 0..255 gray plane. */
export function lpcMap(u: Plane): Float64Array {
  const { width: W, height: H } = u;
  const n = W * H;
  const b = lpcBorder(W, H);
  const { radial, sinTheta, cosTheta } = filters(W, H);
  const ur = scratchF64('lpc.ur', n), ui = scratchF64('lpc.ui', n);
  ur.set(u.data);
  ui.fill(0);
  fft2(ur, ui, W, H);
  const mr = scratchF64('lpc.mr', n), mi = scratchF64('lpc.mi', n);
  // z = the unit phasor of M1 conj(M2)^3 M3^2, built scale by scale; e = |M1|
  const zr = scratchF64('lpc.zr', n), zi = scratchF64('lpc.zi', n), e = scratchF64('lpc.e', n);
  const num = scratchF64('lpc.num', n), den = scratchF64('lpc.den', n);
  num.fill(0);
  den.fill(0);
  const angular = scratchF64('lpc.ang', n);
  const sigma = Math.PI / LPC_ORIENTATIONS / 1.5;
  const twoSigma2 = 2 * sigma * sigma;
  for (let o = 0; o < LPC_ORIENTATIONS; o++) {
    const phi = (o * Math.PI) / LPC_ORIENTATIONS;
    const cp = Math.cos(phi), sp = Math.sin(phi);
    for (let i = 0; i < n; i++) {
      const ds = sinTheta[i]! * cp - cosTheta[i]! * sp, dc = cosTheta[i]! * cp + sinTheta[i]! * sp;
      const dtheta = Math.abs(Math.atan2(ds, dc));
      angular[i] = Math.exp(-(dtheta * dtheta) / twoSigma2);
    }
    for (let s = 0; s < LPC_SCALES.length; s++) {
      const g = radial[s]!;
      for (let i = 0; i < n; i++) {
        const f = g[i]! * angular[i]!;
        mr[i] = ur[i]! * f;
        mi[i] = ui[i]! * f;
      }
      fft2(mr, mi, W, H, true);
      const power = LPC_WEIGHTS[s]!;
      for (let i = 0; i < n; i++) {
        const a = mr[i]!, c = mi[i]!;
        const mag = Math.sqrt(a * a + c * c);
        if (s === 0) {
          e[i] = mag;
          // M1^1; M = 0 gives the phase 0 (MATLAB: angle(0) = 0)
          zr[i] = mag > 0 ? a / mag : 1;
          zi[i] = mag > 0 ? c / mag : 0;
          continue;
        }
        if (mag === 0) {
          // 0^-3 is Inf: the coherence is NaN and the original's max(0, NaN) drops it (marked by NaN here);
          // 0^2 makes the product 0, whose phase is 0.
          if (power < 0) zr[i] = NaN;
          else if (!Number.isNaN(zr[i]!)) {
            zr[i] = 1;
            zi[i] = 0;
          }
          continue;
        }
        // unit phasor w = M/|M| (conjugated for a negative power), raised to |power|
        const wr = a / mag, wi = (power < 0 ? -c : c) / mag;
        let pr = wr, pi = wi;
        for (let k = 1; k < Math.abs(power); k++) {
          const t = pr * wr - pi * wi;
          pi = pr * wi + pi * wr;
          pr = t;
        }
        const t = zr[i]! * pr - zi[i]! * pi;
        zi[i] = zr[i]! * pi + zi[i]! * pr;
        zr[i] = t;
      }
    }
    const threshold = noiseThreshold(e, W, H, b);
    for (let i = 0; i < n; i++) {
      const energy = e[i]! - threshold;
      if (energy <= 0) continue;
      den[i] = den[i]! + energy;
      const coherence = zr[i]!; // cos of the phase (z is a unit phasor)
      if (coherence > 0) num[i] = num[i]! + coherence * energy;
    }
  }
  const map = scratchF64('lpc.map', n);
  for (let i = 0; i < n; i++) map[i] = num[i]! / (den[i]! + LPC_C);
  return map;
}

/** LPC-SI of a 0..255 gray plane (0..1, higher = sharper), not negated. */
export function lpcSi(u: Plane): number {
  const { width: W, height: H } = u;
  const b = lpcBorder(W, H);
  const iw = W - 2 * b, ih = H - 2 * b;
  if (iw < 1 || ih < 1 || iw * ih < 2) throw new Error(`LPC-SI needs an image larger than its ${b}-pixel border on each side but the image is ${W}x${H}`);
  const map = lpcMap(u);
  const N = iw * ih;
  const inner = scratchF64('lpc.inner', N);
  for (let y = 0; y < ih; y++) inner.set(map.subarray((y + b) * W + b, (y + b) * W + b + iw), y * iw);
  // Weights exp(-((k-1)/(N-1))/beta) are exactly 0 beyond k - 1 > 745 (N-1) beta: only the top K count.
  const scale = (N - 1) * LPC_BETA;
  const K = Math.min(N, Math.floor(746 * scale) + 2);
  selectLargest(inner, N, K);
  const top = inner.slice(0, K);
  sortDescending(top);
  let num = 0, den = 0;
  for (let k = 0; k < K; k++) {
    const w = Math.exp(-(k / (N - 1)) / LPC_BETA);
    num += top[k]! * w;
    den += w;
  }
  return num / den;
}

export const lpcSiMeasure = planeMeasure({
  name: 'lpc-si',
  label: 'LPC-SI',
  reference: 'Hassen, Wang, Salama, IEEE TIP 2013 (local phase coherence), written from the paper; original code research-only (no commercial re-writes); negated',
  toPlane: matlabGrayLevels,
  scorePlane: (u) => 0 - lpcSi(u),
});
