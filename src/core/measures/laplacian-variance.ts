/**
 * Variance of the Laplacian (Pech-Pacheco et al., ICPR 2000; "LAPV" in Pertuz et al., Pattern
 * Recognition 46(5), 2013), with HistoQC's building blocks.
 *
 * What HistoQC itself does (choosehappy/HistoQC, histoqc/BlurDetectionModule.py,
 * identifyBlurryRegions): on the 2.5x thumbnail, gray = skimage `rgb2gray` (0.2125 R + 0.7154 G +
 * 0.0721 B on RGB / 255), |skimage.filters.laplace(gray)| (the 4-neighbour kernel
 * [0 -1 0; -1 4 -1; 0 -1 0], scipy 'reflect' borders), smoothed by a Gaussian of sigma
 * `blur_radius` (7) and thresholded at `blur_threshold` (0.1): pixels at or below it form the
 * "blurry" mask. It computes no variance and no per-image score.
 *
 * What focuslite computes: the same gray and the same Laplacian (borders extended symmetrically,
 * edge sample repeated, which is scipy's 'reflect'), then the population variance (1/N) sum
 * (L - mean L)^2 over all pixels: the "variance of Laplacian" labs use (OpenCV's
 * `cv2.Laplacian(gray, CV_64F).var()` is the same statistic on 0..255 gray with OpenCV's default
 * border, i.e. 255^2 times this up to the border pixels). Sign: sharper images have a larger
 * variance, so the score is its negation (higher = blurrier).
 */
import { skimageGray, type Plane } from './gray.js';
import { padSymmetric } from './imfilter.js';
import { planeMeasure } from './plane-measure.js';
import { scratchF64 } from './scratch.js';

/** The 4-neighbour Laplacian 4 c - n - s - e - w of the plane (symmetric borders), into `out` when given. */
export function laplacian4(g: Plane, out?: Float64Array): Float64Array {
  const { width: w, height: h } = g;
  const p = padSymmetric(g, 1, scratchF64('cheap.padded', (w + 2) * (h + 2))).data;
  const pw = w + 2;
  const lap = out ?? new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    let c = (y + 1) * pw + 1;
    const o = y * w;
    for (let x = 0; x < w; x++, c++) lap[o + x] = 4 * p[c]! - p[c - pw]! - p[c - 1]! - p[c + 1]! - p[c + pw]!;
  }
  return lap;
}

/**
 * Variance of the 4-neighbour Laplacian (not negated), in one pass: E[L^2] - E[L]^2 from row sums.
 * That form loses digits when the mean is large against the spread, but with symmetric borders the
 * Laplacian sums to exactly 0 over the image (each neighbour difference appears once with each
 * sign), so E[L] is rounding noise and nothing cancels; a test checks it against the two-pass
 * central moment.
 */
export function laplacianVariance(g: Plane): number {
  const { width: w, height: h } = g;
  const p = padSymmetric(g, 1, scratchF64('cheap.padded', (w + 2) * (h + 2))).data;
  const pw = w + 2;
  let sum = 0, squares = 0;
  for (let y = 0; y < h; y++) {
    let c = (y + 1) * pw + 1;
    let rowSum = 0, rowSquares = 0;
    for (let x = 0; x < w; x++, c++) {
      const l = 4 * p[c]! - p[c - pw]! - p[c - 1]! - p[c + 1]! - p[c + pw]!;
      rowSum += l;
      rowSquares += l * l;
    }
    sum += rowSum;
    squares += rowSquares;
  }
  const n = w * h;
  const mean = sum / n;
  return Math.max(0, squares / n - mean * mean);
}

export const laplacianVarianceMeasure = planeMeasure({
  name: 'laplacian-variance',
  label: 'Variance of Laplacian',
  reference: "Pech-Pacheco et al., ICPR 2000, with HistoQC's gray and Laplacian (skimage rgb2gray, 4-neighbour laplace); negated",
  toPlane: skimageGray,
  scorePlane: (g) => 0 - laplacianVariance(g), // 0 - x: a flat image scores +0, not -0
});
