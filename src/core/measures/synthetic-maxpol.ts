/**
 * Synthetic-MaxPol (Hosseini & Plataniotis, "Image Sharpness Metric Based on MaxPol Convolution
 * Kernels", IEEE ICIP 2018), demo parameters (moment orders 72 and 8). Written from the paper and
 * the reference set's description; the original MATLAB code (mahdihosseini/Synthetic-MaxPol,
 * GPL-3.0) is not copied or translated. Its two 16-tap kernels are used as attributed data.
 *
 * Sign: the original's score grows with blur; reported as is (higher = blurrier).
 */
import { matlabGray, type Plane } from './gray.js';
import { runFilterChains, type FilterChain } from './filter-chains.js';
import { matlabHistcounts } from './histogram.js';
import { absoluteInPlace, keptFractionSynthetic, keptMoment, kStarQuantile, sigmaAt } from './maxpol-core.js';
import { SYNTHETIC_MAXPOL_KERNEL_1, SYNTHETIC_MAXPOL_KERNEL_2 } from './maxpol-kernels.js';
import { planeMeasure } from './plane-measure.js';

const KERNELS = [Float64Array.from(SYNTHETIC_MAXPOL_KERNEL_1), Float64Array.from(SYNTHETIC_MAXPOL_KERNEL_2)] as const;
const ORDERS = [72, 8] as const;

export interface SyntheticKernelTrace {
  readonly N: number;
  /** first and last histogram edge, and the second minus the first */
  readonly edgesFirst: number;
  readonly edgesLast: number;
  readonly binWidth: number;
  readonly kStar: number;
  readonly sigma: number;
  readonly c: number;
  readonly keep: number;
  readonly moment: number;
  /** -log10(moment) */
  readonly value: number;
}

/**
 * Term j (0-based) over all N pixels (no mask):
 * 1. r_y = d_j * g along y, r_x along x (16-tap kernels: tap 9, 1-based, sits on the pixel);
 * 2. MATLAB histcounts of the 2N values |r_y|, |r_x| in 150 bins; pdf = counts rescaled to 0..1;
 *    k* = bins with cumulative pdf / total < 0.9; sigma = edge(k*) / max edge;
 *    c = (1 - tanh(50 (sigma - 0.095))) / 2 * 0.41 + 0.04;
 * 3. -log10 of the central moment of order p_j of the round(c N) largest (sqrt|r_x| + sqrt|r_y|)^2
 *    (no absolute value: the moments are even).
 */
export function syntheticKernelTrace(g: Plane, j: 0 | 1): SyntheticKernelTrace {
  const [ry, rx] = runFilterChains(g, chainsOf(j)) as [Float64Array, Float64Array];
  return syntheticFromResponses(ry, rx, j);
}

/** The two filter chains of kernel j: along y (r_y), along x (r_x). */
function chainsOf(j: 0 | 1): FilterChain[] {
  return [[{ axis: 'y', taps: KERNELS[j] }], [{ axis: 'x', taps: KERNELS[j] }]];
}

/** Steps 2-3 from the responses of kernel j (overwritten). */
function syntheticFromResponses(ry: Float64Array, rx: Float64Array, j: 0 | 1): SyntheticKernelTrace {
  const n = ry.length;
  const range = absoluteInPlace(ry, rx);
  const hist = matlabHistcounts([ry, rx], 150, range);
  const kStar = kStarQuantile(hist.counts);
  const edges = hist.positions;
  let maxEdge = -Infinity;
  for (const e of edges) maxEdge = Math.max(maxEdge, e);
  const sigma = sigmaAt(edges, kStar, maxEdge);
  const c = keptFractionSynthetic(sigma);
  // f = (sqrt|r_x| + sqrt|r_y|)^2 over all N pixels (the sum commutes exactly)
  const { keep, moment } = keptMoment(rx, ry, n, c, ORDERS[j], range.max2, range.max1);
  return { N: n, edgesFirst: edges[0]!, edgesLast: edges[edges.length - 1]!, binWidth: edges[1]! - edges[0]!, kStar, sigma, c, keep, moment, value: -Math.log10(moment) };
}

/** Synthetic-MaxPol: v_1 + v_2, +Inf (a moment underflowing to 0) reported as 120 as the original. */
export function syntheticMaxpolScore(g: Plane): number {
  const [ry1, rx1, ry2, rx2] = runFilterChains(g, [...chainsOf(0), ...chainsOf(1)]) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const s = syntheticFromResponses(ry1, rx1, 0).value + syntheticFromResponses(ry2, rx2, 1).value;
  return s === Infinity ? 120 : s;
}

export const syntheticMaxpol = planeMeasure({
  name: 'synthetic-maxpol',
  label: 'Synthetic-MaxPol',
  reference: 'Hosseini & Plataniotis, ICIP 2018 (original: mahdihosseini/Synthetic-MaxPol, GPL-3.0; focuslite: own implementation, MaxPol kernels as attributed data)',
  toPlane: matlabGray,
  scorePlane: syntheticMaxpolScore,
});
