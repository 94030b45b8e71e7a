/**
 * The MATLAB-compatible building blocks of the classic measures, on small known inputs: rounding,
 * 10^k and eps, gray conversion (all 2^24 RGB triplets), symmetric imfilter along x and y (against
 * the formula written out, including kernels longer than the line and even kernels), hist and
 * histcounts binning and edges, central moments, and the partial selection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers.js';
import { createRgbImage } from '../../../src/core/image.js';
import { eps, pow10, roundHalfAway } from '../../../src/core/measures/rounding.js';
import { cropPlane, matlabGray, matlabGray8, skimageGray, type Plane } from '../../../src/core/measures/gray.js';
import { filterColumns, filterRows, mirrorIndex, padSymmetric } from '../../../src/core/measures/imfilter.js';
import { matlabHist, matlabHistcounts, niceEdges } from '../../../src/core/measures/histogram.js';
import { centralMoment, compensatedSum, powInt } from '../../../src/core/measures/moments.js';
import { largestDescending, selectLargest } from '../../../src/core/measures/selection.js';

test('roundHalfAway rounds ties away from zero, like MATLAB round', () => {
  const cases: Array<[number, number]> = [
    [0.5, 1], [1.5, 2], [2.5, 3], [-0.5, -1], [-2.5, -3], [0.49999999999999994, 0], [2.4999999999999996, 2],
    [3.7, 4], [-3.7, -4], [0, 0], [1e300, 1e300], [4503599627370495.5, 4503599627370496], [2147483647.5, 2147483648],
  ];
  for (const [x, want] of cases) assert.equal(roundHalfAway(x), want, `round(${x})`);
});

test('pow10 is correctly rounded where V8 ** is not, and eps matches MATLAB', () => {
  assert.equal(pow10(-4), 0.0001);
  assert.equal(pow10(-5), 0.00001);
  assert.equal(pow10(3), 1000);
  assert.equal(pow10(0), 1);
  assert.throws(() => pow10(0.5), /integer exponent/);
  assert.equal(eps(1), 2 ** -52);
  assert.equal(eps(0), 2 ** -1074);
  assert.equal(eps(-1), 2 ** -52);
  assert.equal(eps(0.835), 2 ** -53);
  assert.equal(eps(1024), 2 ** -42);
  assert.equal(eps(2 ** -1022), 2 ** -1074);
});

test('matlabGray8 equals round((wR R + wG G) + wB B) for every one of the 2^24 RGB triplets', () => {
  // One 4096 x 4096 image holding every triplet once: R = i >> 16, G = (i >> 8) & 255, B = i & 255.
  const n = 1 << 24;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = i >> 16;
    data[i * 3 + 1] = (i >> 8) & 255;
    data[i * 3 + 2] = i & 255;
  }
  const gray = matlabGray8(createRgbImage(4096, 4096, data));
  const [wr, wg, wb] = [0.298936021293775, 0.587043074451121, 0.114020904255103];
  let bad = -1;
  for (let i = 0; i < n && bad < 0; i++) {
    const v = (wr * (i >> 16) + wg * ((i >> 8) & 255)) + wb * (i & 255);
    // exact round half away from zero (v >= 0)
    const f = Math.floor(v);
    const want = v - f >= 0.5 ? f + 1 : f;
    if (gray[i] !== Math.min(255, want)) bad = i;
  }
  assert.equal(bad, -1, `gray of triplet ${bad >> 16},${(bad >> 8) & 255},${bad & 255}`);
});

test('matlabGray is gray8 / 255; skimageGray uses 0.2125/0.7154/0.0721 unrounded; cropPlane copies a rectangle', () => {
  const img = createRgbImage(2, 1, Uint8Array.of(255, 255, 255, 10, 200, 30));
  const g8 = matlabGray8(img);
  assert.deepEqual([...g8], [255, Math.round(0.298936021293775 * 10 + 0.587043074451121 * 200 + 0.114020904255103 * 30)]);
  assert.deepEqual([...matlabGray(img).data], [1, g8[1]! / 255]);
  const s = skimageGray(img).data;
  assert.ok(Math.abs(s[0]! - 1) < 1e-15);
  assert.ok(Math.abs(s[1]! - (0.2125 * 10 + 0.7154 * 200 + 0.0721 * 30) / 255) < 1e-15);
  const p: Plane = { width: 3, height: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  assert.deepEqual([...cropPlane(p, 1, 1, 2, 2).data], [5, 6, 8, 9]);
  assert.throws(() => cropPlane(p, 2, 2, 2, 2), /lies outside the 3x3 image/);
});

test('mirrorIndex extends symmetrically with the edge repeated, period 2N', () => {
  // X = [a b c]: ... a | a b c c b a | a b c | c b a a b c | ...
  const want: Record<number, number> = { [-7]: 0, [-6]: 0, [-5]: 1, [-4]: 2, [-3]: 2, [-2]: 1, [-1]: 0, 0: 0, 1: 1, 2: 2, 3: 2, 4: 1, 5: 0, 6: 0, 7: 1 };
  for (const [t, m] of Object.entries(want)) assert.equal(mirrorIndex(Number(t), 3), m, `t = ${t}`);
  assert.equal(mirrorIndex(-1, 1), 0);
  assert.equal(mirrorIndex(5, 1), 0);
});

/** The imfilter 'symmetric' 'conv' formula written out: out[i] = sum_k h[k] X[mirror(i + floor(n/2) - k)]. */
function convLine(x: ArrayLike<number>, h: ArrayLike<number>): number[] {
  const n = h.length, c = n >> 1;
  return Array.from({ length: x.length }, (_, i) => {
    let a = 0;
    for (let k = 0; k < n; k++) a += h[k]! * x[mirrorIndex(i + c - k, x.length)]!;
    return a;
  });
}

function randomPlane(width: number, height: number, seed: number): Plane {
  const next = rng(seed);
  return { width, height, data: Float64Array.from({ length: width * height }, () => next()) };
}

test('filterRows / filterColumns equal the formula bit for bit: odd and even kernels, kernels longer than the line', () => {
  const next = rng(5);
  for (const [w, h] of [[1, 1], [2, 3], [7, 5], [30, 50], [13, 9]] as const) {
    for (const n of [1, 2, 3, 16, 33, 65]) {
      const taps = Float64Array.from({ length: n }, () => next() - 0.5);
      const p = randomPlane(w, h, w * 100 + n);
      const rows = filterRows(p, taps).data;
      const cols = filterColumns(p, taps).data;
      for (let y = 0; y < h; y++) {
        const want = convLine(p.data.subarray(y * w, y * w + w), taps);
        for (let x = 0; x < w; x++) assert.ok(Object.is(rows[y * w + x], want[x]), `rows ${w}x${h} n=${n} at (${x},${y})`);
      }
      for (let x = 0; x < w; x++) {
        const column = Array.from({ length: h }, (_, y) => p.data[y * w + x]!);
        const want = convLine(column, taps);
        for (let y = 0; y < h; y++) assert.ok(Object.is(cols[y * w + x], want[y]), `cols ${w}x${h} n=${n} at (${x},${y})`);
      }
    }
  }
});

test('imfilter conv puts tap floor(n/2) (0-based) on the pixel: a shifted impulse shows the flip', () => {
  const impulse: Plane = { width: 7, height: 1, data: Float64Array.from([0, 0, 0, 1, 0, 0, 0]) };
  // conv with [1 2 3] (centre 2): out = [0 0 1 2 3 0 0] (correlation would give 3 2 1)
  assert.deepEqual([...filterRows(impulse, [1, 2, 3]).data], [0, 0, 1, 2, 3, 0, 0]);
  // even kernel [1 2 3 4]: tap index 2 (value 3) multiplies X[i]: out[i] = h[k] X[i + 2 - k]
  assert.deepEqual([...filterRows(impulse, [1, 2, 3, 4]).data], [0, 1, 2, 3, 4, 0, 0]);
  const column: Plane = { width: 1, height: 7, data: impulse.data };
  assert.deepEqual([...filterColumns(column, [1, 2, 3]).data], [0, 0, 1, 2, 3, 0, 0]);
  // borders: [a b c] with [1 1 1] / 3 is the 3-mean with the edge repeated
  const line: Plane = { width: 3, height: 1, data: Float64Array.from([3, 6, 9]) };
  assert.deepEqual([...filterRows(line, [1, 1, 1]).data], [12, 18, 24]);
});

test('padSymmetric repeats the edge sample (MATLAB symmetric, scipy reflect)', () => {
  const p: Plane = { width: 2, height: 2, data: Float64Array.from([1, 2, 3, 4]) };
  const q = padSymmetric(p, 1);
  assert.equal(q.width, 4);
  assert.deepEqual([...q.data], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  const r = padSymmetric({ width: 1, height: 1, data: Float64Array.of(7) }, 2);
  assert.deepEqual([...r.data], new Array(25).fill(7));
});

test('matlabHist: equal bins min..max, right-closed, centres; constant data and NaN', () => {
  const h = matlabHist([Float64Array.from([0, 1, 2, 3, 4]), Float64Array.from([2, NaN])], 4);
  // w = 1, edges 0 1 2 3 4: bins (-inf,1] (1,2] (2,3] (3,inf)
  assert.deepEqual([...h.counts], [2, 2, 1, 1]);
  assert.deepEqual([...h.positions], [0.5, 1.5, 2.5, 3.5]);
  assert.equal(h.min, 0);
  assert.equal(h.max, 4);
  const c = matlabHist([Float64Array.from([5, 5, 5])], 50);
  // constant: range 5 - 25.5 .. 5 + 24.5, w = 1, everything in bin 26 (1-based)
  assert.equal(c.positions[0], -20);
  assert.equal(c.counts[25], 3);
  assert.equal(c.counts.reduce((a, b) => a + b, 0), 3);
  const e = matlabHist([new Float64Array(0)], 3);
  assert.deepEqual([...e.positions], [1, 2, 3]);
  assert.deepEqual([...e.counts], [0, 0, 0]);
});

test('niceEdges / matlabHistcounts follow MATLAB\'s nice-edge rule and left-closed bins', () => {
  // xmin 0.1, xmax 0.95, 4 bins: raw 0.2125 -> w0 0.2, left 0; lo 0.2375, hi 0.3167 -> q 0.01,
  // w = 0.24, right = max(0.96, 0.95): edges 0 0.24 0.48 0.72 0.96
  const e = niceEdges(0.1, 0.95, 4);
  const want = [0, 0.24, 0.48, 0.72, 0.96];
  e.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-15, `edge ${i}: ${v}`));
  const h = matlabHistcounts([Float64Array.from([0.1, 0.25, 0.3]), Float64Array.from([0.95, NaN, Infinity])], 4);
  assert.deepEqual([...h.counts], [1, 2, 0, 1]);
  // a value exactly on an inner edge goes to the upper bin; the last edge belongs to the last bin
  const exact = matlabHistcounts([Float64Array.from([0, 1, 2, 3, 4])], 4);
  assert.deepEqual([...exact.positions], [0, 1, 2, 3, 4]);
  assert.deepEqual([...exact.counts], [1, 1, 1, 2]);
  // constant data: bins of width 1/nb around the value (rule for xrange 0)
  const c = matlabHistcounts([Float64Array.from([3, 3])], 2);
  assert.deepEqual([...c.positions], [2.5, 3, 3.5]);
  assert.deepEqual([...c.counts], [0, 2]);
});

test('centralMoment is MATLAB moment (1/n sum (x - mean)^p); powInt is the integer power; sums are compensated', () => {
  const x = Float64Array.from([1, 2, 3, 4]);
  assert.equal(centralMoment(x, 2), 1.25);
  assert.equal(centralMoment(x, 4), (2 * 1.5 ** 4 + 2 * 0.5 ** 4) / 4);
  assert.equal(centralMoment(x, 2, 1, 3), 0.25);
  assert.ok(Number.isNaN(centralMoment(x, 2, 2, 2)));
  assert.throws(() => centralMoment(x, 2.5), /Expected integer between 1 and 1000 for moment order but received 2.5/);
  for (const p of [1, 2, 3, 8, 72]) assert.ok(Math.abs(powInt(1.01, p) / 1.01 ** p - 1) < 1e-14, `p = ${p}`);
  assert.equal(powInt(-2, 3), -8);
  // 1 + 1e-16 * 1e4: the naive sum loses every small term, the compensated one keeps them
  const terms = new Float64Array(10001).fill(1e-16);
  terms[0] = 1;
  assert.equal(compensatedSum(terms), 1 + 1e-12);
});

test('selectLargest puts the k largest first, for random, tied and skewed data; refuses NaN', () => {
  const next = rng(9);
  const sets: Float64Array[] = [
    Float64Array.from({ length: 10000 }, () => next()),
    Float64Array.from({ length: 10000 }, () => Math.floor(next() * 5)),
    Float64Array.from({ length: 5000 }, () => next() ** 40),
    new Float64Array(3000).fill(0.25),
    Float64Array.from({ length: 7 }, (_, i) => i),
  ];
  for (const [si, values] of sets.entries()) {
    const sorted = [...values].sort((a, b) => b - a);
    for (const k of [0, 1, 3, Math.floor(values.length / 3), values.length - 1, values.length]) {
      const a = values.slice();
      selectLargest(a, a.length, k);
      const top = [...a.subarray(0, k)].sort((x, y) => y - x);
      assert.deepEqual(top, sorted.slice(0, k), `set ${si}, k = ${k}`);
    }
    assert.deepEqual([...largestDescending(values, values.length, 5)], sorted.slice(0, 5));
  }
  assert.throws(() => selectLargest(Float64Array.from([1, NaN, 2]), 3, 1), /containing NaN \(at 1\)/);
  assert.throws(() => selectLargest(new Float64Array(3), 3, 4), /Expected integer between 0 and 3 for count but received 4/);
});
