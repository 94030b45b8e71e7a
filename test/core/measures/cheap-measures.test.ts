/**
 * Variance of Laplacian, Tenengrad and Brenner: hand-computed values on tiny planes, the sign
 * (higher = blurrier) on a synthetic texture blurred step by step and on the reference set's blur
 * series, and the size limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rng, sharedOnly, sharedPath } from '../../helpers.js';
import { createRgbImage, type RgbImage } from '../../../src/core/image.js';
import type { Plane } from '../../../src/core/measures/gray.js';
import { laplacian4, laplacianVariance } from '../../../src/core/measures/laplacian-variance.js';
import { tenengrad } from '../../../src/core/measures/tenengrad.js';
import { brenner } from '../../../src/core/measures/brenner.js';
import { centralMoment } from '../../../src/core/measures/moments.js';
import '../../../src/core/measures/register-maxpol.js';
import { getMeasure } from '../../../src/core/measures/registry.js';
import { decodeImage } from '../../../src/io/decode.js';

const CHEAP = ['laplacian-variance', 'tenengrad', 'brenner'] as const;
const plane = (width: number, height: number, values: number[]): Plane => ({ width, height, data: Float64Array.from(values) });

test('Laplacian of a centred impulse is the 4-neighbour stencil; its variance is 20/9', () => {
  const g = plane(3, 3, [0, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual([...laplacian4(g)], [0, -1, 0, -1, 4, -1, 0, -1, 0]);
  assert.ok(Math.abs(laplacianVariance(g) - 20 / 9) < 1e-15);
  // a constant plane (and a single pixel) has no Laplacian
  assert.equal(laplacianVariance(plane(1, 1, [0.7])), 0);
  assert.equal(laplacianVariance(plane(4, 2, new Array(8).fill(0.3))), 0);
});

test('the one-pass Laplacian variance equals the two-pass central moment of the Laplacian', () => {
  const next = rng(8);
  for (const [w, h] of [[1, 7], [5, 5], [64, 33], [235, 235]] as const) {
    const g = plane(w, h, Array.from({ length: w * h }, () => 0.8 + 0.2 * next()));
    const want = centralMoment(laplacian4(g), 2);
    const got = laplacianVariance(g);
    assert.ok(Math.abs(got - want) <= 1e-12 * want + 1e-300, `${w}x${h}: ${got} vs ${want}`);
  }
});

test('Tenengrad and Brenner of a vertical step edge, by hand', () => {
  const row = [0, 0, 1, 1];
  const g = plane(4, 4, [...row, ...row, ...row, ...row]);
  // Sobel Gx = 4 on the two columns beside the step, 0 elsewhere (edge repeated at the border); Gy = 0
  assert.equal(tenengrad(g), (8 * 16) / 16);
  // horizontal pairs two apart differ by 1 in every one of the 2 x 4 pairs; vertical pairs by 0
  assert.equal(brenner(g), 1);
  assert.equal(brenner(plane(3, 3, [0, 0, 0, 0, 0, 0, 1, 1, 1])), 1 / 3 * 0 + 3 / 3);
  assert.throws(() => brenner(plane(2, 5, new Array(10).fill(0))), /needs at least 3x3 pixels but the image is 2x5/);
  assert.throws(() => getMeasure('brenner').scoreImage(createRgbImage(5, 2)), /needs at least 3x3/);
});

/** A random texture, and the same blurred by k passes of a 3x3 box filter (per channel, edge replicated). */
function blurSeries(width: number, height: number, passes: number, seed: number): RgbImage[] {
  const next = rng(seed);
  let data = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 256));
  const out = [createRgbImage(width, height, data)];
  for (let p = 1; p <= passes; p++) {
    const src = data;
    const dst = new Uint8Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let ch = 0; ch < 3; ch++) {
          let s = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = Math.min(height - 1, Math.max(0, y + dy)), xx = Math.min(width - 1, Math.max(0, x + dx));
              s += src[(yy * width + xx) * 3 + ch]!;
            }
          }
          dst[(y * width + x) * 3 + ch] = Math.round(s / 9);
        }
      }
    }
    data = dst;
    out.push(createRgbImage(width, height, data));
  }
  return out;
}

test('every registered measure rises as a synthetic texture is blurred step by step', () => {
  const series = blurSeries(96, 80, 4, 21);
  for (const name of [...CHEAP, 'fqpath', 'hvs-maxpol-1', 'hvs-maxpol-2', 'synthetic-maxpol']) {
    const scores = series.map((img) => getMeasure(name).scoreImage(img));
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! > scores[i - 1]!, `${name}: ${scores.join(' ')}`);
  }
});

test('the cheap measures rank the reference blur series (sigma 0..3, 8 tiles) and the TCGA pair', sharedOnly(), async () => {
  const refs = (JSON.parse(readFileSync(sharedPath('reference', 'baselines', 'reference-scores.json'), 'utf8')) as {
    images: Array<{ id: string; path: string; source: string; gaussian_blur_sigma: number }>;
  }).images;
  const scores = new Map<string, Array<[number, number[]]>>();
  for (const r of refs) {
    const img = await decodeImage(sharedPath(r.path));
    const key = r.source.startsWith('data/tiles/') ? r.source : r.id;
    scores.set(key, [...(scores.get(key) ?? []), [r.gaussian_blur_sigma, CHEAP.map((m) => getMeasure(m).scoreImage(img))]]);
  }
  let series = 0;
  for (const [source, rows] of scores) {
    if (!source.startsWith('data/tiles/')) continue;
    series++;
    rows.sort((a, b) => a[0] - b[0]);
    CHEAP.forEach((m, j) => {
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![1][j]! > rows[i - 1]![1][j]!, `${m} on ${source}`);
    });
  }
  assert.equal(series, 8);
  const inFocus = [...scores.entries()].find(([k]) => k.startsWith('tcga-focus/in-focus'))![1][0]![1];
  const outOfFocus = [...scores.entries()].find(([k]) => k.startsWith('tcga-focus/out-of-focus'))![1][0]![1];
  CHEAP.forEach((m, j) => assert.ok(outOfFocus[j]! > inFocus[j]!, `${m}: TCGA order`));
});
