import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossFunction, maeLoss, mseLoss, plccLoss, type LossName } from '../../src/train/losses.js';
import { rng } from '../helpers.js';

function numericGrad(f: (x: Float64Array) => number, x: Float64Array, eps: number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + eps; const up = f(x);
    x[i] = keep - eps; const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

for (const name of ['plcc', 'mse', 'mae'] as LossName[]) {
  test(`${name} loss: analytic gradient matches central differences`, () => {
    const r = rng(11);
    const pred = Float64Array.from({ length: 17 }, () => r() * 4 - 2);
    // targets far from the predictions so MAE has no kink within eps
    const target = Float64Array.from({ length: 17 }, (_, i) => (i % 6) + (r() - 0.5) * 0.3 + (pred[i]! > 0 ? 3 : -3));
    const f = lossFunction(name);
    const { grad } = f(pred, target);
    const num = numericGrad((x) => f(x, target).loss, Float64Array.from(pred), 1e-6);
    for (let i = 0; i < pred.length; i++) assert.ok(Math.abs(grad[i]! - num[i]!) < 1e-7, `${name} grad[${i}] ${grad[i]} vs ${num[i]}`);
  });
}

test('plcc loss is minus the Pearson correlation and is scale and shift invariant', () => {
  const pred = [1, 2, 3, 4];
  assert.ok(Math.abs(plccLoss(pred, [2, 4, 6, 8]).loss + 1) < 1e-12);
  assert.ok(Math.abs(plccLoss(pred, [8, 6, 4, 2]).loss - 1) < 1e-12);
  const a = plccLoss([0.1, 0.5, 0.2, 0.9], [0, 1, 2, 3]).loss;
  const b = plccLoss([10.1 * 3, 10.5 * 3, 10.2 * 3, 10.9 * 3], [0, 1, 2, 3]).loss;
  assert.ok(Math.abs(a - b) < 1e-12);
});

test('plcc loss is flagged undefined (not NaN) for constant predictions or targets', () => {
  const r = plccLoss([1, 1, 1], [0, 1, 2]);
  assert.equal(r.defined, false);
  assert.equal(r.loss, 0);
  assert.deepEqual(Array.from(r.grad), [0, 0, 0]);
  assert.equal(plccLoss([0, 1, 2], [5, 5, 5]).defined, false);
});

test('mse and mae values', () => {
  assert.equal(mseLoss([1, 2], [0, 4]).loss, 2.5);
  assert.equal(maeLoss([1, 2], [0, 4]).loss, 1.5);
  assert.deepEqual(Array.from(maeLoss([1, 4], [1, 0]).grad), [0, 0.5]);
});

test('losses validate their inputs', () => {
  assert.throws(() => mseLoss([1, 2], [1]), /Expected as many targets as predictions but received 1 and 2/);
  assert.throws(() => plccLoss([], []), /at least one prediction/);
  assert.throws(() => lossFunction('l2' as LossName), /Expected one of plcc, mse, mae for loss but received l2/);
});
