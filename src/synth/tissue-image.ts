/**
 * A procedural H&E-like image (pure TS) and a known left-to-right focus gradient over it.
 *
 * The image is not meant to fool a pathologist; it gives the focus model what real in-focus
 * tissue gives it: crisp, high-contrast detail at several scales in H&E colours. Layers:
 *   - pink eosin stroma whose shade drifts slowly, crossed by thin wavy collagen fibres;
 *   - white gaps (lumens, fat, tears) with hard edges;
 *   - purple-blue haematoxylin nuclei: ellipses of varied size and shape, clustered, with a
 *     darker rim and chromatin speckle, anti-aliased over one pixel (sharp, not jagged);
 *   - a little per-pixel grain.
 * Everything is drawn from one seed, so an image is reproducible bit for bit.
 */
import type { RgbImage } from '../core/image.js';
import { Mulberry32 } from '../core/random.js';
import { DEFAULT_DEFOCUS, MAX_DEFOCUS_LEVEL, defocusImage, defocusKernel, type DefocusParams } from './defocus.js';
import { finiteNumber, integer, oneOf } from '../core/check.js';

const MAX_SIDE = 16384;

function checkSide(name: string, v: number): void {
  integer(name, v, 1, MAX_SIDE);
}

/** Smooth value noise in [0, 1]: random values on a lattice of `cell` px, smoothstep-interpolated. */
function valueNoise(w: number, h: number, cell: number, rng: Mulberry32): Float32Array {
  const gw = Math.ceil(w / cell) + 2;
  const gh = Math.ceil(h / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform();
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = y / cell;
    const iy = Math.floor(gy);
    let ty = gy - iy;
    ty = ty * ty * (3 - 2 * ty);
    for (let x = 0; x < w; x++) {
      const gx = x / cell;
      const ix = Math.floor(gx);
      let tx = gx - ix;
      tx = tx * tx * (3 - 2 * tx);
      const a = grid[iy * gw + ix]!, b = grid[iy * gw + ix + 1]!;
      const c = grid[(iy + 1) * gw + ix]!, d = grid[(iy + 1) * gw + ix + 1]!;
      out[y * w + x] = (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
    }
  }
  return out;
}

/** Fractal sum of value noise (octaves halving the cell), normalised back to [0, 1]. */
function fbm(w: number, h: number, cell: number, octaves: number, rng: Mulberry32): Float32Array {
  const out = new Float32Array(w * h);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const layer = valueNoise(w, h, Math.max(1, cell / 2 ** o), rng);
    for (let i = 0; i < out.length; i++) out[i]! += amp * layer[i]!;
    total += amp;
    amp /= 2;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

/** Share of the image left as white gaps. */
const GAP_FRACTION = 0.12;

/** Approximate q-quantile of values in [0, 1] (1024-bin histogram). */
function quantile(values: Float32Array, q: number): number {
  const bins = new Uint32Array(1024);
  for (let i = 0; i < values.length; i++) bins[Math.min(1023, Math.max(0, Math.floor(values[i]! * 1024)))]!++;
  const want = q * values.length;
  let acc = 0;
  for (let b = 0; b < 1024; b++) {
    acc += bins[b]!;
    if (acc >= want) return (b + 1) / 1024;
  }
  return 1;
}

function smoothstep(e0: number, e1: number, v: number): number {
  const t = Math.max(0, Math.min(1, (v - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/**
 * A procedural H&E-like RGB image. Deterministic for (width, height, seed); roughly 10-15 % white
 * gaps, the rest stroma with nuclei.
 */
export function makeTissueLikeImage(width: number, height: number, seed: number): RgbImage {
  checkSide('width', width);
  checkSide('height', height);
  const rng = new Mulberry32(seed);
  const n = width * height;
  const rgb = new Float32Array(n * 3);

  // Stroma: slowly varying eosin shade crossed by thin wavy collagen fibres.
  const shade = fbm(width, height, 160, 3, rng);
  const fibre = drawFibres(width, height, rng);
  for (let i = 0; i < n; i++) {
    const s = shade[i]!;
    const f = Math.min(1, fibre[i]!);
    // eosin: light pink to deeper pink; fibres a darker magenta-pink
    const r0 = 236 - 18 * s, g0 = 176 - 50 * s, b0 = 206 - 26 * s;
    rgb[i * 3] = r0 + (190 - r0) * f;
    rgb[i * 3 + 1] = g0 + (88 - g0) * f;
    rgb[i * 3 + 2] = b0 + (150 - b0) * f;
  }

  // White gaps with hard (1 px) edges: threshold a mid-frequency field at its GAP_FRACTION
  // quantile, so every image has about the same share of gaps whatever the seed.
  const gapField = fbm(width, height, 110, 3, rng);
  const cut = quantile(gapField, 1 - GAP_FRACTION);
  const gap = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = smoothstep(cut - 0.005, cut + 0.005, gapField[i]!);
    if (a > 0.5) gap[i] = 1;
    if (a > 0) {
      rgb[i * 3] = rgb[i * 3]! + (244 - rgb[i * 3]!) * a;
      rgb[i * 3 + 1] = rgb[i * 3 + 1]! + (240 - rgb[i * 3 + 1]!) * a;
      rgb[i * 3 + 2] = rgb[i * 3 + 2]! + (246 - rgb[i * 3 + 2]!) * a;
    }
  }

  // Nuclei: clustered (acceptance follows a low-frequency density field), never in gaps.
  const cluster = fbm(width, height, 200, 2, rng);
  const attempts = Math.round(n / 240);
  for (let k = 0; k < attempts; k++) {
    const cx = rng.range(0, width);
    const cy = rng.range(0, height);
    const ci = Math.min(height - 1, Math.floor(cy)) * width + Math.min(width - 1, Math.floor(cx));
    // clustered but nowhere empty: acceptance 0.2 .. 1 following the density field
    if (gap[ci] || rng.uniform() > 0.2 + 0.8 * smoothstep(0.3, 0.7, cluster[ci]!)) continue;
    drawNucleus(rgb, gap, width, height, cx, cy, rng);
  }

  const out = new Uint8Array(n * 3);
  for (let i = 0; i < out.length; i++) {
    const v = rgb[i]! + rng.range(-3, 3);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { width, height, data: out };
}

/**
 * Collagen fibres: curves traced through a slowly turning direction field, each splatted
 * bilinearly at sub-pixel steps (1-2 px wide, anti-aliased: crisp lines without jaggies).
 * Fibres are seeded more densely where a low-frequency density field is high. Returns per-pixel
 * fibre strength (0 = none, >= 1 = full).
 */
function drawFibres(w: number, h: number, rng: Mulberry32): Float32Array {
  const flow = valueNoise(w, h, 192, rng);
  const density = fbm(w, h, 128, 2, rng);
  const baseAngle = rng.range(0, Math.PI);
  const out = new Float32Array(w * h);
  const count = Math.round((w * h) / 300);
  const splat = (x: number, y: number, v: number): void => {
    const ix = Math.floor(x), iy = Math.floor(y);
    const fx = x - ix, fy = y - iy;
    if (ix < 0 || iy < 0 || ix + 1 >= w || iy + 1 >= h) return;
    const i = iy * w + ix;
    out[i] = Math.max(out[i]!, v * (1 - fx) * (1 - fy));
    out[i + 1] = Math.max(out[i + 1]!, v * fx * (1 - fy));
    out[i + w] = Math.max(out[i + w]!, v * (1 - fx) * fy);
    out[i + w + 1] = Math.max(out[i + w + 1]!, v * fx * fy);
  };
  for (let k = 0; k < count; k++) {
    let x = rng.range(0, w), y = rng.range(0, h);
    const len = rng.range(20, 140);
    const strength = rng.range(0.8, 1.8);
    const wobble = rng.range(-0.3, 0.3);
    if (rng.uniform() > density[Math.floor(y) * w + Math.floor(x)]! ** 2) continue;
    for (let t = 0; t < len; t += 0.5) {
      const i = Math.min(h - 1, Math.max(0, Math.floor(y))) * w + Math.min(w - 1, Math.max(0, Math.floor(x)));
      const angle = baseAngle + 4 * flow[i]! + wobble;
      x += 0.5 * Math.cos(angle);
      y += 0.5 * Math.sin(angle);
      if (x < 0 || y < 0 || x >= w || y >= h) break;
      splat(x, y, strength);
    }
  }
  return out;
}

function drawNucleus(rgb: Float32Array, gap: Uint8Array, w: number, h: number, cx: number, cy: number, rng: Mulberry32): void {
  // sizes: mostly small lymphocyte-like, some large pleomorphic nuclei
  const big = rng.uniform() < 0.25;
  const a = big ? rng.range(7, 13) : rng.range(3, 7);
  const b = a * rng.range(0.5, 1);
  const theta = rng.range(0, Math.PI);
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const dark = rng.range(0, 1);
  const cr = 62 + 50 * dark, cg = 38 + 40 * dark, cb = 120 + 45 * dark;
  const reach = Math.ceil(a) + 1;
  const speckleSeed = rng.nextUint32();
  for (let y = Math.max(0, Math.floor(cy - reach)); y <= Math.min(h - 1, Math.ceil(cy + reach)); y++) {
    for (let x = Math.max(0, Math.floor(cx - reach)); x <= Math.min(w - 1, Math.ceil(cx + reach)); x++) {
      const dx = x - cx, dy = y - cy;
      const u = (dx * cos + dy * sin) / a;
      const v = (-dx * sin + dy * cos) / b;
      const d = Math.sqrt(u * u + v * v); // 1 on the boundary
      // coverage: linear ramp over about one pixel across the boundary (crisp but anti-aliased)
      const cover = Math.max(0, Math.min(1, (1 - d) * b + 0.5));
      if (cover === 0) continue;
      const i = y * w + x;
      if (gap[i]) continue;
      // chromatin speckle (hash of position) and a darker nuclear rim
      const hsh = Math.imul((x * 73856093) ^ (y * 19349663) ^ speckleSeed, 0x27d4eb2d) >>> 0;
      const speckle = 0.82 + 0.3 * (hsh / 4294967296);
      const rim = d > 0.78 ? 0.8 : 1;
      const f = speckle * rim;
      rgb[i * 3] = rgb[i * 3]! + (cr * f - rgb[i * 3]!) * cover;
      rgb[i * 3 + 1] = rgb[i * 3 + 1]! + (cg * f - rgb[i * 3 + 1]!) * cover;
      rgb[i * 3 + 2] = rgb[i * 3 + 2]! + (cb * f - rgb[i * 3 + 2]!) * cover;
    }
  }
}

export type FocusDirection = 'left-to-right' | 'right-to-left' | 'top-to-bottom' | 'bottom-to-top';
export const FOCUS_DIRECTIONS: readonly FocusDirection[] = ['left-to-right', 'right-to-left', 'top-to-bottom', 'bottom-to-top'];

/**
 * The defocus level that `applyFocusGradient` used at pixel (x, y): 0 at the starting edge rising
 * linearly to maxLevel at the far edge (per column for horizontal directions, per row otherwise).
 */
export function focusGradientLevel(x: number, y: number, width: number, height: number, maxLevel: number, direction: FocusDirection = 'left-to-right'): number {
  const horizontal = direction === 'left-to-right' || direction === 'right-to-left';
  const len = horizontal ? width : height;
  let pos = horizontal ? x : y;
  if (direction === 'right-to-left' || direction === 'bottom-to-top') pos = len - 1 - pos;
  return len <= 1 ? 0 : (maxLevel * pos) / (len - 1);
}

function transpose(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3, d = (x * h + y) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { width: h, height: w, data: out };
}

function columnStrip(img: RgbImage, x0: number, x1: number): RgbImage {
  const w = x1 - x0;
  const out = new Uint8Array(w * img.height * 3);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray((y * img.width + x0) * 3, (y * img.width + x1) * 3), y * w * 3);
  return { width: w, height: img.height, data: out };
}

/**
 * Blur with the defocus PSF at a level that rises smoothly across the image (see
 * `focusGradientLevel`), so the image carries a KNOWN focus gradient. Each column is a linear
 * blend of the image blurred at the two neighbouring integer levels (and maxLevel itself when it
 * is fractional); each level is only computed on the band of columns that needs it (plus the
 * kernel's reach, so band edges are exact), which costs about two full-image blurs in total.
 */
export function applyFocusGradient(
  img: RgbImage,
  maxLevel: number,
  direction: FocusDirection = 'left-to-right',
  params: DefocusParams = DEFAULT_DEFOCUS,
): RgbImage {
  finiteNumber('maxLevel', maxLevel, 0, MAX_DEFOCUS_LEVEL);
  oneOf('direction', direction, FOCUS_DIRECTIONS);
  if (direction === 'top-to-bottom' || direction === 'bottom-to-top') {
    const horizontal = direction === 'top-to-bottom' ? 'left-to-right' : 'right-to-left';
    return transpose(applyFocusGradient(transpose(img), maxLevel, horizontal, params));
  }
  const { width: w, height: h } = img;
  const levelAt = (x: number): number => focusGradientLevel(x, 0, w, h, maxLevel, direction);
  // interpolation nodes: 0, 1, ..., floor(maxLevel) [, maxLevel]
  const nodes: number[] = [];
  for (let l = 0; l <= Math.floor(maxLevel); l++) nodes.push(l);
  if (maxLevel > nodes[nodes.length - 1]!) nodes.push(maxLevel);

  const acc = new Float32Array(w * h * 3);
  for (let k = 0; k < nodes.length; k++) {
    const lo = k > 0 ? nodes[k - 1]! : nodes[k]!;
    const hi = k < nodes.length - 1 ? nodes[k + 1]! : nodes[k]!;
    // columns whose level lies in (lo, hi) get a non-zero share of this node
    const cols: number[] = [];
    for (let x = 0; x < w; x++) {
      const L = levelAt(x);
      if ((L > lo && L < hi) || L === nodes[k]) cols.push(x);
    }
    if (cols.length === 0) continue;
    const first = cols[0]!, last = cols[cols.length - 1]!;
    const reach = defocusKernel(nodes[k]!, params).half;
    const x0 = Math.max(0, first - reach), x1 = Math.min(w, last + 1 + reach);
    const blurred = defocusImage(columnStrip(img, x0, x1), nodes[k]!, params);
    const bw = x1 - x0;
    for (const x of cols) {
      const L = levelAt(x);
      const node = nodes[k]!;
      const weight = L === node ? 1 : L < node ? (L - lo) / (node - lo) : (hi - L) / (hi - node);
      for (let y = 0; y < h; y++) {
        const s = (y * bw + x - x0) * 3, d = (y * w + x) * 3;
        acc[d]! += weight * blurred.data[s]!;
        acc[d + 1]! += weight * blurred.data[s + 1]!;
        acc[d + 2]! += weight * blurred.data[s + 2]!;
      }
    }
  }
  const out = new Uint8Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(acc[i]!)));
  return { width: w, height: h, data: out };
}
