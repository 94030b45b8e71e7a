/**
 * Registers focuslite's classic (knowledge-based) focus measures of the MaxPol family and the cheap
 * measures labs use, on import:
 *   fqpath, hvs-maxpol-1, hvs-maxpol-2, synthetic-maxpol, laplacian-variance, tenengrad, brenner.
 * Every one reports higher = blurrier (sharpness indices are negated; each file states its sign)
 * and scores the whole image (`scoreImage`, as the papers ran them) or a crop grid (`scoreCrops`:
 * each crop scored on its own, the gray conversion shared). Other measures register in their own
 * files (./register-indices.ts: MLV, S index, GPC, LPC-SI).
 */
import { brennerMeasure } from './brenner.js';
import { fqpath } from './fqpath.js';
import { hvsMaxpol1, hvsMaxpol2 } from './hvs-maxpol.js';
import { laplacianVarianceMeasure } from './laplacian-variance.js';
import { registerMeasure } from './registry.js';
import { syntheticMaxpol } from './synthetic-maxpol.js';
import { tenengradMeasure } from './tenengrad.js';
import type { FocusMeasure } from './types.js';

export const MAXPOL_MEASURES: readonly FocusMeasure[] = [fqpath, hvsMaxpol1, hvsMaxpol2, syntheticMaxpol];
export const CHEAP_MEASURES: readonly FocusMeasure[] = [laplacianVarianceMeasure, tenengradMeasure, brennerMeasure];

for (const m of [...MAXPOL_MEASURES, ...CHEAP_MEASURES]) registerMeasure(m);
