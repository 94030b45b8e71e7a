import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../src/core/image.js';
import { defocusImage } from '../../src/synth/defocus.js';
import { assessTissue, rejectReason } from '../../src/synth/dataset.js';
import { applyFocusGradient, focusGradientLevel, makeTissueLikeImage } from '../../src/synth/tissue-image.js';

function columnBandEnergy(img: RgbImage, x0: number, x1: number): number {
  const { width: w, height: h, data } = img;
  const g = (x: number, y: number): number => {
    const i = (y * w + x) * 3;
    return 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  };
  let s = 0, n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = Math.max(1, x0); x < Math.min(w - 1, x1); x++) {
      const l = 4 * g(x, y) - g(x - 1, y) - g(x + 1, y) - g(x, y - 1) - g(x, y + 1);
      s += l * l;
      n++;
    }
  }
  return s / n;
}

function flipX(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3, d = (y * img.width + img.width - 1 - x) * 3;
      out.set(img.data.subarray(s, s + 3), d);
    }
  }
  return { width: img.width, height: img.height, data: out };
}

/** Pixel classes by colour: white gap, purple-blue nucleus, pink stroma. */
function colourClasses(img: RgbImage): { white: number; nucleus: number; pink: number } {
  let white = 0, nucleus = 0, pink = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * 3]!, g = img.data[i * 3 + 1]!, b = img.data[i * 3 + 2]!;
    if (r > 225 && g > 225 && b > 225) white++;
    else if (b > r && r < 150) nucleus++;
    else if (r > g + 25 && b > g) pink++;
  }
  return { white: white / n, nucleus: nucleus / n, pink: pink / n };
}

test('makeTissueLikeImage is deterministic per seed and H&E-like', () => {
  const a = makeTissueLikeImage(256, 192, 5);
  const b = makeTissueLikeImage(256, 192, 5);
  const c = makeTissueLikeImage(256, 192, 6);
  assert.equal(a.width, 256);
  assert.equal(a.height, 192);
  assert.equal(a.data.length, 256 * 192 * 3);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  const big = makeTissueLikeImage(512, 512, 1);
  const classes = colourClasses(big);
  assert.ok(classes.pink > 0.5, `pink ${classes.pink}`);
  assert.ok(classes.nucleus > 0.05 && classes.nucleus < 0.4, `nuclei ${classes.nucleus}`);
  assert.ok(classes.white > 0.06 && classes.white < 0.2, `white ${classes.white}`);
  // a usable in-focus synth source
  assert.equal(rejectReason(assessTissue(big)), null);
  assert.throws(() => makeTissueLikeImage(0, 10, 1), /Expected integer between 1 and 16384 for width but received 0/);
  assert.throws(() => makeTissueLikeImage(10, 10, -1), /Expected integer between 0 and 4294967295 for seed but received -1/);
});

test('focusGradientLevel rises linearly from 0 to maxLevel in the given direction', () => {
  assert.equal(focusGradientLevel(0, 5, 101, 50, 10), 0);
  assert.equal(focusGradientLevel(100, 5, 101, 50, 10), 10);
  assert.equal(focusGradientLevel(50, 5, 101, 50, 10), 5);
  assert.equal(focusGradientLevel(0, 0, 101, 50, 10, 'right-to-left'), 10);
  assert.equal(focusGradientLevel(3, 49, 101, 50, 7, 'top-to-bottom'), 7);
  assert.equal(focusGradientLevel(3, 49, 101, 50, 7, 'bottom-to-top'), 0);
  assert.equal(focusGradientLevel(0, 0, 1, 1, 7), 0);
});

test('applyFocusGradient: sharp at the start, blurrier band by band, exact at the nodes', () => {
  const img = makeTissueLikeImage(321, 96, 3);
  const out = applyFocusGradient(img, 8);
  // column 0 is level 0 (untouched), the last column is level 8 exactly
  const level8 = defocusImage(img, 8);
  for (let y = 0; y < img.height; y++) {
    for (let c = 0; c < 3; c++) {
      assert.equal(out.data[(y * 321) * 3 + c], img.data[(y * 321) * 3 + c]);
      assert.equal(out.data[(y * 321 + 320) * 3 + c], level8.data[(y * 321 + 320) * 3 + c]);
    }
  }
  // the column at level 4 (x = 160) equals the image blurred at level 4 there
  const level4 = defocusImage(img, 4);
  for (let y = 0; y < img.height; y++) assert.equal(out.data[(y * 321 + 160) * 3], level4.data[(y * 321 + 160) * 3]);
  // the share of high-frequency energy kept falls band by band (relative to the same band of
  // the sharp image, so the bands' different content does not matter)
  let prev = Infinity;
  for (let x0 = 0; x0 < 320; x0 += 64) {
    const kept = columnBandEnergy(out, x0, x0 + 64) / columnBandEnergy(img, x0, x0 + 64);
    assert.ok(kept < prev, `band at ${x0}: ${kept} !< ${prev}`);
    prev = kept;
  }
  assert.ok(prev < 0.1, `the last band keeps ${prev} of its energy`);
  assert.deepEqual(applyFocusGradient(img, 0).data, img.data);
});

test('applyFocusGradient directions: right-to-left mirrors, top-to-bottom follows rows', () => {
  const img = makeTissueLikeImage(120, 90, 4);
  const ltr = applyFocusGradient(img, 5, 'left-to-right');
  const rtl = applyFocusGradient(img, 5, 'right-to-left');
  const ttb = applyFocusGradient(img, 5.5, 'top-to-bottom');
  assert.ok(columnBandEnergy(ltr, 0, 30) > columnBandEnergy(rtl, 0, 30));
  assert.ok(columnBandEnergy(ltr, 90, 120) < columnBandEnergy(rtl, 90, 120));
  // blur commutes with mirroring (symmetric PSF, mirrored borders): rtl = flip(ltr(flip(img))),
  // up to float rounding (the prefix sums run left to right)
  const mirrored = flipX(applyFocusGradient(flipX(img), 5, 'left-to-right'));
  assert.ok(rtl.data.every((v, i) => Math.abs(v - mirrored.data[i]!) <= 1));
  // top rows untouched, bottom rows blurred at 5.5
  assert.deepEqual(ttb.data.subarray(0, 120 * 3), img.data.subarray(0, 120 * 3));
  // the PSF's rows are horizontal boxes, so blurring the transposed image differs by rounding only
  const bottom = defocusImage(img, 5.5);
  let maxDiff = 0;
  for (let i = 89 * 120 * 3; i < img.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ttb.data[i]! - bottom.data[i]!));
  assert.ok(maxDiff <= 2, `bottom row differs from level 5.5 by up to ${maxDiff}`);
  assert.throws(() => applyFocusGradient(img, -1), /Expected number between 0 and 64 for maxLevel but received -1/);
  assert.throws(() => applyFocusGradient(img, 2, 'diagonal' as never), /Expected one of left-to-right, right-to-left, top-to-bottom, bottom-to-top for direction/);
});
