import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { averagePrecision, meanStd, pearson, rankAverage, rocAuc, spearman, upperMedian } from '../../src/core/stats.js';
import { projectRoot } from '../helpers.js';

/** A reference number, or how scipy/sklearn behave where the metric is undefined (we must throw). */
type Expected = number | { reference: 'nan' | 'raises' | 'returns'; message: string; value?: number };

interface FixtureCase {
  name: string;
  x: number[];
  y?: number[];
  labels?: number[];
  expected: {
    rankX: number[];
    pearson?: Expected;
    spearman?: Expected;
    /** the same correlations in rational arithmetic (only for defined cases) */
    pearsonExact?: number;
    spearmanExact?: number;
    rocAuc?: Expected;
    ap?: Expected;
  };
}

interface Fixture {
  versions: Record<string, string>;
  cases: FixtureCase[];
  meanStd: Array<{ values: number[]; mean: number; std: number }>;
}

// Fixtures are committed source files (not compiled), so read them from the project tree.
const fixture = JSON.parse(readFileSync(join(projectRoot, 'test/core/fixtures/metrics.json'), 'utf8')) as Fixture;

const TOLERANCE = 1e-9;

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: expected ${expected} but computed ${actual} (difference ${actual - expected})`);
}

/**
 * Checks one metric of one case against the fixture: the number within 1e-9, or a throw where
 * undefined. With an exact (rational-arithmetic) value, we must be within 1e-9 of it, and also of
 * scipy unless scipy itself is off the exact value by more than 1e-10 (its one-pass mean loses
 * ~2e-9 on scores that differ only in the last digits; we stay closer to exact there).
 */
function checkMetric(c: FixtureCase, metric: string, expected: Expected | undefined, compute: () => number, exact?: number): void {
  if (expected === undefined) return;
  const what = `${c.name} / ${metric}`;
  if (typeof expected !== 'number') {
    assert.throws(compute, /undefined when/, `${what}: reference gives ${expected.reference} (${expected.message}), so we must throw`);
    return;
  }
  const actual = compute();
  if (exact !== undefined) assertClose(actual, exact, `${what} (exact)`);
  if (exact === undefined || Math.abs(expected - exact) <= 1e-10) assertClose(actual, expected, what);
}

describe('metrics against scipy/sklearn fixtures', () => {
  test('fixture records the reference versions and enough cases', () => {
    for (const lib of ['scipy', 'sklearn', 'numpy']) assert.match(fixture.versions[lib] ?? '', /^\d+\.\d+/, `version of ${lib}`);
    assert.ok(fixture.cases.length >= 20, `expected at least 20 cases, found ${fixture.cases.length}`);
  });

  for (const c of fixture.cases) {
    test(c.name, () => {
      assert.deepEqual(Array.from(rankAverage(c.x)), c.expected.rankX, `${c.name} / rankAverage`);
      if (c.y) {
        const y = c.y;
        checkMetric(c, 'pearson', c.expected.pearson, () => pearson(c.x, y), c.expected.pearsonExact);
        checkMetric(c, 'spearman', c.expected.spearman, () => spearman(c.x, y), c.expected.spearmanExact);
      }
      if (c.labels) {
        const labels = c.labels;
        checkMetric(c, 'rocAuc', c.expected.rocAuc, () => rocAuc(c.x, labels));
        checkMetric(c, 'ap', c.expected.ap, () => averagePrecision(c.x, labels));
      }
    });
  }

  test('fixture covers each kind of undefined case', () => {
    const kinds = new Set<string>();
    for (const c of fixture.cases) {
      for (const [metric, e] of Object.entries(c.expected)) {
        if (typeof e === 'object' && !Array.isArray(e)) kinds.add(`${metric}:${e.reference}`);
      }
    }
    for (const kind of ['pearson:nan', 'spearman:nan', 'rocAuc:raises', 'ap:returns']) assert.ok(kinds.has(kind), `missing ${kind}`);
  });

  test('meanStd matches numpy mean and std(ddof=1)', () => {
    for (const { values, mean, std } of fixture.meanStd) {
      const got = meanStd(values);
      assertClose(got.mean, mean, `mean of ${values.length} values`);
      assertClose(got.std, std, `std of ${values.length} values`);
    }
  });

  test('only the documented case relies on the exact value instead of scipy', () => {
    const offCases = fixture.cases.filter((c) => {
      const e = c.expected;
      return typeof e.pearson === 'number' && e.pearsonExact !== undefined && Math.abs(e.pearson - e.pearsonExact) > 1e-10;
    });
    assert.deepEqual(offCases.map((c) => c.name), ['nearly equal distinct scores']);
  });
});

describe('metric properties', () => {
  test('rankAverage averages tied ranks and ties -0 with 0', () => {
    assert.deepEqual(Array.from(rankAverage([3, 1, 3, -0, 0, 2])), [5.5, 3, 5.5, 1.5, 1.5, 4]);
    assert.deepEqual(Array.from(rankAverage([])), []);
  });

  test('Pearson and Spearman are symmetric and invariant to positive affine maps', () => {
    const x = [0.3, 1.2, -0.7, 2.2, 0.9, 1.1];
    const y = [1, 3, 0, 2, 2, 5];
    assertClose(pearson(x, y), pearson(y, x), 'pearson symmetry');
    assertClose(pearson(x.map((v) => 1e6 + 3 * v), y), pearson(x, y), 'pearson affine');
    assertClose(spearman(x.map((v) => Math.exp(v)), y), spearman(x, y), 'spearman monotone');
  });

  test('Pearson stays within [-1, 1] for exactly linear data', () => {
    const x = Array.from({ length: 101 }, (_, i) => 0.1 * i);
    assert.equal(pearson(x, x.map((v) => 7 * v - 3)), 1);
    assert.equal(pearson(x, x.map((v) => -0.3 * v)), -1);
  });

  test('ROC-AUC ties between classes count one half, independent of input order', () => {
    assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
    assert.equal(rocAuc([0.5, 0.5], [1, 0]), 0.5);
    assert.equal(rocAuc([0.1, 0.4, 0.4, 0.9], [0, 1, 0, 1]), 0.875);
    assert.equal(rocAuc([0.1, 0.4, 0.4, 0.9], [0, 0, 1, 1]), 0.875);
  });

  test('AP uses precision at each distinct threshold without interpolation', () => {
    // thresholds 0.9 (tp 1, fp 0), 0.4 (tp 1, fp 2: no recall gain), 0.1 (tp 2, fp 2)
    assert.equal(averagePrecision([0.9, 0.4, 0.4, 0.1], [1, 0, 0, 1]), 0.5 * 1 + 0.5 * 0.5);
  });

  test('scores higher for blurrier images give AUC above 0.5 with label 1 = blurry', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  });
});

describe('argument validation', () => {
  test('length mismatch', () => {
    assert.throws(() => pearson([1, 2, 3], [1, 2]), /Expected equal lengths for x and y but received 3 and 2/);
    assert.throws(() => spearman([1, 2], [1, 2, 3]), /Expected equal lengths for x and y but received 2 and 3/);
    assert.throws(() => rocAuc([1, 2, 3], [0, 1]), /Expected equal lengths for scores and labels but received 3 and 2/);
    assert.throws(() => averagePrecision([1, 2], [0, 1, 1]), /Expected equal lengths for scores and labels but received 2 and 3/);
  });

  test('fewer than 2 samples', () => {
    assert.throws(() => pearson([1], [2]), /at least 2 samples for Pearson correlation but received 1/);
    assert.throws(() => spearman([], []), /at least 2 samples for Spearman correlation but received 0/);
    assert.throws(() => rocAuc([0.3], [1]), /at least 2 samples for ROC-AUC but received 1/);
    assert.throws(() => averagePrecision([], []), /at least 2 samples for Average precision but received 0/);
    assert.throws(() => meanStd([0.9]), /at least 2 samples for a sample standard deviation \(ddof=1\) but received 1/);
  });

  test('NaN and infinite values', () => {
    assert.throws(() => pearson([1, Number.NaN, 3], [1, 2, 3]), /Expected finite values in x but found NaN at index 1/);
    assert.throws(() => spearman([1, 2, 3], [1, 2, Number.NaN]), /Expected finite values in y but found NaN at index 2/);
    assert.throws(() => rankAverage([Number.NaN]), /Expected finite values in values but found NaN at index 0/);
    assert.throws(() => rocAuc([Number.POSITIVE_INFINITY, 1], [0, 1]), /Expected finite values in scores but found Infinity at index 0/);
    assert.throws(() => averagePrecision([0, Number.NaN], [0, 1]), /found NaN at index 1/);
    assert.throws(() => meanStd([1, Number.NaN]), /found NaN at index 1/);
  });

  test('constant input makes correlations undefined', () => {
    assert.throws(() => pearson([2, 2, 2], [1, 2, 3]), /Pearson correlation is undefined when x is constant \(all 3 values equal 2\)/);
    assert.throws(() => spearman([1, 2, 3], [5, 5, 5]), /Spearman correlation is undefined when y is constant/);
  });

  test('labels must be 0/1 with both classes present', () => {
    assert.throws(() => rocAuc([0.1, 0.2], [0, 2]), /Expected labels of 0 or 1 but found 2 at index 1/);
    assert.throws(() => averagePrecision([0.1, 0.2], [-1, 1]), /Expected labels of 0 or 1 but found -1 at index 0/);
    assert.throws(() => rocAuc([0.1, 0.2, 0.3], [0, 0, 0]), /ROC-AUC is undefined when labels contain a single class \(all 3 are 0\)/);
    assert.throws(() => averagePrecision([0.1, 0.2], [1, 1]), /Average precision is undefined when labels contain a single class \(all 2 are 1\)/);
  });
});

describe('meanStd and upperMedian', () => {
  test('meanStd uses ddof = 1', () => {
    const { mean, std } = meanStd([1, 2, 3, 4]);
    assert.equal(mean, 2.5);
    assertClose(std, Math.sqrt(5 / 3), 'sample std');
  });

  test('upperMedian is a value of the input: the upper middle one for an even count', () => {
    assert.equal(upperMedian([3, 1, 2]), 2);
    assert.equal(upperMedian([4, 1, 3, 2]), 3);
    assert.equal(upperMedian(new Float64Array([-1.5])), -1.5);
    assert.ok(Number.isNaN(upperMedian([])));
  });
});
