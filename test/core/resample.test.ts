/** Resampling to another pixel size: area averaging down, Lanczos-3 up, exact phase, window = whole. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRgbImage, cropImage, type RgbImage } from '../../src/core/image.js';
import { filterFor, lanczos, resampleMargin, resampleRgb, resampleToMpp } from '../../src/core/resample.js';
import { rng } from '../helpers.js';

function randomImage(w: number, h: number, seed: number): RgbImage {
  const r = rng(seed);
  return createRgbImage(w, h, Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
}

const px = (img: RgbImage, x: number, y: number, c: number): number => img.data[(y * img.width + x) * 3 + c]!;

test('filterFor and the Lanczos-3 kernel', () => {
  assert.equal(filterFor(2), 'area');
  assert.equal(filterFor(1), 'area');
  assert.equal(filterFor(0.5), 'lanczos3');
  assert.equal(lanczos(0), 1);
  for (const k of [1, 2, -1, -2]) assert.ok(Math.abs(lanczos(k)) < 1e-15, 'zero at the other integers');
  assert.equal(lanczos(3), 0);
  assert.equal(lanczos(-3.5), 0);
  assert.ok(lanczos(1.5) < 0, 'negative first side lobe');
  assert.equal(resampleMargin(2), 1);
  assert.equal(resampleMargin(0.5), 3);
});

test('area 2x: each output pixel is the rounded mean of its 2x2 block', () => {
  const src = randomImage(10, 8, 1);
  const out = resampleRgb(src, { width: 5, height: 4, scale: 2 });
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) for (let c = 0; c < 3; c++) {
    const m = (px(src, 2 * x, 2 * y, c) + px(src, 2 * x + 1, 2 * y, c) + px(src, 2 * x, 2 * y + 1, c) + px(src, 2 * x + 1, 2 * y + 1, c)) / 4;
    assert.equal(px(out, x, y, c), Math.round(m), `(${x},${y},${c})`);
  }
});

test('area at a fractional scale and phase: the area-weighted mean of the covered input', () => {
  const src = randomImage(20, 20, 2);
  const scale = 1.5, x0 = 0.3, y0 = 1.7;
  const out = resampleRgb(src, { width: 11, height: 10, scale, x0, y0 });
  const overlap = (a: number, b: number, j: number) => Math.max(0, Math.min(b, j + 1) - Math.max(a, j));
  for (const [x, y] of [[0, 0], [3, 4], [10, 9], [7, 2]] as const) {
    const ax = x0 + x * scale, ay = y0 + y * scale;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) sum += overlap(ax, ax + scale, i) * overlap(ay, ay + scale, j) * px(src, i, j, c);
      // horizontal pass in float32, then the vertical one: within one grey level of the exact mean
      assert.ok(Math.abs(px(out, x, y, c) - sum / (scale * scale)) <= 0.5 + 1e-3, `(${x},${y},${c}): ${px(out, x, y, c)} vs ${sum / scale / scale}`);
    }
  }
});

test('Lanczos-3 2x up: constants stay constant, a smooth band-limited pattern is reproduced', () => {
  const flat = createRgbImage(9, 7, new Uint8Array(9 * 7 * 3).fill(137));
  const up = resampleRgb(flat, { width: 18, height: 14, scale: 0.5 });
  assert.ok(up.data.every((v) => v === 137));
  // A cosine of period 12 px (well inside the band), sampled at pixel centres.
  const W = 48, f = (x: number) => 128 + 100 * Math.cos((2 * Math.PI * x) / 12);
  const src = createRgbImage(W, 4, Uint8Array.from({ length: W * 4 * 3 }, (_, i) => Math.round(f(Math.floor(i / 3) % W + 0.5))));
  const big = resampleRgb(src, { width: 2 * W, height: 8, scale: 0.5 });
  let worst = 0;
  for (let x = 12; x < 2 * W - 12; x++) worst = Math.max(worst, Math.abs(px(big, x, 4, 0) - f((x + 0.5) * 0.5)));
  assert.ok(worst <= 2, `max error ${worst} grey levels`);
  // Linear interpolation of the same samples is visibly worse (it blurs): the test can tell them apart.
  let linWorst = 0;
  for (let x = 12; x < 2 * W - 12; x++) {
    const c = (x + 0.5) * 0.5 - 0.5, j = Math.floor(c), t = c - j;
    const v = (1 - t) * Math.round(f(j + 0.5)) + t * Math.round(f(j + 1.5));
    linWorst = Math.max(linWorst, Math.abs(v - f((x + 0.5) * 0.5)));
  }
  assert.ok(linWorst > worst + 1, `linear ${linWorst} vs Lanczos ${worst}`);
});

test('a window cut with its margin resamples to exactly the pixels of the whole image (chunks agree)', () => {
  const src = randomImage(64, 48, 3);
  for (const scale of [2, 1.5, 0.5, 0.8, 1.25]) {
    const W = Math.floor(64 / scale), H = Math.floor(48 / scale);
    const whole = resampleRgb(src, { width: W, height: H, scale });
    // An interior rectangle of the output, read from a window of the input.
    const x = 7, y = 5, w = Math.floor(W / 2), h = Math.floor(H / 2);
    const m = resampleMargin(scale);
    const wx = Math.max(0, Math.floor(x * scale) - m), wy = Math.max(0, Math.floor(y * scale) - m);
    const ww = Math.ceil((x + w) * scale) + m - wx, wh = Math.ceil((y + h) * scale) + m - wy;
    const win = cropImage(src, wx, wy, Math.min(ww, 64 - wx), Math.min(wh, 48 - wy));
    const part = resampleRgb(win, { width: w, height: h, scale, x0: x * scale - wx, y0: y * scale - wy });
    assert.deepEqual(part.data, cropImage(whole, x, y, w, h).data, `scale ${scale}`);
  }
});

test('scale 1 at a whole-pixel offset copies; resampleToMpp keeps the field of view', () => {
  const src = randomImage(30, 20, 4);
  assert.deepEqual(resampleRgb(src, { width: 10, height: 5, scale: 1, x0: 4, y0: 6 }).data, cropImage(src, 4, 6, 10, 5).data);
  assert.equal(resampleToMpp(src, 0.5, 0.5), src);
  const down = resampleToMpp(src, 0.25, 0.5);
  assert.deepEqual([down.width, down.height], [15, 10]);
  const up = resampleToMpp(src, 0.5, 0.25);
  assert.deepEqual([up.width, up.height], [60, 40]);
  const odd = resampleToMpp(randomImage(1025, 1025, 5), 0.25, 0.5);
  assert.deepEqual([odd.width, odd.height], [512, 512]);
  assert.throws(() => resampleRgb(src, { width: 10, height: 10, scale: 0 }), { message: 'Expected number between 0.001 and 1000 for scale but received 0' });
  assert.throws(() => resampleToMpp(src, -1, 0.5), { message: 'Expected number between 0.0001 and 1000 for image mpp but received -1' });
});
