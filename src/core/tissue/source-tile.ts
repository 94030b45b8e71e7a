/**
 * Whether an in-focus source tile is usable for synthetic training data: enough stained tissue,
 * and in-focus detail (not glass, not a pen mark or smudge). The tile-level sibling of the slide
 * tissue detector in ./detect.ts. Pure TS.
 */
import type { RgbImage } from '../image.js';

/** Thresholds of the background / no-detail test (see assessTissue). */
export const TISSUE_RULES = Object.freeze({
  /** a tissue pixel: HSV saturation above this ... */
  minSaturation: 0.07,
  /** ... and mean optical density (natural log, over R,G,B) above this (not near-white) */
  minOpticalDensity: 0.15,
  /** a detail pixel: a tissue pixel whose |4-neighbour Laplacian| of grey exceeds this (8-bit units) */
  minLaplacian: 8,
  /** skip when fewer than this fraction of pixels are tissue */
  minTissueFraction: 0.1,
  /** skip when fewer than this fraction of pixels are detail (pen marks / smudges score ~0.001) */
  minDetailFraction: 0.02,
});

export interface TissueAssessment {
  /** fraction of pixels that look like stained tissue */
  tissueFraction: number;
  /** fraction of pixels that are tissue with sharp local structure */
  detailFraction: number;
}

/**
 * How much of an image is stained tissue with in-focus detail. Saturation alone also accepts pen
 * marks and faint tinted background, so tissue also needs some optical density, and a usable
 * in-focus source needs sharp structure (a strong Laplacian), which smooth pen ink lacks.
 */
export function assessTissue(img: RgbImage): TissueAssessment {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const tissue = new Uint8Array(n);
  const grey = new Float32Array(n);
  const odScale = -1 / 3;
  let tissueCount = 0;
  for (let i = 0; i < n; i++) {
    const r = data[i * 3]!, g = data[i * 3 + 1]!, b = data[i * 3 + 2]!;
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    grey[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    if (mx === 0 || (mx - mn) / mx <= TISSUE_RULES.minSaturation) continue;
    const od = odScale * (Math.log((r + 1) / 256) + Math.log((g + 1) / 256) + Math.log((b + 1) / 256));
    if (od > TISSUE_RULES.minOpticalDensity) {
      tissue[i] = 1;
      tissueCount++;
    }
  }
  let detail = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (!tissue[i]) continue;
      const lap = 4 * grey[i]! - grey[i - 1]! - grey[i + 1]! - grey[i - w]! - grey[i + w]!;
      if (Math.abs(lap) > TISSUE_RULES.minLaplacian) detail++;
    }
  }
  return { tissueFraction: tissueCount / n, detailFraction: detail / n };
}

/** Why a tile cannot be a source, or null when it can. */
export function rejectReason(a: TissueAssessment): string | null {
  const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
  if (a.tissueFraction < TISSUE_RULES.minTissueFraction) {
    return `background: ${pct(a.tissueFraction)} tissue pixels (< ${pct(TISSUE_RULES.minTissueFraction)})`;
  }
  if (a.detailFraction < TISSUE_RULES.minDetailFraction) {
    return `no in-focus detail (pen mark or smudge?): ${pct(a.detailFraction)} detail pixels (< ${pct(TISSUE_RULES.minDetailFraction)})`;
  }
  return null;
}
