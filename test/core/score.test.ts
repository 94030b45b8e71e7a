/**
 * The score scales' output rule (one function, core/score.ts): z-level scores are never below 0,
 * for the image score (the original's clamp of the mean) and for every crop score reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRgbImage } from '../../src/core/image.js';
import { createModel, type ScoreScale } from '../../src/core/model.js';
import { applyScaleRule, applyScaleRuleAll, defaultThreshold, gridOrigins, heatmapThreshold, Z_LEVEL_THRESHOLD, imageScoreOf, scoreCrops, scoreRgbImage } from '../../src/core/score.js';
import { cropGrid } from '../../src/core/grid.js';
import { referenceKernel } from '../../src/core/kernels/reference.js';

test('applyScaleRule: z-level clamps at 0, relative is untouched, NaN stays NaN', () => {
  assert.equal(applyScaleRule('z-level', -2.5), 0);
  assert.equal(applyScaleRule('z-level', 3.25), 3.25);
  assert.equal(applyScaleRule('z-level', 0), 0);
  assert.ok(Number.isNaN(applyScaleRule('z-level', NaN)));
  assert.equal(applyScaleRule('relative', -2.5), -2.5);
  assert.deepEqual(Array.from(applyScaleRuleAll('z-level', new Float64Array([-1, 2, -0.5]))), [0, 2, 0]);
  assert.deepEqual(Array.from(applyScaleRuleAll('relative', new Float64Array([-1, 2]))), [-1, 2]);
  // The image score clamps the mean of the raw outputs (the original's order), not the mean of clamped crops.
  assert.equal(imageScoreOf('z-level', [-3, 1]), 0);
  assert.equal(imageScoreOf('z-level', [-1, 3]), 1);
  assert.equal(imageScoreOf('relative', [-3, 1]), -1);
});

/** A 1-kernel model whose crop score is the darkest 7x7 patch sum minus a bias: dark crops go below 0. */
function model(scale: ScoreScale) {
  return createModel({ kernels: 1, scale, convWeight: new Float32Array(147).fill(0.02), convBias: [-1] });
}

/** Brightness rising left to right, so crops on the left score lower than those on the right. */
function gradientImage(w: number, h: number) {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(Math.round((255 * x) / (w - 1)), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return createRgbImage(w, h, data);
}

test('scoreRgbImage: z-level crop scores are clamped at 0, the image score is the clamped raw mean', () => {
  const image = gradientImage(747, 235); // 5 crops in a row
  const grid = cropGrid(image.width, image.height, 235, 128);
  const { xs, ys } = gridOrigins(grid);
  const raw = scoreCrops(model('z-level'), referenceKernel, image, xs, ys, 235);
  assert.ok(raw.some((v) => v < 0) && raw.some((v) => v > 0), `raw outputs of both signs: ${Array.from(raw)}`);
  const z = scoreRgbImage(model('z-level'), referenceKernel, image);
  assert.deepEqual(Array.from(z.crops), Array.from(raw, (v) => Math.max(0, v)), 'every reported crop score >= 0');
  let sum = 0;
  for (const v of raw) sum += v;
  assert.equal(z.score, Math.max(0, sum / raw.length));
  const rel = scoreRgbImage(model('relative'), referenceKernel, image);
  assert.deepEqual(Array.from(rel.crops), Array.from(raw), 'relative scores are the raw outputs');
  assert.equal(rel.score, sum / raw.length);
});

test('one default-threshold rule: carried, else 3 on the z-level scale, else none; heat maps fall back to the median', () => {
  assert.equal(defaultThreshold('z-level'), Z_LEVEL_THRESHOLD);
  assert.equal(Z_LEVEL_THRESHOLD, 3);
  assert.equal(defaultThreshold('relative'), null, 'a relative scale has no absolute level');
  assert.equal(defaultThreshold('relative', { value: 0.7 }), 0.7, 'a threshold the model carries wins');
  assert.equal(defaultThreshold('z-level', { value: 2.5 }), 2.5);
  assert.equal(defaultThreshold('z-level', null), 3);
  const crops = [5, 1, 4, 2, 3, 6];
  assert.equal(heatmapThreshold('relative', crops), 4, 'upper median of the crop scores');
  assert.equal(heatmapThreshold('relative', crops, -1), -1, 'given wins');
  assert.equal(heatmapThreshold('relative', crops, undefined, { value: 2 }), 2);
  assert.equal(heatmapThreshold('z-level', crops), 3);
});
