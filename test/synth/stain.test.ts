import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mulberry32 } from '../../src/core/random.js';
import { HED_FROM_RGB_STAINS, IDENTITY_JITTER, drawStainJitter, invert3, jitterStains } from '../../src/synth/stain.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';

test('identity jitter returns every pixel unchanged', () => {
  const data = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) data.set([v, 255 - v, (v * 7) % 256], v * 3);
  const img = { width: 256, height: 1, data };
  assert.deepEqual(jitterStains(img, IDENTITY_JITTER).data, data);
});

test('the stain matrix inverts', () => {
  const inv = invert3(HED_FROM_RGB_STAINS);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += HED_FROM_RGB_STAINS[i]![k]! * inv[k]![j]!;
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
    }
  }
});

test('more haematoxylin darkens a haematoxylin-coloured pixel, most in red; white stays white without beta', () => {
  // a pure-H pixel: OD along the H vector
  const h = HED_FROM_RGB_STAINS[0]!;
  const n = Math.hypot(...h);
  const px = h.map((c) => Math.round(255.5 * Math.exp(-0.8 * c / n) - 0.5));
  const img = { width: 2, height: 1, data: Uint8Array.from([...px, 255, 255, 255]) };
  const out = jitterStains(img, { alpha: [1.5, 1, 1], beta: [0, 0, 0] }).data;
  for (let c = 0; c < 3; c++) assert.ok(out[c]! < px[c]!, `channel ${c}: ${out[c]} < ${px[c]}`);
  assert.ok(px[0]! - out[0]! > px[2]! - out[2]!, 'red (H absorbs most) drops most');
  assert.deepEqual(Array.from(out.subarray(3)), [255, 255, 255]);
});

test('jitter keeps structure: the colour changes, the edges stay where they were', () => {
  const img = makeTissueLikeImage(96, 96, 4);
  const j = drawStainJitter(0.2, new Mulberry32(9));
  const out = jitterStains(img, j);
  let changed = 0;
  for (let i = 0; i < img.data.length; i++) if (img.data[i] !== out.data[i]) changed++;
  assert.ok(changed > img.data.length / 4, 'colours moved');
  // grey-level Laplacian sign agreement at strong edges
  const grey = (d: Uint8Array, i: number): number => 0.299 * d[i * 3]! + 0.587 * d[i * 3 + 1]! + 0.114 * d[i * 3 + 2]!;
  let strong = 0, agree = 0;
  for (let y = 1; y < 95; y++) {
    for (let x = 1; x < 95; x++) {
      const i = y * 96 + x;
      const lap = (d: Uint8Array): number => 4 * grey(d, i) - grey(d, i - 1) - grey(d, i + 1) - grey(d, i - 96) - grey(d, i + 96);
      const a = lap(img.data);
      if (Math.abs(a) < 30) continue;
      strong++;
      if (Math.sign(lap(out.data)) === Math.sign(a)) agree++;
    }
  }
  assert.ok(strong > 50 && agree / strong > 0.95, `${agree} of ${strong}`);
  assert.deepEqual(drawStainJitter(0.2, new Mulberry32(9)), j, 'seeded');
  assert.throws(() => drawStainJitter(2, new Mulberry32(1)), /stain jitter/);
});
