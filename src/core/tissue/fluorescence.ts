/**
 * Tissue detection on a fluorescence thumbnail (pure TS, no I/O): the brightfield detector
 * inverted. Foreground is bright signal on a black background, in whichever channel the dye
 * emits, so the signal is each pixel's brightest channel.
 *
 *  1. The signal is averaged over a window of about 20 µm: a nuclear stain lights the nuclei and
 *     leaves the cytoplasm and stroma between them nearly dark (DAPI dermis: 8-12 against a
 *     background of 2), and the window turns sparse nuclei plus that faint autofluorescence into
 *     the piece of tissue they belong to (a gap much wider than the window stays a gap).
 *  2. The background level is the 1st percentile of the averaged signal (slides show some
 *     background); tissue is what rises above it by max(6, 5% of the range to the 99th
 *     percentile). Otsu's split is not used: on a DAPI slide it separates dense nuclei
 *     (epidermis) from sparse ones and calls most of the dermis background (22% tissue against
 *     84%). A slide with no tissue has no range: when the 99th percentile is less than
 *     `minSignal` above the background, there is no tissue (method `fluorescence-empty`).
 *  3. Clean-up as for brightfield (tissue.ts): a closing, small objects removed, small holes
 *     filled; no pen detection (ink is not seen under fluorescence).
 *  4. The tissue pixels are the regions AND the thresholded signal before holes are filled, so
 *     holes and tears are background again, as in the brightfield masks.
 */
import type { RgbImage } from '../image.js';
import { dilate, erode, fillSmallHoles, removeSmallObjects, type TissueResult } from './detect.js';

export interface FluorescenceTissueOptions {
  /** level-0 pixels per thumbnail pixel (default 1) */
  downsample?: number;
  /** micrometres per level-0 pixel (default 0.5 when unknown) */
  mpp?: number;
  /** radius of the averaging window in level-0 µm (default 20), at most 16 thumbnail pixels */
  smoothUm?: number;
  /** objects smaller than this (µm²) are removed (default 20,000, as for brightfield) */
  minObjectUm2?: number;
  /** holes smaller than this (µm²) are filled (default 20,000) */
  maxHoleUm2?: number;
  /** caps both area limits at this fraction of the thumbnail (default 0.01) */
  maxAreaFraction?: number;
  /** tissue must rise at least this far above the background level, 0..255 (default 6) */
  minDelta?: number;
  /** the 99th percentile must be this far above the background for any tissue, 0..255 (default 20) */
  minSignal?: number;
}

/** Running-sum box mean of radius r along one axis (edges: the in-image part of the window). */
function boxMean(src: Float32Array, w: number, h: number, r: number, dir: 'h' | 'v'): Float32Array {
  const out = new Float32Array(src.length);
  const lines = dir === 'h' ? h : w, len = dir === 'h' ? w : h, step = dir === 'h' ? 1 : w;
  const prefix = new Float64Array(len + 1);
  for (let l = 0; l < lines; l++) {
    const base = dir === 'h' ? l * w : l;
    for (let i = 0, p = base; i < len; i++, p += step) prefix[i + 1] = prefix[i]! + src[p]!;
    for (let i = 0, p = base; i < len; i++, p += step) {
      const lo = Math.max(0, i - r), hi = Math.min(len, i + r + 1);
      out[p] = (prefix[hi]! - prefix[lo]!) / (hi - lo);
    }
  }
  return out;
}

/** Smallest value v (0..255) with at least p of the histogram at or below it. */
function percentile256(hist: Float64Array, count: number, p: number): number {
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= p * count && acc > 0) return v;
  }
  return 255;
}

export function detectTissueFluorescence(thumb: RgbImage, opts: FluorescenceTissueOptions = {}): TissueResult {
  const { width: w, height: h } = thumb;
  const n = w * h;
  if (thumb.data.length !== n * 3) throw new Error(`Expected ${n * 3} bytes for a ${w}x${h} RGB image but received ${thumb.data.length}`);
  const umPerPx = (opts.downsample ?? 1) * (opts.mpp ?? 0.5);
  if (!(umPerPx > 0) || !Number.isFinite(umPerPx)) throw new Error(`Expected positive downsample and mpp but received ${opts.downsample}, ${opts.mpp}`);
  const minDelta = opts.minDelta ?? 6, minSignal = opts.minSignal ?? 20;

  let signal: Float32Array = new Float32Array(n);
  const d = thumb.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) signal[i] = Math.max(d[o]!, d[o + 1]!, d[o + 2]!);
  const r = Math.min(16, Math.round((opts.smoothUm ?? 20) / umPerPx));
  if (r > 0) signal = boxMean(boxMean(signal, w, h, r, 'h'), w, h, r, 'v');

  const hist = new Float64Array(256);
  for (let i = 0; i < n; i++) hist[Math.min(255, Math.round(signal[i]!))]!++;
  const background = percentile256(hist, n, 0.01), top = percentile256(hist, n, 0.99);
  const empty = top - background < minSignal;
  const threshold = background + Math.max(minDelta, 0.05 * (top - background));
  let mask: Uint8Array = new Uint8Array(n);
  if (!empty) for (let i = 0; i < n; i++) mask[i] = signal[i]! >= threshold ? 1 : 0;
  mask = erode(dilate(mask, w, h, 1), w, h, 1);
  const looksLikeTissue = mask.slice();
  const cap = (opts.maxAreaFraction ?? 0.01) * n;
  const pxArea = umPerPx * umPerPx;
  removeSmallObjects(mask, w, h, Math.min((opts.minObjectUm2 ?? 20_000) / pxArea, cap));
  fillSmallHoles(mask, w, h, Math.min((opts.maxHoleUm2 ?? 20_000) / pxArea, cap));
  const pixelMask = looksLikeTissue;
  let tissue = 0, pixelTissue = 0;
  for (let i = 0; i < n; i++) {
    tissue += mask[i]!;
    pixelMask[i] = mask[i]! & pixelMask[i]!;
    pixelTissue += pixelMask[i]!;
  }
  return {
    mask, pixelMask, width: w, height: h,
    threshold: threshold / 255, otsuThreshold: threshold / 255, separation: (top - background) / 255,
    method: empty ? 'fluorescence-empty' : 'fluorescence-threshold',
    tissueFraction: tissue / n, pixelTissueFraction: pixelTissue / n, penFraction: 0, penMask: new Uint8Array(n),
  };
}
