/**
 * Defocus in physical units (pure TS): the scalar-diffraction PSF of a defocused objective,
 * sampled on a camera's pixel grid, and the other blurs `synth` uses as augmentations or
 * held-out blur families (motion / vibration, Gaussian, a geometric ring).
 *
 * Diffraction model. An incoherently imaged point, dz µm from focus, through an objective of
 * numerical aperture NA (dry, n = 1) at wavelength λ, gives the intensity PSF
 *
 *   PSF(x) = |F^-1[ P(f) ]|^2,   P(f) = A(ρ) · exp(i 2π/λ · W(ρ)),   ρ = |f| / (NA/λ)
 *
 * where A is the pupil (1 on the disk ρ <= 1, 0 outside; an annular pupil also blocks ρ < ε) and
 * W the defocus wavefront. We use the full (Debye) defocus W(ρ) = dz · (1 − sqrt(1 − NA² ρ²)),
 * whose leading term is the Seidel defocus W20 ρ² with W20 = dz · NA²/2; the full form keeps
 * the geometric blur radius right at NA 0.75 (dz · tan(asin NA) = 1.13 dz instead of 0.75 dz).
 * At dz = 0 this is the Airy pattern, first zero at 0.61 λ/NA.
 *
 * Sampling. The PSF is computed on a fine grid (pixel / oversample, an odd factor so that a
 * pixel centre falls on a fine sample, and fine enough for the PSF's band limit 2NA/λ) and then
 * integrated over each camera pixel (the sensor pixel's footprint), which is what a slide at
 * that MPP records. The field is at least twice the PSF's support, so the FFT's wrap-around
 * stays outside the kernel; the kernel is cut at the support (geometric radius plus four Airy
 * radii) and renormalised to sum 1.
 */
import { finiteNumber } from '../core/check.js';
import type { Kernel2D } from './defocus.js';
import { fft2 } from '../core/fft.js';
import { nextPowerOfTwo } from './convolve.js';

export interface Optics {
  /** numerical aperture of the objective, 0 < NA < 1 (dry) */
  readonly na: number;
  /** centre wavelength of each camera channel R, G, B in µm */
  readonly wavelengthsUm: readonly [number, number, number];
  /** central obscuration of the pupil as a fraction of its radius (0 = clear circular pupil) */
  readonly obscuration: number;
}

/**
 * A 20x/0.75 objective (as in common 20x brightfield scanners) and camera channels centred at
 * 600 / 540 / 460 nm (typical RGB sensor responses under a white LED). A model, not a calibration.
 */
export const DEFAULT_OPTICS: Optics = Object.freeze({ na: 0.75, wavelengthsUm: Object.freeze([0.6, 0.54, 0.46]) as readonly [number, number, number], obscuration: 0 });

/** Largest defocus accepted, µm (far beyond any scanner's z range). */
export const MAX_DEFOCUS_UM = 50;

/** Largest fine FFT field side: bounds memory (2 x 8 MB) and time per kernel. */
const MAX_FIELD = 1024;

function checkOptics(na: number, wavelengthUm: number, mppUm: number, obscuration: number): void {
  finiteNumber('numerical aperture', na, 0.05, 0.95);
  finiteNumber('wavelength (µm)', wavelengthUm, 0.3, 1.2);
  finiteNumber('pixel size (µm/px)', mppUm, 0.001, 20);
  finiteNumber('pupil obscuration', obscuration, 0, 0.9);
}

/** Radius of the first dark ring of the in-focus Airy pattern, µm. */
export function airyRadiusUm(na: number, wavelengthUm: number): number {
  return (0.61 * wavelengthUm) / na;
}

/** Geometric (ray-optics) blur radius of a defocus dz at NA (dry): |dz| tan(asin NA), µm. */
export function geometricBlurRadiusUm(defocusUm: number, na: number): number {
  return Math.abs(defocusUm) * Math.tan(Math.asin(na));
}

/** Half-width in µm inside which the kernel keeps the PSF: geometric radius plus four Airy radii. */
export function psfSupportUm(defocusUm: number, na: number, wavelengthUm: number): number {
  return geometricBlurRadiusUm(defocusUm, na) + 4 * airyRadiusUm(na, wavelengthUm);
}

export interface FinePsf {
  /** field side (fine samples), a power of two */
  n: number;
  /** fine sample spacing, µm */
  dxUm: number;
  /** intensity, centred at (n/2, n/2), sums to 1 */
  intensity: Float64Array;
}

/**
 * The intensity PSF on a fine n x n grid of spacing dxUm, centred at (n/2, n/2), summing to 1.
 * Exposed for tests (Airy zero, symmetry); `diffractionKernel` samples it on pixels.
 */
export function finePsf(defocusUm: number, na: number, wavelengthUm: number, dxUm: number, n: number, obscuration = 0): FinePsf {
  finiteNumber('defocus (µm)', defocusUm, -MAX_DEFOCUS_UM, MAX_DEFOCUS_UM);
  checkOptics(na, wavelengthUm, dxUm, obscuration);
  if (n > MAX_FIELD * 2 || (n & (n - 1)) !== 0) throw new Error(`Expected a power of two up to ${MAX_FIELD * 2} for the PSF field but received ${n}`);
  const fc = na / wavelengthUm; // pupil cut-off, cycles/µm
  const df = 1 / (n * dxUm);
  // the pupil must fit inside the frequency grid (|f| <= NA/λ below the grid's Nyquist)
  if (fc * dxUm > 0.5) throw new Error(`PSF grid of ${dxUm} µm cannot hold the pupil of NA ${na} at ${wavelengthUm} µm`);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const k = (2 * Math.PI) / wavelengthUm;
  const eps2 = obscuration * obscuration;
  for (let v = 0; v < n; v++) {
    const fv = (v < n / 2 ? v : v - n) * df;
    for (let u = 0; u < n; u++) {
      const fu = (u < n / 2 ? u : u - n) * df;
      const rho2 = (fu * fu + fv * fv) / (fc * fc);
      if (rho2 > 1 || rho2 < eps2) continue;
      const w = defocusUm * (1 - Math.sqrt(Math.max(0, 1 - na * na * rho2)));
      const phase = k * w;
      // the centring shift (-1)^(u+v) puts the PSF's origin at (n/2, n/2)
      const s = (u + v) & 1 ? -1 : 1;
      re[v * n + u] = s * Math.cos(phase);
      im[v * n + u] = s * Math.sin(phase);
    }
  }
  fft2(re, im, n, n, true);
  const intensity = new Float64Array(n * n);
  let sum = 0;
  for (let i = 0; i < intensity.length; i++) sum += intensity[i] = re[i]! * re[i]! + im[i]! * im[i]!;
  if (!(sum > 0)) throw new Error('PSF has no energy (pupil smaller than one frequency sample)');
  for (let i = 0; i < intensity.length; i++) intensity[i]! /= sum;
  return { n, dxUm, intensity };
}

/** Odd oversampling so the fine grid resolves the PSF's band limit 2NA/λ with margin (6 samples a cycle). */
export function oversampleFor(mppUm: number, na: number, wavelengthUm: number): number {
  let s = Math.max(3, Math.ceil(mppUm / (wavelengthUm / (6 * na))));
  if (s % 2 === 0) s++;
  return s;
}

/**
 * The defocus PSF integrated over the pixels of a camera at mppUm µm/px: a centred kernel that
 * sums to 1. dz = 0 gives the diffraction-limited (Airy) spot.
 */
export function diffractionKernel(defocusUm: number, mppUm: number, na: number, wavelengthUm: number, obscuration = 0): Kernel2D {
  finiteNumber('defocus (µm)', defocusUm, -MAX_DEFOCUS_UM, MAX_DEFOCUS_UM);
  checkOptics(na, wavelengthUm, mppUm, obscuration);
  const supportUm = psfSupportUm(defocusUm, na, wavelengthUm);
  const half = Math.max(1, Math.ceil(supportUm / mppUm - 0.5));
  let s = oversampleFor(mppUm, na, wavelengthUm);
  // the field must hold twice the kernel; for a large blur the oversampling gives way first,
  // down to the least odd factor that still holds the pupil (fc·dx <= 1/2), since the PSF's
  // detail then spreads over many pixels anyway
  let least = Math.ceil(2 * mppUm * (na / wavelengthUm) - 1e-9);
  if (least % 2 === 0) least++;
  while (s - 2 >= least && nextPowerOfTwo(2 * (2 * half + 1) * s) > MAX_FIELD) s -= 2;
  const n = nextPowerOfTwo(2 * (2 * half + 1) * s);
  if (n > 2 * MAX_FIELD) throw new Error(`defocus ${defocusUm} µm at ${mppUm} µm/px needs a kernel of ${2 * half + 1} px, too large`);
  const psf = finePsf(defocusUm, na, wavelengthUm, mppUm / s, n, obscuration).intensity;
  const size = 2 * half + 1;
  const weights = new Float64Array(size * size);
  const c = n / 2;
  const r = (s - 1) / 2;
  let sum = 0;
  for (let py = -half; py <= half; py++) {
    for (let px = -half; px <= half; px++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) {
        const row = (c + py * s + j) * n + c + px * s;
        for (let i = -r; i <= r; i++) acc += psf[row + i]!;
      }
      weights[(py + half) * size + px + half] = acc;
      sum += acc;
    }
  }
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return { half, weights };
}

/** Per channel R, G, B: the defocus PSF at each channel's wavelength. */
export function diffractionKernels(defocusUm: number, mppUm: number, optics: Optics = DEFAULT_OPTICS): [Kernel2D, Kernel2D, Kernel2D] {
  const [r, g, b] = optics.wavelengthsUm;
  return [r, g, b].map((l) => diffractionKernel(defocusUm, mppUm, optics.na, l, optics.obscuration)) as [Kernel2D, Kernel2D, Kernel2D];
}

/** Radial profile of a centred fine PSF along +x (for tests and plots). */
export function radialProfile(psf: FinePsf, samples: number): Float64Array {
  const out = new Float64Array(samples);
  const c = psf.n / 2;
  for (let i = 0; i < samples; i++) out[i] = psf.intensity[c * psf.n + c + i]!;
  return out;
}

/**
 * Motion / vibration blur: the time a point spends at each position along a segment of
 * `lengthPx` px at `angleRad`, rasterised with bilinear splats. 'linear' is uniform motion (a
 * box along the path); 'vibration' is a sinusoidal oscillation of that peak-to-peak amplitude,
 * which dwells at the turning points (arcsine density). Sums to 1; length 0 is the identity.
 */
export function motionKernel(lengthPx: number, angleRad: number, profile: 'linear' | 'vibration' = 'linear'): Kernel2D {
  finiteNumber('motion length (px)', lengthPx, 0, 64);
  finiteNumber('motion angle (rad)', angleRad, -8, 8);
  const half = Math.ceil(lengthPx / 2) + 1;
  const size = 2 * half + 1;
  const weights = new Float64Array(size * size);
  const steps = Math.max(1, Math.ceil(lengthPx * 16));
  const cx = Math.cos(angleRad), sy = Math.sin(angleRad);
  for (let k = 0; k < steps; k++) {
    const u = (k + 0.5) / steps; // uniform in time
    const t = profile === 'linear' ? u - 0.5 : 0.5 * Math.sin(Math.PI * (u - 0.5)); // position in [-0.5, 0.5]
    const x = t * lengthPx * cx + half, y = t * lengthPx * sy + half;
    const x0 = Math.floor(x), y0 = Math.floor(y);
    const fx = x - x0, fy = y - y0;
    const add = (xx: number, yy: number, w: number): void => {
      if (xx >= 0 && xx < size && yy >= 0 && yy < size) weights[yy * size + xx]! += w;
    };
    add(x0, y0, (1 - fx) * (1 - fy));
    add(x0 + 1, y0, fx * (1 - fy));
    add(x0, y0 + 1, (1 - fx) * fy);
    add(x0 + 1, y0 + 1, fx * fy);
  }
  let sum = 0;
  for (const w of weights) sum += w;
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return { half, weights };
}

/** A sampled isotropic Gaussian kernel (half-width ceil(3 sigma)), sums to 1. */
export function gaussianKernel(sigmaPx: number): Kernel2D {
  finiteNumber('Gaussian sigma (px)', sigmaPx, 0, 64);
  if (sigmaPx === 0) return { half: 0, weights: Float64Array.of(1) };
  const half = Math.ceil(3 * sigmaPx);
  const size = 2 * half + 1;
  const weights = new Float64Array(size * size);
  let sum = 0;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) sum += weights[(y + half) * size + x + half] = Math.exp(-(x * x + y * y) / (2 * sigmaPx * sigmaPx));
  }
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return { half, weights };
}

/**
 * A geometric ring PSF (outer radius r, inner radius inner·r), area-sampled by 8x8 sub-pixels:
 * the defocus blur of a catadioptric / centrally obscured system in ray optics. Sums to 1.
 */
export function ringKernel(radiusPx: number, inner = 0.5): Kernel2D {
  finiteNumber('ring radius (px)', radiusPx, 0, 64);
  finiteNumber('ring inner fraction', inner, 0, 0.95);
  if (radiusPx < 0.5) return { half: 0, weights: Float64Array.of(1) };
  const half = Math.ceil(radiusPx);
  const size = 2 * half + 1;
  const weights = new Float64Array(size * size);
  const ss = 8;
  const r2 = radiusPx * radiusPx, i2 = (inner * radiusPx) ** 2;
  let sum = 0;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      let a = 0;
      for (let j = 0; j < ss; j++) {
        for (let i = 0; i < ss; i++) {
          const px = x - 0.5 + (i + 0.5) / ss, py = y - 0.5 + (j + 0.5) / ss;
          const d2 = px * px + py * py;
          if (d2 <= r2 && d2 >= i2) a++;
        }
      }
      sum += weights[(y + half) * size + x + half] = a;
    }
  }
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return { half, weights };
}

/** Full 2-D convolution of two kernels (the PSF of two blurs in sequence); sums stay 1. */
export function composeKernels(a: Kernel2D, b: Kernel2D): Kernel2D {
  const half = a.half + b.half;
  const size = 2 * half + 1;
  const sa = 2 * a.half + 1, sb = 2 * b.half + 1;
  const weights = new Float64Array(size * size);
  for (let ay = 0; ay < sa; ay++) {
    for (let ax = 0; ax < sa; ax++) {
      const wa = a.weights[ay * sa + ax]!;
      if (wa === 0) continue;
      for (let by = 0; by < sb; by++) {
        const row = (ay + by) * size + ax;
        for (let bx = 0; bx < sb; bx++) weights[row + bx]! += wa * b.weights[by * sb + bx]!;
      }
    }
  }
  return { half, weights };
}
