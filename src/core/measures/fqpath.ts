/**
 * FQPath (Hosseini et al., "Focus Quality Assessment of High-Throughput Whole Slide Imaging in
 * Digital Pathology", IEEE TMI 39(1), 2020). Written from the paper and the reference set's
 * description; the original MATLAB code (mahdihosseini/FQPath, GPL-3.0) is not copied or translated.
 * Only its filter taps are used, as attributed data (./maxpol-kernels.ts).
 *
 * Sign: the original's score already grows with blur, so it is reported as is (higher = blurrier).
 */
import { matlabGray, type Plane } from './gray.js';
import { runFilterChains } from './filter-chains.js';
import { matlabHist } from './histogram.js';
import { keptFractionFqpath, keptMoment, kStarSpread, negLog10Abs, positivePairs, sigmaAt } from './maxpol-core.js';
import { FQPATH_KERNEL, FQPATH_LOWPASS } from './maxpol-kernels.js';
import { planeMeasure } from './plane-measure.js';

const LOWPASS = Float64Array.from(FQPATH_LOWPASS);
const KERNEL = Float64Array.from(FQPATH_KERNEL);

/** Intermediate values, for tests against the reference trace. */
export interface FqpathTrace {
  /** pixels where both responses are positive */
  readonly M: number;
  /** range of the 2M responses (the histogram's) */
  readonly histMin: number;
  readonly histMax: number;
  readonly kStar: number;
  readonly sigma: number;
  readonly c: number;
  /** round(c M): how many of the strongest responses are kept */
  readonly keep: number;
  readonly moment: number;
  readonly score: number;
}

/**
 * FQPath of a gray plane g (MATLAB gray / 255):
 * 1. r_x = K * (h * g) along x, r_y the same along y (h: 33-tap generalized-Gaussian low-pass,
 *    K: the 65-tap MaxPol kernel; MATLAB imfilter 'symmetric' 'conv');
 * 2. pixels with r_x > 0 and r_y > 0 (M of them);
 * 3. MATLAB hist of the 2M responses in 50 bins; k* = bins with cdf below cdf_1 + 0.95 (cdf_50 -
 *    cdf_1); sigma = centre(k*) / centre(50); c = (1 - tanh(60 (sigma - 0.095))) / 4 + 0.09;
 * 4. -log10 |4th central moment| of the round(c M) largest (sqrt r_x + sqrt r_y)^2.
 */
export function fqpathTrace(g: Plane): FqpathTrace {
  const [rx, ry] = runFilterChains(g, [
    [{ axis: 'x', taps: LOWPASS }, { axis: 'x', taps: KERNEL }],
    [{ axis: 'y', taps: LOWPASS }, { axis: 'y', taps: KERNEL }],
  ]) as [Float64Array, Float64Array];
  const { a, b, count, maxA, maxB, min } = positivePairs(rx, ry, undefined, rx, ry);
  const range = count > 0 ? { min, max: Math.max(maxA, maxB) } : undefined;
  const hist = matlabHist([a.subarray(0, count), b.subarray(0, count)], 50, range);
  const kStar = kStarSpread(hist.counts);
  const sigma = sigmaAt(hist.positions, kStar);
  const c = keptFractionFqpath(sigma);
  const { keep, moment } = keptMoment(a, b, count, c, 4, maxA, maxB);
  return { M: count, histMin: hist.min, histMax: hist.max, kStar, sigma, c, keep, moment, score: negLog10Abs(moment) };
}

export function fqpathScore(g: Plane): number {
  return fqpathTrace(g).score;
}

export const fqpath = planeMeasure({
  name: 'fqpath',
  label: 'FQPath',
  reference: 'Hosseini et al., IEEE TMI 2019 (original: mahdihosseini/FQPath, GPL-3.0; focuslite: own implementation, MaxPol taps as attributed data)',
  toPlane: matlabGray,
  scorePlane: fqpathScore,
});
