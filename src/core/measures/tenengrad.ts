/**
 * Tenengrad (Krotkov, "Focusing", IJCV 1(3), 1987; "TENG" in Pertuz et al., Pattern Recognition
 * 46(5), 2013): the mean over all pixels of the squared Sobel gradient magnitude Gx^2 + Gy^2, with
 * Gx = [-1 0 1; -2 0 2; -1 0 1] (and its transpose for Gy) on g = MATLAB gray / 255, borders
 * extended symmetrically (for a 3x3 kernel the same as replicating the edge). No threshold (Krotkov's
 * optional T = 0, as Pertuz's toolbox). Sign: sharper images have larger gradients, so the score
 * is the negated mean (higher = blurrier).
 */
import { matlabGray, type Plane } from './gray.js';
import { padSymmetric } from './imfilter.js';
import { planeMeasure } from './plane-measure.js';
import { scratchF64 } from './scratch.js';

/** Mean of Gx^2 + Gy^2 (Sobel, symmetric borders), not negated. */
export function tenengrad(g: Plane): number {
  const { width: w, height: h } = g;
  const p = padSymmetric(g, 1, scratchF64('cheap.padded', (w + 2) * (h + 2))).data;
  const pw = w + 2;
  // Row sums added up at the end: rounding error grows with the row length, not the pixel count.
  let total = 0;
  for (let y = 0; y < h; y++) {
    let c = (y + 1) * pw + 1;
    let row = 0;
    for (let x = 0; x < w; x++, c++) {
      const nw = p[c - pw - 1]!, n = p[c - pw]!, ne = p[c - pw + 1]!;
      const west = p[c - 1]!, east = p[c + 1]!;
      const sw = p[c + pw - 1]!, s = p[c + pw]!, se = p[c + pw + 1]!;
      const gx = ne + 2 * east + se - (nw + 2 * west + sw);
      const gy = sw + 2 * s + se - (nw + 2 * n + ne);
      row += gx * gx + gy * gy;
    }
    total += row;
  }
  return total / (w * h);
}

export const tenengradMeasure = planeMeasure({
  name: 'tenengrad',
  label: 'Tenengrad',
  reference: 'Krotkov, IJCV 1987 (Sobel gradient energy, no threshold); negated',
  toPlane: matlabGray,
  scorePlane: (g) => 0 - tenengrad(g),
});
