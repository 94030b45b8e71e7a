import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, stepLr } from '../../src/train/adam.js';
import { Rng } from '../../src/core/random.js';
import { splitValidation } from '../../src/train/split.js';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('Adam matches hand-computed PyTorch steps', () => {
  const p = Float64Array.of(1, -2);
  const adam = new Adam(2);
  // step 1: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps)
  adam.update(p, [0.5, -1], 0.1);
  close(p[0]!, 1 - (0.1 * 0.5) / (0.5 + 1e-8));
  close(p[1]!, -2 + (0.1 * 1) / (1 + 1e-8));
  // steps 2 and 3 (values from an independent float64 evaluation of torch.optim.Adam's update rule)
  adam.update(p, [0.1, 0.3], 0.1);
  close(p[0]!, 0.8196959063846517);
  close(p[1]!, -1.8572151424292265);
  adam.update(p, [-0.2, 0], 0.1);
  close(p[0]!, 0.7852605318354889);
  close(p[1]!, -1.8241423228510014);
  assert.equal(adam.step, 3);
});

test('Adam state round-trips: restored optimiser continues identically', () => {
  const a = new Adam(3);
  const pa = Float64Array.of(0.1, 0.2, 0.3);
  a.update(pa, [1, -2, 3], 0.01);
  const b = new Adam(3);
  b.setState(JSON.parse(JSON.stringify({ ...a.getState(), m: Array.from(a.m), v: Array.from(a.v) })) as { step: number; m: number[]; v: number[] });
  const pb = Float64Array.from(pa);
  a.update(pa, [0.5, 0.5, -1], 0.01);
  b.update(pb, [0.5, 0.5, -1], 0.01);
  assert.deepEqual(Array.from(pb), Array.from(pa));
  assert.throws(() => b.setState({ step: 1, m: [0], v: [0] }), /Expected Adam moments of length 3/);
  assert.throws(() => a.update(pa, [1], 0.1), /Expected 3 parameters and gradients but received 3 and 1/);
});

test('StepLR multiplies by 0.1 every step epochs', () => {
  assert.equal(stepLr(0.01, 0, 60), 0.01);
  assert.equal(stepLr(0.01, 59, 60), 0.01);
  close(stepLr(0.01, 60, 60), 0.001, 1e-15);
  close(stepLr(0.01, 119, 60), 0.001, 1e-15);
  close(stepLr(0.01, 120, 60), 0.0001, 1e-16);
  assert.throws(() => stepLr(0.01, 0, 0), /Expected positive integer for step size but received 0/);
});

test('Rng: seeded, restorable from its state, uniform in range', () => {
  const a = new Rng(1);
  const first = Array.from({ length: 5 }, () => a.nextUint32());
  const b = new Rng(1);
  assert.deepEqual(Array.from({ length: 5 }, () => b.nextUint32()), first);
  assert.notDeepEqual(Array.from({ length: 5 }, () => new Rng(2).nextUint32()), first);
  const c = new Rng(b.getState());
  assert.deepEqual(Array.from({ length: 20 }, () => c.uniform()), Array.from({ length: 20 }, () => b.uniform()));
  const counts = new Array<number>(7).fill(0);
  const r = new Rng(3);
  for (let i = 0; i < 7000; i++) counts[r.int(7)]!++;
  for (const n of counts) assert.ok(n > 850 && n < 1150, `bucket count ${n}`);
  const arr = [0, 1, 2, 3, 4, 5, 6, 7];
  r.shuffle(arr);
  assert.deepEqual([...arr].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.throws(() => new Rng(-1), /Expected integer between 0 and 4294967295 for seed but received -1/);
});

test('validation split keeps groups together and is seeded', () => {
  const items = Array.from({ length: 60 }, (_, i) => ({ id: i, group: `slide${i % 6}` }));
  const { train, val } = splitValidation(items, 0.2, 1);
  assert.equal(train.length + val.length, 60);
  const trainGroups = new Set(train.map((i) => i.group));
  for (const v of val) assert.ok(!trainGroups.has(v.group), `group ${v.group} on both sides`);
  assert.ok(val.length >= 10 && val.length <= 20);
  assert.deepEqual(splitValidation(items, 0.2, 1).val, val);
  const ungrouped = Array.from({ length: 10 }, (_, i) => ({ id: i }));
  assert.equal(splitValidation(ungrouped, 0.3, 2).val.length, 3);
  assert.equal(splitValidation(ungrouped, 0, 2).val.length, 0);
  assert.throws(() => splitValidation(ungrouped, 1, 2), /Expected number in \[0, 1\) for validation fraction but received 1/);
});
