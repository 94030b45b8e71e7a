/**
 * HVS-MaxPol-1 and HVS-MaxPol-2 (Hosseini, Zhang, Plataniotis, "Encoding Visual Sensitivity by
 * MaxPol Convolution Filters for Image Sharpness Assessment", IEEE TIP 28(9), 2019), 'natural'
 * parameters. One algorithm with one or two kernels, so both measures live here. Written from the
 * paper and the reference set's description; the original MATLAB code (mahdihosseini/HVS-MaxPol,
 * GPL-3.0) is not copied or translated. Its kernels are used as attributed data.
 *
 * Sign: the original returns log10 |moment|, which grows with sharpness; focuslite reports its
 * negation (higher = blurrier): HVS-MaxPol-1 = v_1, HVS-MaxPol-2 = 0.3874 v_1 + 4.0865 v_2, with
 * v_j = -log10 |moment_j| below. The original's scores are exactly -1 times these.
 */
import { matlabGray, type Plane } from './gray.js';
import { runFilterChains, type FilterChain } from './filter-chains.js';
import { matlabHistcounts } from './histogram.js';
import { keptFractionFqpath, keptMoment, kStarSpread, negLog10Abs, positivePairs, sigmaAt } from './maxpol-core.js';
import { HVS_MAXPOL_KERNEL_1, HVS_MAXPOL_KERNEL_2 } from './maxpol-kernels.js';
import { planeMeasure } from './plane-measure.js';
import { scratchU8 } from './scratch.js';

const KERNELS = [Float64Array.from(HVS_MAXPOL_KERNEL_1), Float64Array.from(HVS_MAXPOL_KERNEL_2)] as const;
/** moment order per kernel ('natural' images) */
const ORDERS = [6, 2] as const;
/** weights of v_1, v_2 in HVS-MaxPol-2 ('natural' images) */
const WEIGHTS_2 = [0.3874, 4.0865] as const;
/** background: pixels of g <= this are left out (near-black, e.g. outside the scan) */
const BACKGROUND = 0.05;

export interface HvsKernelTrace {
  /** pixels that are not background and where both responses are positive */
  readonly M: number;
  /** first and last histogram edge, and the second minus the first */
  readonly edgesFirst: number;
  readonly edgesLast: number;
  readonly binWidth: number;
  readonly kStar: number;
  readonly sigma: number;
  readonly c: number;
  /** round(c M): how many of the strongest responses are kept */
  readonly keep: number;
  readonly moment: number;
  /** -log10 |moment| with the -Inf -> 0, +Inf -> 120 guards */
  readonly value: number;
}

/**
 * v_j of kernel j (0-based) over the non-background pixels `foreground`:
 * 1. r_y = K_j * g along y, r_x along x (65 taps, MATLAB imfilter 'symmetric' 'conv');
 * 2. pixels in `foreground` with r_y > 0 and r_x > 0 (M);
 * 3. MATLAB histcounts of the 2M responses in 50 bins (its "nice" edges); k* as FQPath;
 *    sigma = edge(k*) / edge(51); c = (1 - tanh(60 (sigma - 0.095))) / 4 + 0.09;
 * 4. -log10 |central moment of order p_j| of the round(c M) largest (sqrt r_y + sqrt r_x)^2.
 */
export function hvsKernelTrace(g: Plane, foreground: Uint8Array, j: 0 | 1): HvsKernelTrace {
  const [ry, rx] = runFilterChains(g, chainsOf(j)) as [Float64Array, Float64Array];
  return hvsKernelFromResponses(ry, rx, foreground, j);
}

/** The two filter chains of kernel j: along y (r_y), along x (r_x). */
function chainsOf(j: 0 | 1): FilterChain[] {
  return [[{ axis: 'y', taps: KERNELS[j] }], [{ axis: 'x', taps: KERNELS[j] }]];
}

/** Steps 2-4 from the responses of kernel j (overwritten). */
function hvsKernelFromResponses(ry: Float64Array, rx: Float64Array, foreground: Uint8Array, j: 0 | 1): HvsKernelTrace {
  const { a, b, count, maxA, maxB, min } = positivePairs(ry, rx, foreground, ry, rx);
  const range = count > 0 ? { min, max: Math.max(maxA, maxB) } : undefined;
  const hist = matlabHistcounts([a.subarray(0, count), b.subarray(0, count)], 50, range);
  const kStar = kStarSpread(hist.counts);
  const sigma = sigmaAt(hist.positions, kStar);
  const c = keptFractionFqpath(sigma);
  const { keep, moment } = keptMoment(a, b, count, c, ORDERS[j], maxA, maxB);
  const e = hist.positions;
  return { M: count, edgesFirst: e[0]!, edgesLast: e[e.length - 1]!, binWidth: e[1]! - e[0]!, kStar, sigma, c, keep, moment, value: negLog10Abs(moment) };
}

/** The non-background mask (g > 0.05) and how many pixels it keeps. */
export function hvsForeground(g: Plane): { mask: Uint8Array; count: number } {
  const mask = scratchU8('hvs.foreground', g.data.length);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = g.data[i]! > BACKGROUND ? 1 : 0;
    mask[i] = v;
    count += v;
  }
  return { mask, count };
}

/** HVS-MaxPol with 1 or 2 kernels, higher = blurrier; 0 when every pixel is background (as the original). */
export function hvsMaxpolScore(g: Plane, kernels: 1 | 2): number {
  const { mask, count } = hvsForeground(g);
  if (count === 0) return 0;
  if (kernels === 1) return hvsKernelTrace(g, mask, 0).value;
  // both kernels' responses in one pass of the filter backend (the plane is copied in once)
  const [ry1, rx1, ry2, rx2] = runFilterChains(g, [...chainsOf(0), ...chainsOf(1)]) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const v1 = hvsKernelFromResponses(ry1, rx1, mask, 0).value;
  const v2 = hvsKernelFromResponses(ry2, rx2, mask, 1).value;
  return WEIGHTS_2[0] * v1 + WEIGHTS_2[1] * v2;
}

const REFERENCE = 'Hosseini, Zhang, Plataniotis, IEEE TIP 2019 (original: mahdihosseini/HVS-MaxPol, GPL-3.0; focuslite: own implementation, MaxPol kernels as attributed data; sign negated)';

export const hvsMaxpol1 = planeMeasure({
  name: 'hvs-maxpol-1',
  label: 'HVS-MaxPol-1',
  reference: REFERENCE,
  toPlane: matlabGray,
  scorePlane: (g) => hvsMaxpolScore(g, 1),
});

export const hvsMaxpol2 = planeMeasure({
  name: 'hvs-maxpol-2',
  label: 'HVS-MaxPol-2',
  reference: REFERENCE,
  toPlane: matlabGray,
  scorePlane: (g) => hvsMaxpolScore(g, 2),
});
