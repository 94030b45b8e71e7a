import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../src/core/image.js';
import { convolveDirect, type Kernel2D } from '../../src/synth/defocus.js';
import { convolveChannels } from '../../src/synth/convolve.js';
import {
  DEFAULT_OPTICS,
  airyRadiusUm,
  composeKernels,
  diffractionKernel,
  diffractionKernels,
  finePsf,
  gaussianKernel,
  geometricBlurRadiusUm,
  motionKernel,
  radialProfile,
  ringKernel,
} from '../../src/synth/optics.js';
import { rng } from '../helpers.js';

function sum(k: Kernel2D): number {
  let s = 0;
  for (const w of k.weights) s += w;
  return s;
}

function centre(k: Kernel2D): number {
  const size = 2 * k.half + 1;
  return k.weights[k.half * size + k.half]!;
}

/** Radius (px) within which a fraction q of a centred kernel's energy lies. */
function encircledRadius(k: Kernel2D, q: number): number {
  const size = 2 * k.half + 1;
  const items: Array<[number, number]> = [];
  for (let y = -k.half; y <= k.half; y++) for (let x = -k.half; x <= k.half; x++) items.push([Math.hypot(x, y), k.weights[(y + k.half) * size + x + k.half]!]);
  items.sort((a, b) => a[0] - b[0]);
  let acc = 0;
  for (const [r, w] of items) if ((acc += w) >= q) return r;
  return Infinity;
}

function randomImage(w: number, h: number, seed: number): RgbImage {
  const r = rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, data };
}

test('FFT convolution equals the direct convolution with mirrored borders', () => {
  const img = randomImage(101, 67, 5); // several overlap-save blocks
  const k = diffractionKernel(3, 0.5, 0.75, 0.54);
  assert.ok(k.half > 4, 'large enough to take the FFT path');
  const fft = convolveChannels(img, [k, k, k], 'fft');
  const direct = convolveDirect(img, k);
  let maxDiff = 0;
  for (let i = 0; i < fft.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fft.data[i]! - direct.data[i]!));
  assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
  const g = gaussianKernel(0.8);
  const d2 = convolveChannels(img, [g, g, g], 'direct');
  assert.deepEqual(d2.data, convolveDirect(img, g).data);
});

test('diffraction PSF: energy sums to 1, non-negative, symmetric, and the same for ±defocus', () => {
  for (const [dz, mpp, lambda, obs] of [[0, 0.5, 0.54, 0], [1, 0.5, 0.6, 0], [2.5, 0.25, 0.46, 0], [4, 0.5, 0.54, 0.4], [10, 0.5, 0.6, 0]] as const) {
    const k = diffractionKernel(dz, mpp, 0.75, lambda, obs);
    assert.ok(Math.abs(sum(k) - 1) < 1e-12, `sum at dz ${dz}`);
    const size = 2 * k.half + 1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const w = k.weights[y * size + x]!;
        assert.ok(w >= 0);
        assert.ok(Math.abs(w - k.weights[y * size + size - 1 - x]!) < 1e-9, 'mirror in x');
        assert.ok(Math.abs(w - k.weights[x * size + y]!) < 1e-9, 'transpose');
      }
    }
    const neg = diffractionKernel(-dz, mpp, 0.75, lambda, obs);
    for (let i = 0; i < k.weights.length; i++) assert.ok(Math.abs(k.weights[i]! - neg.weights[i]!) < 1e-9, `±dz at ${dz}`);
  }
});

test('zero defocus: a near-delta at the diffraction limit (most energy in the centre pixel at 0.5 µm/px)', () => {
  const k = diffractionKernel(0, 0.5, 0.75, 0.54);
  // Airy radius 0.44 µm < one 0.5 µm pixel: the centre pixel holds most, its 8 neighbours the rest
  assert.ok(centre(k) > 0.5, `centre ${centre(k)}`);
  assert.ok(encircledRadius(k, 0.85) <= Math.SQRT2 + 1e-9, `85 % radius ${encircledRadius(k, 0.85)}`);
  // a lower NA spreads it: less in the centre
  assert.ok(centre(diffractionKernel(0, 0.5, 0.3, 0.54)) < centre(k) - 0.1);
});

test('Airy pattern: first zero at 0.61 λ/NA', () => {
  for (const [na, lambda] of [[0.75, 0.54], [0.5, 0.6], [0.3, 0.46]] as const) {
    const dx = lambda / (8 * na) / 4; // fine sampling, 32 samples per λ/NA
    const psf = finePsf(0, na, lambda, dx, 512);
    const profile = radialProfile(psf, 200);
    let firstMin = -1;
    for (let i = 1; i < profile.length - 1; i++) {
      if (profile[i]! <= profile[i - 1]! && profile[i]! <= profile[i + 1]!) {
        firstMin = i;
        break;
      }
    }
    const r = firstMin * dx;
    const expected = airyRadiusUm(na, lambda);
    assert.ok(Math.abs(r - expected) <= 1.5 * dx, `NA ${na} λ ${lambda}: first zero at ${r.toFixed(4)} µm, expected ${expected.toFixed(4)}`);
    assert.ok(profile[firstMin]! < 1e-3 * profile[0]!, 'a real zero');
  }
});

test('large defocus approaches the geometric blur disk: radius |dz|·tan(asin NA)', () => {
  const mpp = 0.25;
  for (const dz of [4, 8]) {
    const k = diffractionKernel(dz, mpp, 0.75, 0.54);
    const geo = geometricBlurRadiusUm(dz, 0.75) / mpp; // px
    // a uniform disk has 90 % of its energy within 0.949 r
    const r90 = encircledRadius(k, 0.9);
    assert.ok(Math.abs(r90 - 0.949 * geo) < 0.15 * geo, `dz ${dz}: 90 % radius ${r90.toFixed(2)} px, geometric ${geo.toFixed(2)} px`);
  }
  // and blur grows monotonically with defocus
  let last = 0;
  for (const dz of [0, 1, 2, 3, 5]) {
    const r = encircledRadius(diffractionKernel(dz, 0.5, 0.75, 0.54), 0.8);
    assert.ok(r >= last, `dz ${dz}`);
    last = r;
  }
});

test('per-channel PSFs: longer wavelength, wider in-focus spot', () => {
  const [r, g, b] = diffractionKernels(0, 0.25, DEFAULT_OPTICS);
  assert.ok(centre(r) < centre(g) && centre(g) < centre(b), `${centre(r)} ${centre(g)} ${centre(b)}`);
});

test('annular pupil: less energy in the core in focus, a ring when defocused', () => {
  const clear = diffractionKernel(0, 0.25, 0.75, 0.54, 0);
  const annular = diffractionKernel(0, 0.25, 0.75, 0.54, 0.6);
  assert.ok(centre(annular) < centre(clear));
  // defocused, an annular pupil's rays land on a ring: between the images of ρ = 0.6 and ρ = 1
  // (0.5·dz and 1.13·dz from the axis); the inner disc gets far less than from a clear pupil
  const inner = (k: Kernel2D, rPx: number): number => {
    const size = 2 * k.half + 1;
    let e = 0;
    for (let y = -k.half; y <= k.half; y++) for (let x = -k.half; x <= k.half; x++) if (Math.hypot(x, y) <= rPx) e += k.weights[(y + k.half) * size + x + k.half]!;
    return e;
  };
  const dz = 6, mpp = 0.25;
  const rIn = (0.4 * dz) / mpp; // 0.4·dz, inside the ring's hole (0.5·dz)
  const eAnnular = inner(diffractionKernel(dz, mpp, 0.75, 0.54, 0.6), rIn);
  const eClear = inner(diffractionKernel(dz, mpp, 0.75, 0.54, 0), rIn);
  assert.ok(eClear > 0.1 && eAnnular < 0.3 * eClear, `inner energy annular ${eAnnular.toFixed(3)} vs clear ${eClear.toFixed(3)}`);
});

test('motion, vibration, Gaussian and ring kernels sum to 1 and have the right extent', () => {
  const line = motionKernel(6, 0);
  assert.ok(Math.abs(sum(line) - 1) < 1e-12);
  const size = 2 * line.half + 1;
  for (let y = 0; y < size; y++) if (y !== line.half) for (let x = 0; x < size; x++) assert.equal(line.weights[y * size + x], 0, 'horizontal motion stays on its row');
  const vib = motionKernel(6, 0, 'vibration');
  // vibration dwells at the turning points: the ends outweigh the middle
  const row = (k: Kernel2D, x: number): number => k.weights[k.half * (2 * k.half + 1) + k.half + x]!;
  assert.ok(row(vib, 3) > row(vib, 0), `end ${row(vib, 3)} vs middle ${row(vib, 0)}`);
  assert.ok(Math.abs(row(line, 1) - row(line, 0)) < 0.02);
  assert.deepEqual(Array.from(motionKernel(0, 1).weights.filter((w) => w > 0)), [1]);
  const diag = motionKernel(5, Math.PI / 4);
  assert.ok(Math.abs(sum(diag) - 1) < 1e-12);
  const g = gaussianKernel(1.5);
  assert.ok(Math.abs(sum(g) - 1) < 1e-12);
  const ring = ringKernel(5, 0.5);
  assert.ok(Math.abs(sum(ring) - 1) < 1e-12);
  assert.equal(centre(ring), 0, 'the ring is hollow');
  const both = composeKernels(gaussianKernel(1), motionKernel(4, 0.3));
  assert.ok(Math.abs(sum(both) - 1) < 1e-12);
  assert.equal(both.half, gaussianKernel(1).half + motionKernel(4, 0.3).half);
});

test('bad optics are refused with the quantity named', () => {
  assert.throws(() => diffractionKernel(1, 0.5, 1.2, 0.54), /numerical aperture/);
  assert.throws(() => diffractionKernel(1, 0.5, 0.75, 5), /wavelength/);
  assert.throws(() => diffractionKernel(Number.NaN, 0.5, 0.75, 0.54), /defocus/);
  assert.throws(() => diffractionKernel(1, 0, 0.75, 0.54), /pixel size/);
});
