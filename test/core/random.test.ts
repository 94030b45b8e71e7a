/**
 * The seeded generators and deriveSeed. Golden values pin the streams: synthetic data, crop
 * plans and training runs are promised byte-identical for a seed, across versions too, so a
 * change here must be a deliberate one (and bump what it invalidates).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Mulberry32, Rng, deriveSeed } from '../../src/core/random.js';
import { addSensorNoise, defocusImage } from '../../src/synth/defocus.js';
import { planCrop } from '../../src/synth/dataset.js';
import { applyFocusGradient, makeTissueLikeImage } from '../../src/synth/tissue-image.js';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('Rng (xoshiro128**) stream and state are pinned', () => {
  const r = new Rng(1);
  assert.deepEqual(Array.from({ length: 4 }, () => r.nextUint32()), [2442144158, 3238099751, 3819917871, 2104621829]);
  assert.equal(r.int(1000), 470);
  assert.deepEqual(r.getState(), [2849309364, 859726712, 2664924778, 1988903446]);
  const resumed = new Rng(r.getState());
  assert.equal(resumed.nextUint32(), r.nextUint32());
});

test('Mulberry32 stream and deriveSeed are pinned', () => {
  const m = new Mulberry32(42);
  assert.deepEqual(Array.from({ length: 4 }, () => m.nextUint32()), [2581720956, 1925393290, 3661312704, 2876485805]);
  assert.equal(deriveSeed(1, 'noise', 'abc', 3), 4266713504);
  assert.equal(deriveSeed(0xffffffff, 'crop', 'x'), 2320023822);
});

test('what the generators feed is pinned: tissue texture, sensor noise, focus gradient, crop plans', () => {
  const img = makeTissueLikeImage(96, 64, 7);
  assert.equal(sha(img.data), 'd64f685fa236b03741706edc9150a294956050f966ddcdcbc79baf06028154f4');
  assert.equal(sha(addSensorNoise(defocusImage(img, 3.5), 2, deriveSeed(1, 'noise', 't', 3)).data), '8d07defcb581a250dc48203fba24ad34a525be631e138f03cab87b4af6a19d02');
  assert.equal(sha(applyFocusGradient(img, 6).data), '6bfc1b7bee7232819faf4e1babcfe224ca9f229c3e116c8bc12cdbd4e62f4d1e');
  assert.deepEqual(planCrop(300, 220, 96, new Mulberry32(deriveSeed(1, 'crop', 'abc'))), { x: 89, y: 49, width: 96, height: 96, padded: false });
  assert.deepEqual(planCrop(50, 200, 64, new Mulberry32(1)), { x: 0, y: 85, width: 50, height: 64, padded: true });
});

test('deriveSeed is deterministic and separates its inputs', () => {
  assert.equal(deriveSeed(1, 'noise', 'abc', 3), deriveSeed(1, 'noise', 'abc', 3));
  const seeds = new Set([deriveSeed(1, 'noise', 'abc', 3), deriveSeed(2, 'noise', 'abc', 3), deriveSeed(1, 'crop', 'abc', 3), deriveSeed(1, 'noise', 'abc', 4), deriveSeed(1, 'noise', 'ab', 'c3')]);
  assert.equal(seeds.size, 5);
});

test('Mulberry32 is deterministic, uniform in [0, 1) and bounded for int()', () => {
  const a = new Mulberry32(42);
  const b = new Mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a.uniform());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.uniform()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.03, `mean ${mean}`);
  const c = new Mulberry32(0xffffffff);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[c.int(3)]!++;
  assert.ok(counts.every((k) => k > 900), `counts ${counts}`);
  assert.notDeepEqual(Array.from({ length: 4 }, () => new Mulberry32(1).nextUint32()), Array.from({ length: 4 }, () => new Mulberry32(2).nextUint32()));
  assert.throws(() => new Mulberry32(-1), /Expected integer between 0 and 4294967295 for seed but received -1/);
});

test('Rng rejects bad seeds and states', () => {
  assert.throws(() => new Rng(-1), /Expected integer between 0 and 4294967295 for seed but received -1/);
  assert.throws(() => new Rng([0, 0, 0, 0]), /all-zero RNG state is invalid/);
  assert.throws(() => new Rng([1, 2, 3] as never), /Expected four uint32 words for an RNG state/);
  assert.throws(() => new Rng(1).int(0), /Expected integer between 1 and 4294967296 for range but received 0/);
});
