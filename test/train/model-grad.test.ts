import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRgbImage } from '../../src/core/image.js';
import { referenceKernel } from '../../src/core/kernels/reference.js';
import type { ConvWeights } from '../../src/core/kernels/types.js';
import { parameterCount, type Pooling } from '../../src/core/model.js';
import { scoreCrops } from '../../src/core/score.js';
import { mseLoss, plccLoss } from '../../src/train/losses.js';
import {
  TAPS, backward, concatForward, cropScores, extractPatch, forwardCrops, initParams, paramLayout, paramsFromModel, paramsToModel,
  type ParamLayout,
} from '../../src/train/model-grad.js';
import { rng } from '../helpers.js';

const CROP = 22; // 4x4 conv map: small enough to check every parameter, row/col 0 touch the padding

function randomImage(w: number, h: number, seed: number) {
  const r = rng(seed);
  return createRgbImage(w, h, Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
}

/** The conv part viewed in float64: the reference kernel computes in double, so finite differences are exact. */
function f64Weights(layout: ParamLayout, p: Float64Array): ConvWeights {
  return {
    kernels: layout.kernels,
    convWeight: p.subarray(0, layout.kernels * TAPS) as unknown as Float32Array,
    convBias: p.subarray(layout.convBias, layout.convBias + layout.kernels) as unknown as Float32Array,
  };
}

const image = randomImage(70, 64, 3);
const xs = [0, 48, 13, 30, 0, 48, 21];
const ys = [0, 42, 7, 25, 42, 0, 11];
const targets = [0, 5, 1, 3, 2, 4, 1.5];
let paddedExtrema = 0;

for (const [kernels, pooling] of [[1, 'min'], [3, 'min'], [2, 'min-max'], [1, 'min-max']] as Array<[number, Pooling]>) {
  for (const loss of [plccLoss, mseLoss]) {
    test(`model gradient (${kernels} kernel(s), ${pooling}, ${loss.name}) matches float64 central differences for every parameter`, () => {
      const layout = paramLayout({ kernels, pooling });
      const params = initParams(layout, rng(kernels * 10 + pooling.length));
      const lossAt = (p: Float64Array): number => {
        const fwd = forwardCrops(referenceKernel, f64Weights(layout, p), pooling, image, xs, ys, CROP, false);
        return loss(cropScores(layout, p, fwd), targets).loss;
      };
      const fwd = forwardCrops(referenceKernel, f64Weights(layout, params), pooling, image, xs, ys, CROP, true);
      const { grad: dScores } = loss(cropScores(layout, params, fwd), targets);
      const grad = new Float64Array(layout.total);
      backward(layout, params, fwd, dScores, grad);
      const eps = 1e-7;
      for (let i = 0; i < layout.total; i++) {
        const keep = params[i]!;
        params[i] = keep + eps; const up = lossAt(params);
        params[i] = keep - eps; const down = lossAt(params);
        params[i] = keep;
        const num = (up - down) / (2 * eps);
        assert.ok(Math.abs(grad[i]! - num) <= 1e-6 * Math.max(1, Math.abs(num)), `param ${i}: analytic ${grad[i]} vs numeric ${num}`);
      }
      // count extrema whose patch lies partly on the crop's zero padding (map row 0 or column 0)
      for (const arg of [fwd.patchMin!, fwd.patchMax]) {
        if (!arg) continue;
        for (let j = 0; j < arg.length; j += TAPS) if (arg[j] === 0 && arg[j + 1] === 0 && arg[j + 6] === 0) paddedExtrema++;
      }
    });
  }
}

test('the gradient checks above covered extrema on the zero padding', () => {
  assert.ok(paddedExtrema > 0, 'no checked extremum touched the padding: change the crops');
});

test('cropScores agree with the core scorer on the float32 model', () => {
  const layout = paramLayout({ kernels: 3, pooling: 'min-max' });
  const params = initParams(layout, rng(5));
  const model = paramsToModel(layout, params, 'relative', { source: 'test' });
  const ours = cropScores(layout, params, forwardCrops(referenceKernel, model, 'min-max', image, xs, ys, CROP, false));
  const core = scoreCrops(model, referenceKernel, image, xs, ys, CROP);
  for (let i = 0; i < xs.length; i++) assert.ok(Math.abs(ours[i]! - core[i]!) < 1e-5, `${ours[i]} vs ${core[i]}`);
  const back = paramsFromModel(model);
  assert.equal(back.length, params.length);
  for (let i = 0; i < params.length; i++) assert.ok(Math.abs(back[i]! - params[i]!) < 1e-7);
});

test('extractPatch returns the input under a map position, zero on the padding', () => {
  const img = createRgbImage(12, 12, Uint8Array.from({ length: 12 * 12 * 3 }, (_, i) => (i % 250) + 1));
  const out = new Uint8Array(TAPS);
  extractPatch(img, 0, 0, 12, 0, out, 0); // map position (0,0): first patch row/col on the padding
  for (let ch = 0; ch < 3; ch++) {
    for (let a = 0; a < 7; a++) {
      for (let b = 0; b < 7; b++) {
        const v = out[ch * 49 + a * 7 + b]!;
        if (a === 0 || b === 0) assert.equal(v, 0);
        else assert.equal(v, img.data[((a - 1) * 12 + (b - 1)) * 3 + ch]);
      }
    }
  }
});

test('parameter layout and PyTorch-default init', () => {
  for (const spec of [{ kernels: 1, pooling: 'min' }, { kernels: 10, pooling: 'min' }, { kernels: 2, pooling: 'min-max' }] as const) {
    const layout = paramLayout(spec);
    assert.equal(layout.total, parameterCount(spec));
    const p = initParams(layout, rng(1));
    const convBound = 1 / Math.sqrt(147);
    for (let i = 0; i < layout.convBias + spec.kernels; i++) assert.ok(Math.abs(p[i]!) <= convBound);
    if (layout.linear) for (let i = layout.fcWeight; i < layout.total; i++) assert.ok(Math.abs(p[i]!) <= 1 / Math.sqrt(layout.features));
    assert.deepEqual(Array.from(initParams(layout, rng(1))), Array.from(p));
  }
  assert.equal(paramLayout({ kernels: 1, pooling: 'min' }).total, 148);
  assert.throws(() => paramLayout({ kernels: 0, pooling: 'min' }), /Expected integer between 1 and 1024 for kernels but received 0/);
});

test('concatForward joins chunks in order', () => {
  const layout = paramLayout({ kernels: 2, pooling: 'min-max' });
  const w = paramsToModel(layout, initParams(layout, rng(9)), 'relative', { source: 'test' });
  const all = forwardCrops(referenceKernel, w, 'min-max', image, xs, ys, CROP, true);
  const a = forwardCrops(referenceKernel, w, 'min-max', image, xs.slice(0, 3), ys.slice(0, 3), CROP, true);
  const b = forwardCrops(referenceKernel, w, 'min-max', image, xs.slice(3), ys.slice(3), CROP, true);
  assert.deepEqual(concatForward([a, b]), all);
});
