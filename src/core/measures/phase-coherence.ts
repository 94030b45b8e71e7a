/**
 * The S index and the global phase coherence (GPC) of A. Leclaire and L. Moisan, "No-Reference
 * Image Quality Assessment and Blind Deblurring with Sharpness Metrics Exploiting Fourier Phase
 * Information", J. Math. Imaging Vision 52(1):145-172, 2015 (GPC first in G. Blanchet, L. Moisan,
 * B. Rouge, ICIP 2008), written from the paper and the reference set's description (pure TS).
 *
 * Both ask how unlikely the image's total variation (TV) is among images with the same Fourier
 * modulus and random phases: a sharp image, whose phases are coherent, has a much smaller TV than
 * its phase-randomised copies. Input u = MATLAB uint8 gray as 0..255 doubles (both are
 * scale-invariant). Preprocessing (Moisan's pmode 3), on the H x W image:
 *  1. periodic component: u minus the smooth image whose discrete Laplacian is u's boundary jumps
 *     (Moisan's periodic-plus-smooth decomposition), so the borders add no false edges;
 *  2. a half-pixel translation in Fourier (phase ramps exp(-i pi k / n) on the signed frequencies),
 *     which averages out the grid's own phase coherence;
 *  3. w = the real part of the result.
 * S index (deterministic): the TV of w as a z-score against the Gaussian approximation of the
 * random-phase TV (mean (sqrt(axx) + sqrt(ayy)) sqrt(2WH/pi) from the gradient energies, variance
 * from the spectrum), S = -log10 P(N(0,1) > t). GPC: the same tail of a z-score, but with the mean
 * and spread of the TV over 100 random-phase samples (Monte Carlo, seeded: src/core/random.ts).
 * Both are sharpness indices (higher = sharper); the measures report their negation.
 *
 * Cost: an FFT of u and of its boundary image together (one complex transform of u + i v), one
 * inverse transform for w; the spectrum of w is the Hermitian part of the translated spectrum, so
 * it needs no transform of its own. GPC adds one inverse transform per two samples (two Hermitian
 * spectra packed as A + iB invert to a + ib).
 */
import { integer } from '../check.js';
import { Rng } from '../random.js';
import { gaussianTailLog10 } from './erfc.js';
import { fft2 } from '../fft.js';
import { matlabGrayLevels, type Plane } from './gray.js';
import { planeMeasure } from './plane-measure.js';
import { scratchF64 } from './scratch.js';

/** Monte-Carlo samples of GPC (the original's default). */
export const GPC_SAMPLES = 100;
/** The seed of the registered `gpc` measure: every image is scored from a fresh stream of it. */
export const GPC_SEED = 1;

/** w (the preprocessed image) and its spectrum F = fft2(w), as split re/im planes. */
export interface Preprocessed {
  readonly width: number;
  readonly height: number;
  readonly w: Float64Array;
  readonly fr: Float64Array;
  readonly fi: Float64Array;
}

/** signed frequency of index k on a length-n axis, as the original's mod(floor(n/2) + k, n) - floor(n/2) */
function signedFrequency(k: number, n: number): number {
  const m = Math.floor(n / 2);
  return ((m + k) % n) - m;
}

/** Steps 1-3 of the preprocessing: periodic component, half-pixel translation, real part. */
export function preprocess(u: Plane): Preprocessed {
  const { width: W, height: H, data: ud } = u;
  const n = W * H;
  // z = u + i v, v = the boundary image (the four updates in the original's order).
  const zr = scratchF64('pc.zr', n), zi = scratchF64('pc.zi', n);
  zr.set(ud);
  zi.fill(0);
  for (let x = 0; x < W; x++) {
    const d = ud[x]! - ud[(H - 1) * W + x]!;
    zi[x] = d;
    zi[(H - 1) * W + x] = -d;
  }
  for (let y = 0; y < H; y++) {
    const o = y * W;
    zi[o] = zi[o]! + (ud[o]! - ud[o + W - 1]!);
    zi[o + W - 1] = zi[o + W - 1]! + (ud[o + W - 1]! - ud[o]!);
  }
  fft2(zr, zi, W, H);
  // U = Herm(Z), V = (Z - conj Z(-xi)) / 2i; P = (U - V 0.5 / (2 - cos(2 pi q / W) - cos(2 pi p / H)))
  // times the translation Ty(p) Tx(q), written over Z pair by pair ({xi, -xi} read before either is
  // written); then F = the spectrum of real(ifft2(P)) = Herm(P).
  const cosX = Float64Array.from({ length: W }, (_, q) => Math.cos((2 * Math.PI * q) / W));
  const cosY = Float64Array.from({ length: H }, (_, p) => Math.cos((2 * Math.PI * p) / H));
  const txr = Float64Array.from({ length: W }, (_, q) => Math.cos((-Math.PI / W) * signedFrequency(q, W)));
  const txi = Float64Array.from({ length: W }, (_, q) => Math.sin((-Math.PI / W) * signedFrequency(q, W)));
  const tyr = Float64Array.from({ length: H }, (_, p) => Math.cos((-Math.PI / H) * signedFrequency(p, H)));
  const tyi = Float64Array.from({ length: H }, (_, p) => Math.sin((-Math.PI / H) * signedFrequency(p, H)));
  const fr = scratchF64('pc.fr', n), fi = scratchF64('pc.fi', n);
  /** P at frequency (p, q) from Z there (ar, ai) and conj Z at the opposite frequency (br, bi) */
  const pAt = (p: number, q: number, ar: number, ai: number, br: number, bi: number, out: Float64Array): void => {
    const ur = 0.5 * (ar + br), ui = 0.5 * (ai + bi);
    // (a - b) / 2i = (ai - bi)/2 - i (ar - br)/2
    const vr = 0.5 * (ai - bi), vi = -0.5 * (ar - br);
    const k = 0.5 / (p === 0 && q === 0 ? 1 : 2 - cosX[q]! - cosY[p]!);
    const sr = ur - vr * k, si = ui - vi * k;
    const tr = tyr[p]! * txr[q]! - tyi[p]! * txi[q]!, ti = tyr[p]! * txi[q]! + tyi[p]! * txr[q]!;
    out[0] = sr * tr - si * ti;
    out[1] = sr * ti + si * tr;
  };
  const pi = new Float64Array(2), pj = new Float64Array(2);
  for (let p = 0; p < H; p++) {
    const mp = (H - p) % H;
    for (let q = 0; q < W; q++) {
      const mq = (W - q) % W;
      const i = p * W + q, j = mp * W + mq;
      if (j < i) continue;
      const zir = zr[i]!, zii = zi[i]!, zjr = zr[j]!, zji = zi[j]!;
      pAt(p, q, zir, zii, zjr, -zji, pi);
      pAt(mp, mq, zjr, zji, zir, -zii, pj);
      zr[i] = pi[0]!;
      zi[i] = pi[1]!;
      zr[j] = pj[0]!;
      zi[j] = pj[1]!;
      fr[i] = 0.5 * (pi[0]! + pj[0]!);
      fi[i] = 0.5 * (pi[1]! - pj[1]!);
      fr[j] = fr[i]!;
      fi[j] = -fi[i]!;
    }
  }
  fft2(zr, zi, W, H, true);
  return { width: W, height: H, w: zr, fr, fi };
}

/** Periodic total variation: sum |w(y, x+1) - w(y, x)| + |w(y+1, x) - w(y, x)|, wrapping around. */
export function periodicTv(w: Float64Array, width: number, height: number): number {
  let tv = 0;
  for (let y = 0; y < height; y++) {
    const o = y * width, below = ((y + 1) % height) * width;
    let row = 0;
    for (let x = 0; x < width - 1; x++) row += Math.abs(w[o + x + 1]! - w[o + x]!) + Math.abs(w[below + x]! - w[o + x]!);
    row += Math.abs(w[o]! - w[o + width - 1]!) + Math.abs(w[below + width - 1]! - w[o + width - 1]!);
    tv += row;
  }
  return tv;
}

/** The S index of a gray plane (0..255), not negated. */
export function sIndex(u: Plane): number {
  const { w, fr, fi, width: W, height: H } = preprocess(u);
  let tv = 0, axx = 0, ayy = 0;
  for (let y = 0; y < H; y++) {
    const o = y * W, below = ((y + 1) % H) * W;
    for (let x = 0; x < W; x++) {
      const gx = w[o + ((x + 1) % W)]! - w[o + x]!;
      const gy = w[below + x]! - w[o + x]!;
      tv += Math.abs(gx) + Math.abs(gy);
      axx += gx * gx;
      ayy += gy * gy;
    }
  }
  const sx = Float64Array.from({ length: W }, (_, q) => Math.sin((Math.PI * q) / W) ** 2);
  const sy = Float64Array.from({ length: H }, (_, p) => Math.sin((Math.PI * p) / H) ** 2);
  let sxx = 0, syy = 0, sxy = 0;
  for (let p = 0; p < H; p++) {
    for (let q = 0; q < W; q++) {
      const i = p * W + q;
      const e = 4 * (fr[i]! * fr[i]! + fi[i]! * fi[i]!);
      const fx = e * sx[q]!, fy = e * sy[p]!;
      sxx += fx * fx;
      syy += fy * fy;
      sxy += fx * fy;
    }
  }
  let v = 0;
  if (axx > 0) v += sxx / axx;
  if (ayy > 0) v += syy / ayy;
  if (axx > 0 && ayy > 0) v += (2 * sxy) / Math.sqrt(axx * ayy);
  v /= Math.PI * W * H;
  if (!(v > 0)) return 0;
  const t = ((Math.sqrt(axx) + Math.sqrt(ayy)) * Math.sqrt((2 * W * H) / Math.PI) - tv) / Math.sqrt(v);
  return gaussianTailLog10(t);
}

/** Phase quantisation of the random draws: 2^16 angles, cos/sin looked up (the trigonometry was half of GPC's time). */
const PHASE_BITS = 16;
const PHASES = 1 << PHASE_BITS;
const PHASE_COS = Float64Array.from({ length: PHASES }, (_, k) => Math.cos((2 * Math.PI * k) / PHASES));
const PHASE_SIN = Float64Array.from({ length: PHASES }, (_, k) => Math.sin((2 * Math.PI * k) / PHASES));

/**
 * Two random-phase copies of the spectrum (fr, fi), packed as A + iB into (ar, ai): each copy
 * multiplies F by e^{i phi} with phi Hermitian-symmetric, so that its inverse is real: phi(xi)
 * uniform over 2^16 angles of [0, 2 pi) for the first frequency of each pair {xi, -xi} in row-major
 * order and phi(-xi) = -phi(xi); phi in {0, pi} with probability 1/2 at the self-conjugate
 * frequencies. One uint32 draw per pair gives both copies' angles (its high and low 16 bits).
 * Rows past the middle are reached as the mirrors of the first half.
 */
function randomPhaseCopies(rng: Rng, fr: Float64Array, fi: Float64Array, width: number, height: number, ar: Float64Array, ai: Float64Array): void {
  const last = height >> 1;
  for (let p = 0; p <= last; p++) {
    const mp = p === 0 ? 0 : height - p;
    const selfRow = mp === p;
    for (let q = 0; q < width; q++) {
      const mq = q === 0 ? 0 : width - q;
      if (selfRow && mq < q) continue;
      const i = p * width + q, j = mp * width + mq;
      const bits = rng.nextUint32();
      const xr = fr[i]!, xi = fi[i]!;
      if (i === j) {
        // phi in {0, pi} for each copy: F or -F, both real-symmetric; A + iB = F (s1 + i s2)
        const s1 = bits & 0x80000000 ? -1 : 1, s2 = bits & 0x8000 ? -1 : 1;
        ar[i] = xr * s1 - xi * s2;
        ai[i] = xi * s1 + xr * s2;
        continue;
      }
      const k1 = bits >>> 16, k2 = bits & 0xffff;
      const c1 = PHASE_COS[k1]!, s1 = PHASE_SIN[k1]!, c2 = PHASE_COS[k2]!, s2 = PHASE_SIN[k2]!;
      const yr = fr[j]!, yi = fi[j]!;
      // copy 1: F(xi) e^{i phi1}, F(-xi) e^{-i phi1}; copy 2 likewise; A + iB = (aR - bI) + i (aI + bR)
      const a1r = xr * c1 - xi * s1, a1i = xr * s1 + xi * c1;
      const b1r = yr * c1 + yi * s1, b1i = yi * c1 - yr * s1;
      const a2r = xr * c2 - xi * s2, a2i = xr * s2 + xi * c2;
      const b2r = yr * c2 + yi * s2, b2i = yi * c2 - yr * s2;
      ar[i] = a1r - a2i;
      ai[i] = a1i + a2r;
      ar[j] = b1r - b2i;
      ai[j] = b1i + b2r;
    }
  }
}

/** GPC of a gray plane (0..255) from `samples` random-phase draws of a stream seeded with `seed`; not negated. */
export function globalPhaseCoherence(u: Plane, seed = GPC_SEED, samples = GPC_SAMPLES): number {
  integer('GPC samples', samples, 2, 100000);
  if (samples % 2 !== 0) throw new Error(`GPC draws its samples in pairs: expected an even count but received ${samples}`);
  const { w, fr, fi, width: W, height: H } = preprocess(u);
  const n = W * H;
  const tv0 = periodicTv(w, W, H);
  const rng = new Rng(seed);
  const ar = scratchF64('gpc.ar', n), ai = scratchF64('gpc.ai', n);
  const tvs = new Float64Array(samples);
  for (let k = 0; k < samples; k += 2) {
    randomPhaseCopies(rng, fr, fi, W, H, ar, ai);
    fft2(ar, ai, W, H, true);
    tvs[k] = periodicTv(ar, W, H);
    tvs[k + 1] = periodicTv(ai, W, H);
  }
  let mean = 0;
  for (const v of tvs) mean += v;
  mean /= samples;
  let ss = 0;
  for (const v of tvs) ss += (v - mean) * (v - mean);
  const sd = Math.sqrt(ss / (samples - 1));
  return gaussianTailLog10((mean - tv0) / sd);
}

/** Smallest side the two accept: the preprocessing and TV need a 2 x 2 image at least. */
function checkSize(u: Plane, what: string): void {
  if (u.width < 2 || u.height < 2) throw new Error(`${what} needs at least 2x2 pixels but the image is ${u.width}x${u.height}`);
}

export const sIndexMeasure = planeMeasure({
  name: 's-index',
  label: 'S index',
  reference: "Leclaire & Moisan, JMIV 2015 (S index, pmode 3); original Moisan's s_index.m, free use; negated",
  toPlane: matlabGrayLevels,
  scorePlane: (u) => {
    checkSize(u, 'The S index');
    return 0 - sIndex(u);
  },
});

export const gpcMeasure = planeMeasure({
  name: 'gpc',
  label: 'GPC',
  reference: `Blanchet, Moisan, Rouge, ICIP 2008; Leclaire & Moisan, JMIV 2015 (global phase coherence, ${GPC_SAMPLES} samples, seed ${GPC_SEED}); original Moisan's global_phase_coherence.m, free use; negated`,
  toPlane: matlabGrayLevels,
  scorePlane: (u) => {
    checkSize(u, 'GPC');
    return 0 - globalPhaseCoherence(u);
  },
});
