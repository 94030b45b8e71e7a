import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { averagePrecision, pearson, rocAuc, spearman } from '../../src/core/stats.js';
import { binarizeFocusPath, evaluate } from '../../src/eval/metrics.js';
import { projectRoot } from '../helpers.js';

interface FixtureCase {
  name: string;
  x: number[];
  y?: number[];
  labels?: number[];
  expected: { spearman?: unknown };
}

// the statistics' fixture (test/core/stats.test.ts checks each metric against it)
const fixture = JSON.parse(readFileSync(join(projectRoot, 'test/core/fixtures/metrics.json'), 'utf8')) as { cases: FixtureCase[] };

describe('evaluate', () => {
  test('evaluate combines the single metrics', () => {
    const c = fixture.cases.find((k) => k.name === 'large n=2000');
    assert.ok(c?.y && c.labels, 'large case present');
    const result = evaluate(c.x, c.y, c.labels);
    assert.equal(result.n, 2000);
    assert.equal(result.srcc, spearman(c.x, c.y));
    assert.equal(result.plcc, pearson(c.x, c.y));
    assert.equal(result.rocAuc, rocAuc(c.x, c.labels));
    assert.equal(result.ap, averagePrecision(c.x, c.labels));
    assert.ok(Math.abs(result.srcc - (c.expected.spearman as number)) <= 1e-9, 'evaluate srcc');
  });

  test('evaluate checks that scores, target and labels have one length', () => {
    assert.throws(() => evaluate([1, 2, 3], [1, 2]), /Expected equal lengths for scores and target but received 3 and 2/);
    assert.throws(() => evaluate([1, 2, 3], [1, 2, 4], [0, 1]), /Expected equal lengths for scores and labels/);
  });
});

describe('binarizeFocusPath', () => {
  test('|z| <= 2 is sharp, |z| >= 3 is blurry; signed z-levels are accepted', () => {
    assert.deepEqual(binarizeFocusPath([0, 1, 2, 3, 4, 10]), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(binarizeFocusPath([-10, -3, -2, 9]), [1, 1, 0, 1]);
    assert.deepEqual(binarizeFocusPath([1, 2, 3], 2), [0, 1, 1]);
  });

  test('binarizeFocusPath rejects bad thresholds and values', () => {
    assert.throws(() => binarizeFocusPath([1], 0), /Expected a positive finite threshold but received 0/);
    assert.throws(() => binarizeFocusPath([1], Number.NaN), /Expected a positive finite threshold but received NaN/);
    assert.throws(() => binarizeFocusPath([1, Number.NaN]), /Expected finite values in absZ but found NaN at index 1/);
  });
});
