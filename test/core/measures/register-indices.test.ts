/**
 * The registered sharpness indices (mlv, s-index, gpc, lpc-si): names and metadata, per-crop scores equal
 * to the scores of the cropped images, degenerate content, and one-line errors for images too
 * small for a measure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers.js';
import { createRgbImage, cropImage } from '../../../src/core/image.js';
import { INDEX_MEASURES } from '../../../src/core/measures/register-indices.js';
import '../../../src/core/measures/register-builtin.js';
import { getMeasure, registeredMeasures } from '../../../src/core/measures/registry.js';

const NAMES = ['mlv', 's-index', 'gpc', 'lpc-si'];

function textured(width: number, height: number, seed: number): ReturnType<typeof createRgbImage> {
  const next = rng(seed);
  return createRgbImage(width, height, Uint8Array.from({ length: width * height * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    const x = p % width, y = Math.floor(p / width);
    return Math.max(0, Math.min(255, Math.round(128 + 80 * Math.sin(x / 7) * Math.cos(y / 11) + 40 * (next() - 0.5))));
  }));
}

test('mlv, s-index, gpc and lpc-si are registered (with the builtin set) as parameter-free, knowledge-based, whole-image measures', () => {
  assert.deepEqual(INDEX_MEASURES.map((m) => m.name), NAMES);
  for (const name of NAMES) {
    assert.ok(registeredMeasures().includes(name), name);
    const m = getMeasure(name);
    assert.equal(m.kind, 'knowledge-based');
    assert.equal(m.parameters, 0);
    assert.equal(m.nativeUnit, 'image');
    assert.match(m.reference ?? '', /negated/);
  }
  assert.deepEqual(NAMES.map((n) => getMeasure(n).label), ['MLV', 'S index', 'GPC', 'LPC-SI']);
});

test('scoreCrops equals scoreImage of each cropped image (gpc included: every call draws from a fresh seeded stream)', () => {
  const img = textured(160, 140, 5);
  const xs = [0, 60, 31], ys = [0, 40, 7];
  for (const name of NAMES) {
    const m = getMeasure(name);
    const crops = m.scoreCrops(img, xs, ys, 100);
    xs.forEach((x, i) => assert.ok(Object.is(crops[i], m.scoreImage(cropImage(img, x, ys[i]!, 100, 100))), `${name} crop ${i}`));
    assert.throws(() => m.scoreCrops(img, [61], [0], 100), /Crop 100x100 at \(61,0\) lies outside the 160x140 image/);
  }
});

test('a blurred copy scores higher (blurrier) than the original for every index', () => {
  // random 8x8 blocks: edges, which blurring removes
  const next = rng(6);
  const levels = Array.from({ length: 16 * 16 }, () => Math.round(40 + 180 * next()));
  const img = createRgbImage(128, 128, Uint8Array.from({ length: 128 * 128 * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    return levels[Math.floor(Math.floor(p / 128) / 8) * 16 + Math.floor((p % 128) / 8)]!;
  }));
  // 3x3 box blur of each channel (edges clamped)
  const blurred = createRgbImage(128, 128, new Uint8Array(128 * 128 * 3));
  for (let y = 0; y < 128; y++) {
    for (let x = 0; x < 128; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += img.data[(Math.min(127, Math.max(0, y + dy)) * 128 + Math.min(127, Math.max(0, x + dx))) * 3 + c]!;
        blurred.data[(y * 128 + x) * 3 + c] = Math.round(s / 9);
      }
    }
  }
  for (const name of NAMES) {
    const m = getMeasure(name);
    assert.ok(m.scoreImage(blurred) > m.scoreImage(img), `${name}: ${m.scoreImage(blurred)} vs ${m.scoreImage(img)}`);
  }
});

test('degenerate content and sizes: flat images give 0 (MLV, S index, LPC-SI) or NaN (GPC: no spread), tiny images one-line errors', () => {
  const flat = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(200));
  assert.equal(getMeasure('s-index').scoreImage(flat), 0);
  assert.ok(Number.isNaN(getMeasure('gpc').scoreImage(flat)));
  // MLV: interior neighbours equal the centre; the zero-valued border makes the top values 0
  assert.equal(getMeasure('mlv').scoreImage(flat), 0);
  assert.throws(() => getMeasure('mlv').scoreImage(textured(30, 30, 1)), /MLV needs at least 1000 interior pixels but the image is 30x30/);
  assert.throws(() => getMeasure('s-index').scoreImage(textured(1, 9, 1)), /S index needs at least 2x2 pixels but the image is 1x9/);
  assert.throws(() => getMeasure('gpc').scoreImage(textured(9, 1, 1)), /GPC needs at least 2x2 pixels but the image is 9x1/);
  // LPC-SI: no phase structure and no energy above the threshold -> 0
  assert.equal(getMeasure('lpc-si').scoreImage(flat), 0);
  assert.throws(() => getMeasure('lpc-si').scoreImage(textured(1, 1, 1)), /LPC-SI needs an image larger than its 0-pixel border on each side but the image is 1x1/);
});
