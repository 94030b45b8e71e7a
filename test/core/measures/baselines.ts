/**
 * The reference outputs of the original measures' code (../shared/reference/baselines/
 * reference-scores.json, run under Octave) and their 34 images, loaded once for the parity tests.
 */
import { readFileSync } from 'node:fs';
import type { RgbImage } from '../../../src/core/image.js';
import { decodeImage } from '../../../src/io/decode.js';
import { sharedPath } from '../../helpers.js';

export interface RefImage {
  id: string;
  path: string;
  source: string;
  gaussian_blur_sigma: number;
  width: number;
  height: number;
  rgb_sha256: string;
  gray_uint8_sha256: string;
  /** per method: the score; time_s for the MATLAB measures; mean/std/score_per_seed for GPC */
  scores: Record<string, { score: number; time_s?: number; mean?: number; std?: number; score_per_seed?: number[] }>;
}

/** Relative error of got against want. */
export const rel = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

let cache: { refs: RefImage[]; images: Map<string, RgbImage> } | null = null;

/** The reference records and their decoded images (by id). */
export async function loadBaselines(): Promise<{ refs: RefImage[]; images: Map<string, RgbImage> }> {
  if (!cache) {
    const refs = (JSON.parse(readFileSync(sharedPath('reference', 'baselines', 'reference-scores.json'), 'utf8')) as { images: RefImage[] }).images;
    const images = new Map<string, RgbImage>();
    for (const r of refs) images.set(r.id, await decodeImage(sharedPath(r.path)));
    cache = { refs, images };
  }
  return cache;
}
