import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropImage, type RgbImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/io/decode.js';
import {
  DEFAULT_DEFOCUS,
  addSensorNoise,
  convolveDirect,
  defocusImage,
  defocusKernel,
  defocusRadius,
  defocusSigma,
  diskRows,
  gaussianTaps,
  inverseNormalCdf,
  reflectIndex,
} from '../../src/synth/defocus.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { rng, sharedOnly, sharedPath } from '../helpers.js';

function randomImage(w: number, h: number, seed: number): RgbImage {
  const r = rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, data };
}

/** Mean squared 4-neighbour Laplacian of the grey image (interior pixels): high-frequency energy. */
function laplacianEnergy(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  const g = (x: number, y: number): number => {
    const i = (y * w + x) * 3;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  let s = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const l = 4 * g(x, y) - g(x - 1, y) - g(x + 1, y) - g(x, y - 1) - g(x, y + 1);
      s += l * l;
    }
  }
  return s / ((w - 2) * (h - 2));
}

test('PSF sums to 1, is non-negative and has the symmetries of a disk', () => {
  for (const level of [0, 0.25, 0.5, 1, 2.5, 3, 7.5, 10, -4, 20]) {
    const k = defocusKernel(level);
    const size = 2 * k.half + 1;
    let sum = 0;
    for (const w of k.weights) {
      assert.ok(w >= 0, `negative weight at level ${level}`);
      sum += w;
    }
    assert.ok(Math.abs(sum - 1) < 1e-12, `level ${level}: sum ${sum}`);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const w = k.weights[y * size + x]!;
        assert.ok(Math.abs(w - k.weights[y * size + (size - 1 - x)]!) < 1e-12, 'mirror in x');
        assert.ok(Math.abs(w - k.weights[(size - 1 - y) * size + x]!) < 1e-12, 'mirror in y');
        // rows are boxes (area-exact), so the transpose only matches approximately
        assert.ok(Math.abs(w - k.weights[x * size + y]!) < 0.02, 'near-symmetric under transpose');
      }
    }
  }
});

test('level 0 is the identity: a 1x1 kernel and an unchanged copy of the image', () => {
  const k = defocusKernel(0);
  assert.equal(k.half, 0);
  assert.deepEqual([...k.weights], [1]);
  assert.equal(defocusRadius(0), 0);
  assert.equal(defocusSigma(0), 0);
  const img = randomImage(33, 21, 1);
  const out = defocusImage(img, 0);
  assert.deepEqual(out.data, img.data);
  assert.notEqual(out.data, img.data, 'a copy, not the same buffer');
});

test('disk radius and softening grow with |z|; the sign of z does not matter', () => {
  assert.equal(defocusRadius(10), 10 * DEFAULT_DEFOCUS.radiusPerLevel);
  assert.equal(defocusRadius(-3), defocusRadius(3));
  let prevR = -1;
  let prevS = -1;
  for (let z = 0; z <= 12; z += 0.5) {
    assert.ok(defocusRadius(z) > prevR);
    assert.ok(defocusSigma(z) > prevS);
    prevR = defocusRadius(z);
    prevS = defocusSigma(z);
  }
  // the disk's rows add up to its area, pi r^2
  const d = diskRows(5.3);
  assert.ok(Math.abs(d.rows.reduce((s, r) => s + 2 * r.halfWidth, 0) - Math.PI * 5.3 * 5.3) < 1e-9);
  assert.ok(Math.abs(gaussianTaps(1.2).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const img = randomImage(40, 30, 2);
  assert.deepEqual(defocusImage(img, -6).data, defocusImage(img, 6).data);
});

test('the fast blur equals direct 2-D convolution with the PSF, borders included', () => {
  const img = randomImage(37, 29, 3);
  for (const level of [0.3, 1, 2, 4.5, 10]) {
    const fast = defocusImage(img, level);
    const direct = convolveDirect(img, defocusKernel(level));
    let maxDiff = 0;
    for (let i = 0; i < fast.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast.data[i]! - direct.data[i]!));
    // identical up to the rounding of values that land on .5
    assert.ok(maxDiff <= 1, `level ${level}: max difference ${maxDiff}`);
  }
  // a kernel wider than the image: mirrored periodically, still well defined
  const tiny = randomImage(5, 3, 4);
  const wide = defocusImage(tiny, 20);
  const ref = convolveDirect(tiny, defocusKernel(20));
  for (let i = 0; i < wide.data.length; i++) assert.ok(Math.abs(wide.data[i]! - ref.data[i]!) <= 1);
});

test('reflectIndex mirrors half-sample symmetric, periodically', () => {
  assert.deepEqual([-3, -2, -1, 0, 1, 2, 3, 4, 5].map((i) => reflectIndex(i, 3)), [2, 1, 0, 0, 1, 2, 2, 1, 0]);
  assert.deepEqual([-2, -1, 0, 1, 2].map((i) => reflectIndex(i, 1)), [0, 0, 0, 0, 0]);
});

test('a flat image stays flat at every level', () => {
  const flat: RgbImage = { width: 20, height: 16, data: new Uint8Array(20 * 16 * 3).fill(173) };
  for (const z of [1, 5, 10]) assert.ok(defocusImage(flat, z).data.every((v) => v === 173));
});

test('blur removes high-frequency energy monotonically with |z| (procedural tissue)', () => {
  const img = makeTissueLikeImage(160, 160, 11);
  let prev = Infinity;
  for (let z = 0; z <= 10; z++) {
    const e = laplacianEnergy(defocusImage(img, z));
    assert.ok(e < prev, `z=${z}: energy ${e} not below ${prev}`);
    prev = e;
  }
});

test('blur removes high-frequency energy monotonically with |z| on a real tile', sharedOnly(), async () => {
  const tile = await decodeImage(sharedPath('data', 'tiles', 'tissue-level0-4302-10273-4814-10785.png'));
  const img = cropImage(tile, 128, 128, 256, 256);
  const energies: number[] = [];
  for (let z = 0; z <= 10; z++) energies.push(laplacianEnergy(defocusImage(img, z)));
  for (let z = 1; z <= 10; z++) assert.ok(energies[z]! < energies[z - 1]!, `z=${z}: ${energies[z]} !< ${energies[z - 1]}`);
  // a real loss, not a rounding effect: z=10 keeps under 5 % of the in-focus energy
  assert.ok(energies[10]! < 0.05 * energies[0]!, `z=10 keeps ${(energies[10]! / energies[0]!).toFixed(3)} of the energy`);
});

test('sensor noise: seeded, zero-mean with the requested sigma, clamped, sigma 0 is a copy', () => {
  const flat: RgbImage = { width: 256, height: 128, data: new Uint8Array(256 * 128 * 3).fill(128) };
  const a = addSensorNoise(flat, 4, 7);
  const b = addSensorNoise(flat, 4, 7);
  const c = addSensorNoise(flat, 4, 8);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  let s = 0, s2 = 0;
  for (const v of a.data) {
    s += v - 128;
    s2 += (v - 128) ** 2;
  }
  const n = a.data.length;
  const mean = s / n;
  const sd = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  // rounding adds 1/12 of variance: sqrt(16 + 1/12) = 4.01
  assert.ok(Math.abs(sd - 4) < 0.08, `sd ${sd}`);
  const white: RgbImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(255) };
  assert.ok(addSensorNoise(white, 10, 1).data.some((v) => v < 255));
  assert.deepEqual(addSensorNoise(flat, 0, 1).data, flat.data);
  assert.throws(() => addSensorNoise(flat, -1, 1), /Expected number between 0 and 128 for noise sigma but received -1/);
});

test('inverse normal CDF matches known quantiles', () => {
  assert.ok(Math.abs(inverseNormalCdf(0.5)) < 1e-12);
  assert.ok(Math.abs(inverseNormalCdf(0.975) - 1.959963985) < 1e-7);
  assert.ok(Math.abs(inverseNormalCdf(0.001) + 3.090232306) < 1e-7);
  assert.ok(Math.abs(inverseNormalCdf(0.2) + inverseNormalCdf(0.8)) < 1e-9);
  assert.throws(() => inverseNormalCdf(1), /Expected number between 0 and 1/);
});

test('invalid levels and parameters are rejected with a message', () => {
  const img = randomImage(8, 8, 5);
  assert.throws(() => defocusImage(img, Number.NaN), /Expected number between -64 and 64 for defocus level but received NaN/);
  assert.throws(() => defocusImage(img, 65), /for defocus level but received 65/);
  assert.throws(() => defocusImage(img, 2, { radiusPerLevel: -1, sigma0: 0.5, sigmaPerLevel: 0 }), /Expected number between 0 and 10 for radiusPerLevel but received -1/);
});
