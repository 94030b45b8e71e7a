/**
 * Brenner's gradient (Brenner et al., "An automated microscope for cytologic research",
 * J. Histochem. Cytochem. 24(1), 1976; "BREN" in Pertuz et al. 2013): squared differences of
 * pixels two apart. focuslite takes both directions: the mean over all horizontal pairs of
 * (g(y, x+2) - g(y, x))^2 plus the mean over all vertical pairs of (g(y+2, x) - g(y, x))^2, on
 * g = MATLAB gray / 255, no border extension and no threshold. (Brenner's original sums one
 * direction; Pertuz's toolbox takes the larger signed difference of the two per pixel.) Means,
 * not sums, so crops of any size compare. Sign: sharper images have larger differences, so the
 * score is the negation (higher = blurrier). Needs at least 3 x 3 pixels.
 */
import { matlabGray, type Plane } from './gray.js';
import { planeMeasure } from './plane-measure.js';

/** mean horizontal + mean vertical squared distance-2 difference, not negated. */
export function brenner(g: Plane): number {
  const { width: w, height: h, data: d } = g;
  if (w < 3 || h < 3) throw new Error(`Brenner's gradient needs at least 3x3 pixels but the image is ${w}x${h}`);
  let horizontal = 0, vertical = 0;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let row = 0;
    for (let x = 0; x + 2 < w; x++) {
      const dx = d[o + x + 2]! - d[o + x]!;
      row += dx * dx;
    }
    horizontal += row;
    if (y + 2 < h) {
      let col = 0;
      for (let x = 0; x < w; x++) {
        const dy = d[o + 2 * w + x]! - d[o + x]!;
        col += dy * dy;
      }
      vertical += col;
    }
  }
  return horizontal / ((w - 2) * h) + vertical / (w * (h - 2));
}

export const brennerMeasure = planeMeasure({
  name: 'brenner',
  label: 'Brenner',
  reference: 'Brenner et al., J. Histochem. Cytochem. 1976 (both directions, mean); negated',
  toPlane: matlabGray,
  scorePlane: (g) => 0 - brenner(g),
});
