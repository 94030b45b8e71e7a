/**
 * Registers the sharpness indices of the paper's Table 1 that are not of the MaxPol family, on
 * import: mlv (maximum local variation), s-index and gpc (Fourier phase coherence), lpc-si
 * (local phase coherence). Each is a
 * sharpness index in the original (higher = sharper) and is registered negated (higher =
 * blurrier), scoring the whole image as the papers did or each crop of a grid on its own.
 */
import { setFft2Accelerator } from '../fft.js';
import { createWasmFft2 } from './fft-wasm.js';
import { lpcSiMeasure } from './lpc-si.js';
import { mlvMeasure } from './mlv.js';
import { gpcMeasure, sIndexMeasure } from './phase-coherence.js';
import { registerMeasure } from './registry.js';
import type { FocusMeasure } from './types.js';

export const INDEX_MEASURES: readonly FocusMeasure[] = [mlvMeasure, sIndexMeasure, gpcMeasure, lpcSiMeasure];

// The WebAssembly SIMD FFT for power-of-two planes where the engine has SIMD; else the TypeScript loops.
try {
  setFft2Accelerator(createWasmFft2());
} catch {
  setFft2Accelerator(null);
}

for (const m of INDEX_MEASURES) registerMeasure(m);
