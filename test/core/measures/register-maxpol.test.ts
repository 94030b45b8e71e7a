/**
 * The registered classic measures: names and metadata, and that per-crop scores are exactly the
 * scores of the cropped images (the shared gray conversion changes nothing), with one-line errors
 * for crops outside the image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers.js';
import { createRgbImage, cropImage } from '../../../src/core/image.js';
import { CHEAP_MEASURES, MAXPOL_MEASURES } from '../../../src/core/measures/register-maxpol.js';
import { getMeasure, registeredMeasures } from '../../../src/core/measures/registry.js';
import { scratchBytes } from '../../../src/core/measures/scratch.js';

const NAMES = ['fqpath', 'hvs-maxpol-1', 'hvs-maxpol-2', 'synthetic-maxpol', 'laplacian-variance', 'tenengrad', 'brenner'];

test('all seven measures are registered as parameter-free, knowledge-based, whole-image measures', () => {
  const registered = registeredMeasures();
  for (const name of NAMES) assert.ok(registered.includes(name), name);
  assert.deepEqual([...MAXPOL_MEASURES, ...CHEAP_MEASURES].map((m) => m.name), NAMES);
  const labels = NAMES.map((n) => getMeasure(n).label);
  assert.deepEqual(labels, ['FQPath', 'HVS-MaxPol-1', 'HVS-MaxPol-2', 'Synthetic-MaxPol', 'Variance of Laplacian', 'Tenengrad', 'Brenner']);
  for (const name of NAMES) {
    const m = getMeasure(name);
    assert.equal(m.kind, 'knowledge-based');
    assert.equal(m.parameters, 0);
    assert.equal(m.nativeUnit, 'image');
    assert.equal(m.scale, 'relative');
    assert.ok(m.reference && m.reference.length > 10, `${name}: reference`);
  }
});

test('scoreCrops equals scoreImage of each cropped image, for every measure', () => {
  const next = rng(4);
  const width = 300, height = 260;
  const img = createRgbImage(width, height, Uint8Array.from({ length: width * height * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    const x = p % width, y = Math.floor(p / width);
    // smooth structure plus noise, so every measure has something to see
    return Math.max(0, Math.min(255, Math.round(128 + 80 * Math.sin(x / 7) * Math.cos(y / 11) + 40 * (next() - 0.5))));
  }));
  const xs = [0, 128, 200, 37], ys = [0, 128, 160, 5];
  for (const name of NAMES) {
    const m = getMeasure(name);
    const crops = m.scoreCrops(img, xs, ys, 100);
    assert.equal(crops.length, 4);
    xs.forEach((x, i) => assert.ok(Object.is(crops[i], m.scoreImage(cropImage(img, x, ys[i]!, 100, 100))), `${name} crop ${i}`));
    assert.throws(() => m.scoreCrops(img, [250], [0], 100), /Crop 100x100 at \(250,0\) lies outside the 300x260 image/);
    assert.throws(() => m.scoreCrops(img, [0, 1], [0], 100), /as many y origins as x origins/);
    assert.throws(() => m.scoreCrops(img, [0], [0], 261), /smaller than one 261x261 crop/);
  }
  // work buffers are kept for reuse, within the bound
  assert.ok(scratchBytes() <= 64 * 1024 * 1024, `scratch holds ${scratchBytes()} bytes`);
});

test('degenerate content: a flat image gives the originals\' guard values or NaN, never a throw', () => {
  const white = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(255));
  const black = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3));
  // HVS-MaxPol: all pixels background (g <= 0.05) -> 0, as the original
  assert.equal(getMeasure('hvs-maxpol-1').scoreImage(black), 0);
  assert.equal(getMeasure('hvs-maxpol-2').scoreImage(black), 0);
  for (const name of NAMES) {
    for (const img of [white, black]) {
      const v = getMeasure(name).scoreImage(img);
      assert.equal(typeof v, 'number', name);
    }
  }
  assert.equal(getMeasure('laplacian-variance').scoreImage(white), 0);
});
