/** The plot builders: ticks, histogram bins, and SVGs that hold what they claim. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rocCurve, rocAuc } from '../../src/core/stats.js';
import type { Comparison, MethodResult } from '../../src/eval/compare.js';
import { comparisonPlots, histogram, niceTicks, tickLabel } from '../../src/eval/plots.js';

test('niceTicks: 1/2/5 steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
  assert.deepEqual(niceTicks(-0.3, 6.3, 5).filter(Number.isInteger), [0, 2, 4, 6]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  assert.equal(tickLabel(0.6000000000000001), '0.6');
  assert.equal(tickLabel(123456), '1e5');
});

test('histogram: equal bins, the maximum in the last one, non-finite values ignored', () => {
  assert.deepEqual(histogram([0, 0.1, 0.5, 0.99, 1, NaN], 0, 1, 4), [2, 0, 1, 2]);
  assert.deepEqual(histogram([2, 2], 2, 2, 3), [2, 0, 0]);
});

test('rocCurve runs from (0,0) to (1,1) and its trapezoids are rocAuc', () => {
  const scores = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2];
  const labels = [0, 0, 1, 1, 0, 1];
  const pts = rocCurve(scores, labels);
  assert.deepEqual(pts[0], { fpr: 0, tpr: 0 });
  assert.deepEqual(pts.at(-1), { fpr: 1, tpr: 1 });
  let area = 0;
  for (let i = 1; i < pts.length; i++) area += ((pts[i]!.fpr - pts[i - 1]!.fpr) * (pts[i]!.tpr + pts[i - 1]!.tpr)) / 2;
  assert.ok(Math.abs(area - rocAuc(scores, labels)) < 1e-15);
});

function method(key: string, kind: 'data-driven' | 'knowledge-based', scores: number[], auc: number | undefined, ms: number): MethodResult {
  return {
    key, label: key.toUpperCase(), unit: 'image',
    info: { name: key, label: key, kind, parameters: 0, scale: 'relative', nativeUnit: 'image' },
    scores: Float64Array.from(scores), computeMs: Float64Array.from(scores, () => ms), failures: [],
    metrics: { n: scores.length, srcc: 0.5, plcc: 0.5, ...(auc !== undefined ? { rocAuc: auc, ap: auc } : {}) },
    msPer1024: ms, scored: scores.map((_, i) => i),
  };
}

test('the four plots of a labelled comparison; a dataset without labels gets the scatter only', () => {
  const target = Float64Array.from([0, 1, 2, 3, 4, 5]);
  const labels = [0, 0, 0, 1, 1, 1];
  const c: Comparison = {
    dataset: { format: 'focuspath', list: 'l.txt', images: '.', n: 6, positives: 3 },
    targets: { target, labels, protocol: 'p' },
    items: [],
    methods: [method('alpha', 'data-driven', [1, 2, 3, 4, 5, 6], 1, 2), method('beta', 'knowledge-based', [3, 1, 2, 6, 4, 5], 0.9, 150)],
    imageFailures: [],
    threads: 1,
    seconds: 1,
  };
  const plots = comparisonPlots(c);
  assert.deepEqual(plots.map((p) => p.name), ['scatter', 'histograms', 'roc', 'tradeoff']);
  const scatter = plots[0]!.svg;
  assert.equal((scatter.match(/<circle /g) ?? []).length, 12); // one dot per image and method
  const roc = plots[2]!.svg;
  assert.equal((roc.match(/<polyline /g) ?? []).length, 2);
  const tradeoff = plots[3]!.svg;
  assert.equal((tradeoff.match(/<rect x="[\d.]+" y="[\d.]+" width="12" height="12" fill="#4e79a7"/g) ?? []).length, 1); // alpha: a square
  const unlabelled = comparisonPlots({ ...c, dataset: { ...c.dataset, format: 'csv' }, targets: { target, labels: null, protocol: 'p' }, methods: [method('alpha', 'data-driven', [1, 2, 3, 4, 5, 6], undefined, 2)] });
  assert.deepEqual(unlabelled.map((p) => p.name), ['scatter']);
});
