/**
 * The Fourier building blocks of the S index, GPC and LPC-SI: the any-length FFT against a
 * direct DFT (radix 4/2, odd prime butterflies, Bluestein for large primes), the 2-D transform
 * against the separable definition, the WebAssembly SIMD radix-2 FFT against the TypeScript one, and erfc / log erfc against high-precision values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../../helpers.js';
import { fft2, fft2Reference, fftPlan } from '../../../src/core/fft.js';
import { createWasmFft2 } from '../../../src/core/measures/fft-wasm.js';
import { erfc, gaussianTailLog10, logErfc, moisanLogErfc } from '../../../src/core/measures/erfc.js';

/** Direct DFT with exactly reduced angles (j k mod n), as the definition. */
function dft(re: Float64Array, im: Float64Array, inverse: boolean): [Float64Array, Float64Array] {
  const n = re.length, or = new Float64Array(n), oi = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let a = 0, b = 0;
    for (let j = 0; j < n; j++) {
      const t = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      a += re[j]! * Math.cos(t) - im[j]! * Math.sin(t);
      b += re[j]! * Math.sin(t) + im[j]! * Math.cos(t);
    }
    or[k] = inverse ? a / n : a;
    oi[k] = inverse ? b / n : b;
  }
  return [or, oi];
}

function maxRelError(ar: Float64Array, ai: Float64Array, br: Float64Array, bi: Float64Array): number {
  let e = 0, s = 0;
  for (let k = 0; k < ar.length; k++) {
    e = Math.max(e, Math.hypot(ar[k]! - br[k]!, ai[k]! - bi[k]!));
    s = Math.max(s, Math.hypot(br[k]!, bi[k]!));
  }
  return e / s;
}

test('fftPlan equals the direct DFT for lengths with factors 4, 2, odd primes and large primes (Bluestein)', () => {
  const next = rng(10);
  for (const n of [1, 2, 3, 4, 5, 6, 8, 12, 30, 41, 50, 64, 67, 97, 128, 205, 512, 1021, 1025]) {
    const re = Float64Array.from({ length: n }, () => next() - 0.5), im = Float64Array.from({ length: n }, () => next() - 0.5);
    for (const inverse of [false, true]) {
      const [wr, wi] = dft(re, im, inverse);
      const a = re.slice(), b = im.slice();
      fftPlan(n).transform(a, b, inverse);
      const err = maxRelError(a, b, wr, wi);
      assert.ok(err < 1e-13, `n = ${n}, inverse ${inverse}: relative error ${err}`);
    }
    // round trip
    const a = re.slice(), b = im.slice();
    fftPlan(n).transform(a, b, false);
    fftPlan(n).transform(a, b, true);
    assert.ok(maxRelError(a, b, re, im) < 1e-14, `n = ${n}: round trip`);
  }
  assert.throws(() => fftPlan(0), /FFT length between 1 and 2\^24/);
});

test('fft2 is the 2-D DFT (rows then columns) of an H x W plane, e.g. 6 x 10 and 7 x 1', () => {
  const next = rng(11);
  for (const [w, h] of [[10, 6], [1, 7], [7, 1], [12, 9]] as const) {
    const re = Float64Array.from({ length: w * h }, () => next() - 0.5), im = Float64Array.from({ length: w * h }, () => next() - 0.5);
    const wr = new Float64Array(w * h), wi = new Float64Array(w * h);
    for (let p = 0; p < h; p++) {
      for (let q = 0; q < w; q++) {
        let a = 0, b = 0;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const t = -2 * Math.PI * (((p * y) % h) / h + ((q * x) % w) / w);
            const i = y * w + x;
            a += re[i]! * Math.cos(t) - im[i]! * Math.sin(t);
            b += re[i]! * Math.sin(t) + im[i]! * Math.cos(t);
          }
        }
        wr[p * w + q] = a;
        wi[p * w + q] = b;
      }
    }
    const a = re.slice(), b = im.slice();
    fft2(a, b, w, h);
    assert.ok(maxRelError(a, b, wr, wi) < 1e-13, `${w}x${h}`);
    fft2(a, b, w, h, true);
    assert.ok(maxRelError(a, b, re, im) < 1e-14, `${w}x${h} round trip`);
  }
  assert.throws(() => fft2(new Float64Array(5), new Float64Array(6), 2, 3), /planes of 2x3 values/);
});

test('erfc and ln erfc match high-precision values from 0 to 30 and below 0', () => {
  // erfc values to 20+ digits (Abramowitz & Stegun / mpmath)
  const cases: Array<[number, number]> = [
    [0, 1],
    [0.5, 0.4795001221869534623],
    [1, 0.15729920705028513066],
    [2, 0.0046777349810472658379],
    [2.5, 4.0695201744495893956e-4],
    [3, 2.2090496998585441373e-5],
    [5, 1.5374597944280348502e-12],
    [10, 2.0884875837625447570e-45],
    [-1, 1.8427007929497148693],
    [-3, 1.9999779095030014146],
  ];
  for (const [x, want] of cases) {
    const got = erfc(x);
    assert.ok(Math.abs(got - want) / want < 1e-13, `erfc(${x}) = ${got}, want ${want}`);
  }
  // ln erfc(20) = -403.56934333410423..., erfc(30) underflows but its logarithm does not (mpmath)
  assert.ok(Math.abs(logErfc(20) - -403.56934333410423) < 1e-12);
  assert.ok(Math.abs(logErfc(30) - -903.97411711064388) < 1e-11);
  assert.equal(erfc(30), 0);
  // Moisan's asymptotic branch above 20 is continuous with ln erfc
  assert.ok(Math.abs(moisanLogErfc(20 + 1e-9) - logErfc(20 + 1e-9)) < 1e-12);
  // -log10 P(N(0,1) > 0) = log10 2; P(N > 3) = 0.0013498980316301
  assert.ok(Math.abs(gaussianTailLog10(0) - Math.log10(2)) < 1e-15);
  assert.ok(Math.abs(gaussianTailLog10(3) - -Math.log10(0.0013498980316300946)) < 1e-13);
});

test('the WebAssembly SIMD FFT equals the TypeScript FFT on power-of-two planes and declines other sizes', () => {
  const wasm = createWasmFft2();
  const next = rng(12);
  for (const [w, h] of [[64, 64], [128, 32], [32, 256], [1, 4096], [256, 256]] as const) {
    const re = Float64Array.from({ length: w * h }, () => next() - 0.5), im = Float64Array.from({ length: w * h }, () => next() - 0.5);
    for (const inverse of [false, true]) {
      const a = re.slice(), b = im.slice(), c = re.slice(), d = im.slice();
      fft2Reference(a, b, w, h, inverse);
      assert.equal(wasm(c, d, w, h, inverse), true, `${w}x${h}`);
      const err = maxRelError(c, d, a, b);
      assert.ok(err < 1e-14, `${w}x${h} inverse ${inverse}: relative error ${err}`);
    }
  }
  // not a power of two, or too small to pay for the copies: left to the TypeScript loops
  assert.equal(wasm(new Float64Array(100 * 64), new Float64Array(100 * 64), 100, 64, false), false);
  assert.equal(wasm(new Float64Array(16 * 16), new Float64Array(16 * 16), 16, 16, false), false);
  // fft2 (with whatever accelerator is installed) agrees as well
  const re = Float64Array.from({ length: 128 * 128 }, () => next()), im = new Float64Array(128 * 128);
  const a = re.slice(), b = im.slice();
  fft2(a, b, 128, 128);
  const c = re.slice(), d = im.slice();
  fft2Reference(c, d, 128, 128);
  assert.ok(maxRelError(a, b, c, d) < 1e-14);
});
