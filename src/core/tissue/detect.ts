/**
 * Tissue detection on a slide thumbnail (pure TS, no I/O).
 *
 * Pipeline, per thumbnail pixel:
 *  1. Pen marks and black ink, by hysteresis as in Canny edges. Strict colour rules give seeds
 *     (saturated red at hues eosin does not reach, any green/teal, saturated pure blue,
 *     near-black), kept only where they form blobs of some size (isolated specks are stain).
 *     Seeds grow through connected ink-like pixels without limit (darker or less saturated ink,
 *     overlapping strokes), then, from coloured ink only, through any non-glass pixel up to a
 *     bounded distance: the blurred rim of a stroke drawn on the coverslip. A 1-px margin ends it.
 *     No stain is green, and eosin stays less saturated than red ink, so the seeds are safe on
 *     tissue; the loose rules only ever extend a stroke that is certainly there.
 *  2. Tissue candidates: HSV saturation at or above a threshold, some absorbance (not glass
 *     white), a stain-compatible hue (not yellow/green: labels, debris) and not pen. The
 *     threshold is Otsu's on the saturation histogram, clamped to a plausible range. A blank
 *     slide has a unimodal histogram (glass only), and Otsu would split its noise in two: when
 *     the two Otsu classes are not separated by at least `minSeparation`, the histogram is
 *     treated as one population and the threshold is the strict end of the range if that
 *     population looks like glass (median saturation below the range), the lenient end if it
 *     looks like tissue (a thumbnail that is all tissue).
 *  3. Cleanup: binary closing (bridges 1-px gaps of the thumbnail), removal of small objects
 *     (dust, debris) and filling of small holes (lumens, fat vacuoles inside tissue); pen pixels
 *     are removed again afterwards so that filling never re-admits ink drawn over tissue.
 *  4. Two masks come out: the regions (step 3, holes filled) and the tissue pixels (the regions
 *     AND the closed pixel test of step 2, so lumens, tears and vacuoles are glass again). Tissue
 *     fractions of crops are measured on the tissue pixels.
 *
 * A slide label that lies inside the thumbnail is rejected by the same colour rules (white paper
 * is unsaturated, print and barcodes are dark, coloured labels are usually yellow/green/blue);
 * there is no geometric label detector.
 */
import type { RgbImage } from '../image.js';
import { finiteNumber, integer, nonNegativeNumber, positiveNumber } from '../check.js';

export interface TissueOptions {
  /** level-0 pixels per thumbnail pixel (default 1) */
  downsample?: number;
  /** micrometres per level-0 pixel; when unknown, 0.5 (20x) is assumed for the area limits */
  mpp?: number;
  /** objects smaller than this (level-0 µm²) are removed; default 20,000 (0.02 mm², about 1.5 crops of 235 px at 0.5 µm/px) */
  minObjectUm2?: number;
  /** holes smaller than this (level-0 µm²) are filled; 0 disables filling; default 20,000 */
  maxHoleUm2?: number;
  /**
   * Caps both area limits at this fraction of the thumbnail area (default 0.01), so that on a
   * small image (a single tile) an object worth 1% of the picture is never removed as "small".
   */
  maxAreaFraction?: number;
  /**
   * clamp range for the saturation threshold, 0..1 (default [0.06, 0.10]): glass is below 0.05
   * even when tinted, pale stroma and fat membranes start around 0.08
   */
  saturationRange?: [number, number];
  /** minimum difference of the Otsu class means (saturation, 0..1) to trust the split (default 0.08) */
  minSeparation?: number;
  /** pixels whose darkest channel is above this are glass, whatever their saturation (default 235) */
  glassMinChannel?: number;
  /** detect and exclude pen marks and black ink (default true) */
  excludePen?: boolean;
  /** dilation of the pen mask, in thumbnail pixels (default 1) */
  penMargin?: number;
  /**
   * How far (level-0 µm) the pale, blurred rim of a coloured pen stroke may extend from the
   * saturated ink and still be called pen (default 100: ink lies on the coverslip, far above the
   * focal plane, so its rim is blurred over ~100 µm whatever the magnification; tissue under
   * that rim would read as out of focus).
   */
  penHaloUm?: number;
  /** coloured ink seeds must form blobs of at least this many level-0 µm², black seeds 4 times as many (default 400) */
  penSeedMinUm2?: number;
  /** closing radius in thumbnail pixels, 0 = none (default 1) */
  closeRadius?: number;
}

export type TissueMethod = 'otsu' | 'otsu-clamped-low' | 'otsu-clamped-high' | 'unimodal-glass' | 'unimodal-tissue'
  /** the inverted detector of tissue-fluorescence.ts (foreground = bright signal on black) */
  | 'fluorescence-threshold' | 'fluorescence-empty';

export interface TissueResult {
  /**
   * Tissue regions, width * height, 1 = tissue, 0 = background / pen: small objects removed and
   * small holes (lumens, tears, fat vacuoles) filled, so it outlines the pieces of tissue.
   */
  mask: Uint8Array;
  /**
   * The tissue pixels themselves: pixels of `mask` that pass the per-pixel tissue test (after the
   * closing, before holes are filled), so filled holes and tears are glass again. Tissue
   * fractions, tissue areas and the colouring of maps use this one: a crop half over a tear is
   * half tissue, whatever the region around it.
   */
  pixelMask: Uint8Array;
  width: number;
  height: number;
  /** saturation threshold actually used, 0..1 */
  threshold: number;
  /** threshold Otsu proposed before clamping, 0..1 */
  otsuThreshold: number;
  /** difference of the two Otsu class means, 0..1 */
  separation: number;
  method: TissueMethod;
  /** fraction of the thumbnail inside `mask` */
  tissueFraction: number;
  /** fraction of the thumbnail inside `pixelMask` */
  pixelTissueFraction: number;
  /** fraction of the thumbnail flagged as pen / ink (before the margin) */
  penFraction: number;
  /** 1 = pen or ink (with margin), same geometry as mask; all zeros when excludePen is false */
  penMask: Uint8Array;
}

const DEFAULTS = {
  downsample: 1,
  mpp: 0.5,
  minObjectUm2: 20_000,
  maxHoleUm2: 20_000,
  maxAreaFraction: 0.01,
  saturationRange: [0.06, 0.1] as [number, number],
  minSeparation: 0.08,
  glassMinChannel: 235,
  excludePen: true,
  penMargin: 1,
  penHaloUm: 100,
  penSeedMinUm2: 400,
  closeRadius: 1,
};

/** A finite number in [lo, hi] (an integer when asked); hi = Infinity: any finite number from lo. */
function checkNumber(name: string, v: number, lo: number, hi: number, asInteger = false): void {
  if (asInteger) integer(name, v, lo, hi);
  else if (hi === Infinity && lo === 0) nonNegativeNumber(name, v);
  else finiteNumber(name, v, lo, hi);
}

function resolveOptions(opts: TissueOptions): typeof DEFAULTS {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS;
  positiveNumber('downsample', o.downsample);
  positiveNumber('mpp', o.mpp);
  checkNumber('minObjectUm2', o.minObjectUm2, 0, Infinity);
  checkNumber('maxHoleUm2', o.maxHoleUm2, 0, Infinity);
  checkNumber('maxAreaFraction', o.maxAreaFraction, 0, 1);
  checkNumber('minSeparation', o.minSeparation, 0, 1);
  checkNumber('glassMinChannel', o.glassMinChannel, 0, 255);
  checkNumber('penMargin', o.penMargin, 0, 64, true);
  checkNumber('penHaloUm', o.penHaloUm, 0, Infinity);
  checkNumber('penSeedMinUm2', o.penSeedMinUm2, 0, Infinity);
  checkNumber('closeRadius', o.closeRadius, 0, 64, true);
  const r = o.saturationRange;
  if (!Array.isArray(r) || r.length !== 2) throw new Error(`Expected [low, high] for saturationRange but received ${String(r)}`);
  checkNumber('saturationRange[0]', r[0], 0, 1);
  checkNumber('saturationRange[1]', r[1], r[0], 1);
  return o;
}

/** Hue in degrees [0, 360) of an RGB triple with max > min (caller checks). */
function hueDeg(r: number, g: number, b: number, mx: number, d: number): number {
  let h: number;
  if (mx === r) h = (g - b) / d;
  else if (mx === g) h = (b - r) / d + 2;
  else h = (r - g) / d + 4;
  h *= 60;
  return h < 0 ? h + 360 : h;
}

/** Ink colour families (bits 2..4 of a pen code, 0 for halo); the low two bits hold the PEN_* level. */
export const INK_DARK = 1, INK_RED = 2, INK_GREEN = 3, INK_BLUE = 4;
/** certainly ink */
export const PEN_SEED = 3;
/** ink if connected to a seed, at any distance */
export const PEN_STRONG = 2;
/** pale rim of a stroke, if close to it */
export const PEN_HALO = 1;

/**
 * Pen code of one pixel: family * 4 + level (0 = not ink). Levels are used by hysteresis:
 * seeds are unambiguous ink colours, strong pixels are ink-like and join a seed's region
 * whatever its extent, halo pixels are the pale, out-of-focus rim of a stroke (ink lies on top
 * of the coverslip) and join a stroke only within a bounded distance of it.
 */
export function penCode(r: number, g: number, b: number): number {
  const mx = Math.max(r, g, b);
  const mn = Math.min(r, g, b);
  // Black ink, marker overlaps, folds seen as solid black: nothing stained is this dark.
  if (mx < 60) return INK_DARK * 4 + PEN_SEED;
  const d = mx - mn;
  const s = d / mx;
  const h = d > 0 ? hueDeg(r, g, b, mx, d) : 0;
  const red = h >= 348 || h < 10;
  const green = h >= 75 && h < 195;
  const blue = h >= 200 && h < 232;
  // Red pen is hue 348-360 at saturation 0.6-0.9; eosin is mostly hue 315-348 below 0.6 (about
  // 0.1% of eosin pixels reach this box, as scattered specks that the seed-size rule drops).
  // Measured on the histolab pen tiles against nine H&E tiles.
  if (red && s >= 0.65 && mx >= 120) return INK_RED * 4 + PEN_SEED;
  // No stain is green or teal.
  if (green && s >= 0.2) return INK_GREEN * 4 + PEN_SEED;
  // IHC haematoxylin reaches hue 210-240 at low saturation and nuclei are blue-violet (240-260):
  // only a saturated, truly blue hue is ink.
  if (blue && s >= 0.5) return INK_BLUE * 4 + PEN_SEED;
  if (mx < 100) return INK_DARK * 4 + PEN_STRONG;
  if (red && s >= 0.55) return INK_RED * 4 + PEN_STRONG;
  if (h >= 60 && h < 200 && s >= 0.1) return INK_GREEN * 4 + PEN_STRONG;
  if (h >= 195 && h < 236 && s >= 0.35) return INK_BLUE * 4 + PEN_STRONG;
  // Halo: anything not glass. The blurred rim of a stroke takes the colour of whatever ink is
  // mixed there (dark purple where red and black overlap), so no colour rule can tell it from
  // stain; only the bounded distance to saturated ink limits it.
  return s >= 0.04 ? PEN_HALO : 0;
}

/** Per-pixel saturation (0..255) and flags, computed once. */
interface PixelFeatures {
  sat: Uint8Array;
  /** 1 when the pixel could be stained tissue (absorbs, stain-like hue) */
  stainable: Uint8Array;
  /** penCode per pixel */
  pen: Uint8Array;
}

function pixelFeatures(img: RgbImage, glassMinChannel: number): PixelFeatures {
  const n = img.width * img.height;
  const sat = new Uint8Array(n);
  const stainable = new Uint8Array(n);
  const pen = new Uint8Array(n);
  const px = img.data;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const r = px[o]!, g = px[o + 1]!, b = px[o + 2]!;
    const mx = Math.max(r, g, b);
    const mn = Math.min(r, g, b);
    const d = mx - mn;
    sat[i] = mx === 0 ? 0 : Math.round((255 * d) / mx);
    pen[i] = penCode(r, g, b);
    if (mn > glassMinChannel || d === 0) continue;
    const h = hueDeg(r, g, b, mx, d);
    // H&E is pink/purple (hue 255-360), IHC adds blue haematoxylin (200-250) and brown DAB
    // (0-50); yellow-green-cyan never comes from a stain.
    stainable[i] = h >= 55 && h < 190 ? 0 : 1;
  }
  return { sat, stainable, pen };
}

export interface OtsuResult {
  /** values >= threshold form the upper class (0..255 scale) */
  threshold: number;
  mean0: number;
  mean1: number;
  count: number;
}

/** Otsu's threshold on a 256-bin histogram; the upper class is `value >= threshold`. */
export function otsuThreshold(hist: ArrayLike<number>): OtsuResult {
  let total = 0, sumAll = 0;
  for (let v = 0; v < 256; v++) {
    total += hist[v]!;
    sumAll += v * hist[v]!;
  }
  if (total === 0) return { threshold: 0, mean0: 0, mean1: 0, count: 0 };
  let w0 = 0, sum0 = 0, best = -1, bestT = 0, bestM0 = 0, bestM1 = 0;
  for (let t = 1; t < 256; t++) {
    w0 += hist[t - 1]!;
    sum0 += (t - 1) * hist[t - 1]!;
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestT = t;
      bestM0 = m0;
      bestM1 = m1;
    }
  }
  if (best < 0) {
    const m = sumAll / total; // one value only
    return { threshold: Math.floor(m) + 1, mean0: m, mean1: m, count: total };
  }
  return { threshold: bestT, mean0: bestM0, mean1: bestM1, count: total };
}

/** Binary dilation with a (2r+1)^2 square; outside the image counts as 0. */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  return boxPass(boxPass(mask, w, h, r, true, 'h'), w, h, r, true, 'v');
}

/** Binary erosion with a (2r+1)^2 square; outside the image counts as 1 (no border erosion). */
export function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  return boxPass(boxPass(mask, w, h, r, false, 'h'), w, h, r, false, 'v');
}

/**
 * One separable pass of max (dilate) or min (erode) over a 1-D window of radius r: each output
 * is decided from a running prefix count of ones along the line (O(1) per pixel, any radius).
 */
function boxPass(src: Uint8Array, w: number, h: number, r: number, isMax: boolean, dir: 'h' | 'v'): Uint8Array {
  const out = new Uint8Array(src.length);
  const lines = dir === 'h' ? h : w;
  const len = dir === 'h' ? w : h;
  const step = dir === 'h' ? 1 : w;
  const prefix = new Int32Array(len + 1);
  for (let l = 0; l < lines; l++) {
    const base = dir === 'h' ? l * w : l;
    for (let i = 0, p = base; i < len; i++, p += step) prefix[i + 1] = prefix[i]! + src[p]!;
    for (let i = 0, p = base; i < len; i++, p += step) {
      const lo = i - r > 0 ? i - r : 0;
      const hi = i + r + 1 < len ? i + r + 1 : len;
      const ones = prefix[hi]! - prefix[lo]!;
      // Erosion treats outside the image as 1: only the in-image part of the window must be full.
      out[p] = isMax ? (ones > 0 ? 1 : 0) : (ones === hi - lo ? 1 : 0);
    }
  }
  return out;
}

function findRoot(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!; // path halving
    i = parent[i]!;
  }
  return i;
}

/**
 * Connected components of pixels equal to `value` (8- or 4-connected), by two-pass union-find.
 * Returns a label per pixel (0 = not `value`, 1..n otherwise), each label's area and whether it
 * touches the image border (index 0 unused).
 */
export function labelComponents(
  mask: Uint8Array, w: number, h: number, value: 0 | 1, connectivity: 4 | 8,
): { labels: Int32Array; areas: number[]; touchesBorder: boolean[] } {
  const n = w * h;
  const labels = new Int32Array(n);
  // Provisional labels: at most one per pixel; parent[] holds the union-find forest.
  let parent = new Int32Array(Math.min(n + 1, 1024));
  let next = 1;
  const isOn = (q: number) => (mask[q] ? 1 : 0) === value;
  const union = (a: number, b: number): number => {
    const ra = findRoot(parent, a), rb = findRoot(parent, b);
    if (ra === rb) return ra;
    if (ra < rb) {
      parent[rb] = ra;
      return ra;
    }
    parent[ra] = rb;
    return rb;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const p = row + x;
      if (!isOn(p)) continue;
      // Already-visited neighbours: W, and on the row above NW, N, NE (the diagonals only for 8).
      let l = 0;
      if (x > 0 && labels[p - 1]) l = labels[p - 1]!;
      if (y > 0) {
        const up = p - w;
        if (labels[up]) l = l ? union(l, labels[up]!) : labels[up]!;
        if (connectivity === 8) {
          if (x > 0 && labels[up - 1]) l = l ? union(l, labels[up - 1]!) : labels[up - 1]!;
          if (x < w - 1 && labels[up + 1]) l = l ? union(l, labels[up + 1]!) : labels[up + 1]!;
        }
      }
      if (!l) {
        if (next >= parent.length) {
          const grown = new Int32Array(Math.min(n + 1, parent.length * 2));
          grown.set(parent);
          parent = grown;
        }
        l = next++;
        parent[l] = l;
      }
      labels[p] = l;
    }
  }
  // Second pass: compact roots to 1..k, count areas, note border contact.
  const compact = new Int32Array(next);
  const areas: number[] = [0];
  const touchesBorder: boolean[] = [false];
  for (let l = 1; l < next; l++) {
    const r = findRoot(parent, l);
    if (r === l) {
      compact[l] = areas.length;
      areas.push(0);
      touchesBorder.push(false);
    }
  }
  for (let l = 1; l < next; l++) compact[l] = compact[findRoot(parent, l)]!;
  for (let y = 0; y < h; y++) {
    const border = y === 0 || y === h - 1;
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const l = labels[p]!;
      if (!l) continue;
      const c = compact[l]!;
      labels[p] = c;
      areas[c]!++;
      if (border || x === 0 || x === w - 1) touchesBorder[c] = true;
    }
  }
  return { labels, areas, touchesBorder };
}

/** Remove 8-connected objects with fewer than minArea pixels (in place). */
export function removeSmallObjects(mask: Uint8Array, w: number, h: number, minArea: number): void {
  if (minArea <= 1) return;
  const { labels, areas } = labelComponents(mask, w, h, 1, 8);
  for (let i = 0; i < mask.length; i++) if (mask[i] && areas[labels[i]!]! < minArea) mask[i] = 0;
}

/**
 * Remove tissue pieces holding fewer than minArea tissue pixels, where pieces are the
 * 8-connected components of tissue OR pen: tissue cut into fragments by an ink circle drawn over
 * it still counts as one piece (in place on mask).
 */
export function removeSmallTissue(mask: Uint8Array, pen: Uint8Array, w: number, h: number, minArea: number): void {
  if (minArea <= 1) return;
  const union = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) union[i] = mask[i] || pen[i] ? 1 : 0;
  const { labels, areas } = labelComponents(union, w, h, 1, 8);
  const tissueIn = new Float64Array(areas.length);
  for (let i = 0; i < mask.length; i++) if (mask[i]) tissueIn[labels[i]!]!++;
  for (let i = 0; i < mask.length; i++) if (mask[i] && tissueIn[labels[i]!]! < minArea) mask[i] = 0;
}

/** Fill 4-connected background holes (not touching the border) with fewer than maxArea pixels (in place). */
export function fillSmallHoles(mask: Uint8Array, w: number, h: number, maxArea: number): void {
  if (maxArea <= 0) return;
  const { labels, areas, touchesBorder } = labelComponents(mask, w, h, 0, 4);
  for (let i = 0; i < mask.length; i++) {
    const l = labels[i]!;
    if (l !== 0 && !touchesBorder[l] && areas[l]! < maxArea) mask[i] = 1;
  }
}

/** Calls visit(q) for each in-image 8-neighbour q of pixel p. */
function forNeighbours8(p: number, w: number, h: number, visit: (q: number) => void): void {
  const x = p % w, y = (p - x) / w;
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= h) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx;
      if ((dx === 0 && dy === 0) || xx < 0 || xx >= w) continue;
      visit(yy * w + xx);
    }
  }
}

function forNeighbours4(p: number, w: number, h: number, visit: (q: number) => void): void {
  const x = p % w;
  if (x > 0) visit(p - 1);
  if (x < w - 1) visit(p + 1);
  if (p >= w) visit(p - w);
  if (p < w * (h - 1)) visit(p + w);
}

/**
 * Pen mask by hysteresis on pen codes: seeds grown through connected strong pixels without
 * limit, then through halo pixels up to `haloSteps` steps away from that ink.
 */
function penMaskFrom(pen: Uint8Array, w: number, h: number, haloSteps: number, minSeedArea: number): Uint8Array {
  const out = new Uint8Array(w * h);
  // A stroke is a sizeable blob; isolated seed-coloured specks are stain (bright eosin, clumps of
  // dark nuclei) and must not start a flood. Black needs a larger blob: only solid ink or a thick
  // fold is that dark over tens of micrometres.
  const colourSeeds = new Uint8Array(w * h);
  const darkSeeds = new Uint8Array(w * h);
  for (let i = 0; i < pen.length; i++) {
    if ((pen[i]! & 3) !== PEN_SEED) continue;
    if (pen[i]! >> 2 === INK_DARK) darkSeeds[i] = 1;
    else colourSeeds[i] = 1;
  }
  removeSmallObjects(colourSeeds, w, h, minSeedArea);
  removeSmallObjects(darkSeeds, w, h, 4 * minSeedArea);
  const flood = (seeds: Uint8Array): number[] => {
    const stack: number[] = [];
    for (let i = 0; i < seeds.length; i++) {
      if (seeds[i] && !out[i]) {
        out[i] = 1;
        stack.push(i);
      }
    }
    const reached = stack.slice();
    while (stack.length > 0) {
      forNeighbours8(stack.pop()!, w, h, (q) => {
        if (out[q] === 0 && (pen[q]! & 3) >= PEN_STRONG) {
          out[q] = 1;
          stack.push(q);
          reached.push(q);
        }
      });
    }
    return reached;
  };
  // Coloured ink first: everything it reaches (dark overlaps included) grows a halo; regions
  // reached only from black seeds do not, so a fold or a dark clump never erodes the tissue
  // around it.
  const ink = flood(colourSeeds);
  flood(darkSeeds);
  // Halo: breadth-first rings from the ink into pale pixels, haloSteps rings at most; rings
  // alternate 8- and 4-neighbours so the grown band is octagonal rather than square.
  let frontier = ink;
  for (let step = 0; step < haloSteps && frontier.length > 0; step++) {
    const next: number[] = [];
    const visit = step % 2 === 0 ? forNeighbours8 : forNeighbours4;
    for (const p of frontier) {
      visit(p, w, h, (q) => {
        if (out[q] === 0 && (pen[q]! & 3) === PEN_HALO) {
          out[q] = 1;
          next.push(q);
        }
      });
    }
    frontier = next;
  }
  return out;
}

function median256(hist: ArrayLike<number>, count: number): number {
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc * 2 >= count) return v;
  }
  return 255;
}

/** Detect tissue on a thumbnail; see the file comment for the method. */
export function detectTissue(thumb: RgbImage, opts: TissueOptions = {}): TissueResult {
  const o = resolveOptions(opts);
  const { width: w, height: h } = thumb;
  const n = w * h;
  if (thumb.data.length !== n * 3) throw new Error(`Expected ${n * 3} bytes for a ${w}x${h} RGB image but received ${thumb.data.length}`);
  const f = pixelFeatures(thumb, o.glassMinChannel);

  let penMask: Uint8Array = new Uint8Array(n);
  let penCount = 0;
  if (o.excludePen) {
    const haloSteps = Math.min(Math.round(o.penHaloUm / (o.downsample * o.mpp)), Math.max(w, h));
    const minSeed = o.penSeedMinUm2 / (o.downsample * o.mpp) ** 2;
    const core = penMaskFrom(f.pen, w, h, haloSteps, minSeed);
    for (let i = 0; i < n; i++) penCount += core[i]!;
    penMask = dilate(core, w, h, o.penMargin);
  }

  // Saturation histogram of everything that is not ink: glass and tissue are the two classes.
  const hist = new Float64Array(256);
  let histCount = 0;
  for (let i = 0; i < n; i++) {
    if (penMask[i]) continue;
    hist[f.sat[i]!]!++;
    histCount++;
  }
  const [lo, hi] = o.saturationRange;
  const ot = otsuThreshold(hist);
  const otsu = ot.threshold / 255;
  const separation = (ot.mean1 - ot.mean0) / 255;
  let threshold: number;
  let method: TissueMethod;
  if (histCount === 0 || separation < o.minSeparation) {
    const med = histCount === 0 ? 0 : median256(hist, histCount) / 255;
    if (med >= lo) {
      threshold = lo;
      method = 'unimodal-tissue';
    } else {
      threshold = hi;
      method = 'unimodal-glass';
    }
  } else if (otsu < lo) {
    threshold = lo;
    method = 'otsu-clamped-low';
  } else if (otsu > hi) {
    threshold = hi;
    method = 'otsu-clamped-high';
  } else {
    threshold = otsu;
    method = 'otsu';
  }

  const satCut = Math.ceil(threshold * 255 - 1e-9);
  let mask: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = f.sat[i]! >= satCut && f.stainable[i] && !penMask[i] ? 1 : 0;

  if (o.closeRadius > 0) mask = erode(dilate(mask, w, h, o.closeRadius), w, h, o.closeRadius);
  // The pixel test before objects are cleaned up and holes filled: what each pixel itself shows.
  const looksLikeTissue = mask.slice();
  const umPerPx = o.downsample * o.mpp;
  const pxArea = umPerPx * umPerPx;
  const cap = o.maxAreaFraction * n;
  removeSmallTissue(mask, penMask, w, h, Math.min(o.minObjectUm2 / pxArea, cap));
  fillSmallHoles(mask, w, h, Math.min(o.maxHoleUm2 / pxArea, cap));
  let tissue = 0, pixelTissue = 0;
  const pixelMask = looksLikeTissue;
  for (let i = 0; i < n; i++) {
    if (penMask[i]) mask[i] = 0;
    tissue += mask[i]!;
    pixelMask[i] = mask[i]! & pixelMask[i]!;
    pixelTissue += pixelMask[i]!;
  }
  return {
    mask, pixelMask, width: w, height: h, threshold, otsuThreshold: otsu, separation, method,
    tissueFraction: tissue / n, pixelTissueFraction: pixelTissue / n, penFraction: penCount / n, penMask,
  };
}

/** Summed-area table of a 0/1 mask: (w+1) x (h+1), entry (x,y) = sum of mask over [0,x) x [0,y). */
export interface MaskIntegral {
  width: number;
  height: number;
  sums: Float64Array;
}

export function buildIntegral(mask: Uint8Array, w: number, h: number): MaskIntegral {
  if (mask.length !== w * h) throw new Error(`Expected a ${w}x${h} mask (${w * h} values) but received ${mask.length}`);
  const W = w + 1;
  const sums = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += mask[y * w + x]! ? 1 : 0;
      sums[(y + 1) * W + x + 1] = sums[y * W + x + 1]! + row;
    }
  }
  return { width: w, height: h, sums };
}

/**
 * Integral of the mask over [0,u) x [0,v) for real u, v (mask pixels are constant squares, so
 * the integral is bilinear inside each cell: exact, not an approximation).
 */
function integralAt(I: MaskIntegral, u: number, v: number): number {
  u = Math.min(Math.max(u, 0), I.width);
  v = Math.min(Math.max(v, 0), I.height);
  const W = I.width + 1;
  const x = Math.min(Math.floor(u), I.width - 1), y = Math.min(Math.floor(v), I.height - 1);
  const a = u - x, b = v - y;
  const s00 = I.sums[y * W + x]!, s10 = I.sums[y * W + x + 1]!;
  const s01 = I.sums[(y + 1) * W + x]!, s11 = I.sums[(y + 1) * W + x + 1]!;
  return s00 + a * (s10 - s00) + b * (s01 - s00) + a * b * (s11 - s10 - s01 + s00);
}

/**
 * Tissue fraction (0..1) of a level-0 rectangle, with `scale` level-0 pixels per mask pixel.
 * Partial mask pixels count by their covered area; parts of the rectangle outside the mask
 * count as no tissue (the fraction is always relative to the whole rectangle).
 */
export function fractionFromIntegral(I: MaskIntegral, scale: number, x: number, y: number, w: number, h: number): number {
  if (!(scale > 0)) throw new Error(`Expected positive number for scale but received ${scale}`);
  if (!(w > 0) || !(h > 0)) throw new Error(`Expected positive rectangle size but received ${w}x${h}`);
  const u0 = x / scale, v0 = y / scale, u1 = (x + w) / scale, v1 = (y + h) / scale;
  const s = integralAt(I, u1, v1) - integralAt(I, u0, v1) - integralAt(I, u1, v0) + integralAt(I, u0, v0);
  const frac = s / ((u1 - u0) * (v1 - v0));
  return Math.min(1, Math.max(0, frac));
}

const integralCache = new WeakMap<Uint8Array, MaskIntegral>();

/**
 * Tissue fraction of a level-0 rectangle, straight from the mask. The integral image is built on
 * first use and cached per mask array, so calling this once per tile stays O(1) per tile (do not
 * mutate the mask between calls).
 */
export function tissueFractionOfRect(
  mask: Uint8Array, maskW: number, maskH: number, scale: number, x: number, y: number, w: number, h: number,
): number {
  let I = integralCache.get(mask);
  if (!I || I.width !== maskW || I.height !== maskH) {
    I = buildIntegral(mask, maskW, maskH);
    integralCache.set(mask, I);
  }
  return fractionFromIntegral(I, scale, x, y, w, h);
}
