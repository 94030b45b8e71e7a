import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupBootstrap, pooledSrcc, separatingThreshold, type GroupedScore } from '../../src/eval/bootstrap.js';

function rows(groups: number, perGroup: number, offset: (g: number) => number): GroupedScore[] {
  const out: GroupedScore[] = [];
  for (let g = 0; g < groups; g++) for (let z = 0; z < perGroup; z++) out.push({ group: `t${g}`, score: z + offset(g), target: z });
  return out;
}

test('group bootstrap: a perfect ranking has a degenerate interval at 1; group offsets widen it', () => {
  const perfect = groupBootstrap(rows(5, 8, () => 0), pooledSrcc, { resamples: 300 });
  assert.equal(perfect.value, 1);
  assert.equal(perfect.lo, 1);
  assert.equal(perfect.hi, 1);
  assert.equal(perfect.groups, 5);
  // each tile at its own offset: pooled SRCC falls and the interval has width
  const offsets = [0, 5, -3, 8, 2, -6, 4];
  const noisy = groupBootstrap(rows(7, 8, (g) => offsets[g]!), pooledSrcc, { resamples: 500 });
  assert.ok(noisy.value < 0.9, `${noisy.value}`);
  assert.ok(noisy.lo < noisy.value && noisy.value < noisy.hi, `${noisy.lo} ${noisy.value} ${noisy.hi}`);
  // reproducible for a seed
  assert.deepEqual(groupBootstrap(rows(7, 8, (g) => offsets[g]!), pooledSrcc, { resamples: 500 }), noisy);
  assert.throws(() => groupBootstrap([], pooledSrcc), /no rows/);
});

test('separating threshold: the midpoint of a gap, else the least balanced error, with the rates', () => {
  const gap = separatingThreshold([0.1, 0.5, 0.9], [2, 3.5, 4]);
  assert.equal(gap.value, 1.45);
  assert.equal(gap.separates, true);
  assert.equal(gap.negativesAbove, 0);
  assert.equal(gap.positivesBelow, 0);
  const overlap = separatingThreshold([0, 1, 2, 5], [3, 4, 6, 7]);
  assert.equal(overlap.separates, false);
  // 2.5 misclassifies only the 5 (1 of 4 negatives); 5.5 only misses 3 and 4 (2 of 4): 2.5 wins
  assert.equal(overlap.value, 2.5);
  assert.equal(overlap.negativesAbove, 1);
  assert.equal(overlap.positivesBelow, 0);
  assert.throws(() => separatingThreshold([], [1]), /needs in-focus and blurred/);
});

