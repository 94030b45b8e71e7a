/**
 * MLV, the S index, LPC-SI and GPC against the original MATLAB code's outputs
 * (../shared/reference/baselines/reference-scores.json, run under Octave) on its 34 images: MLV,
 * S index and LPC-SI to 1e-9 relative (LPC-SI was written from the paper; the issue asked 1e-6); GPC, whose original draws from Octave's random stream, statistically:
 * the mean of focuslite's runs with seeds 1-5 against the mean of the original's 5 seeds, as a
 * z-score of the difference of the two means (each with its own spread), on the tiny tiles and a
 * 512² tile at sigma 0 and 3 (GPC's 100 inverse FFTs per run make the 1025² patches too slow for CI). Also the
 * sign convention (higher = blurrier) over the blur series. Worst errors are printed as diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedOnly } from '../../helpers.js';
import { matlabGrayLevels } from '../../../src/core/measures/gray.js';
import { globalPhaseCoherence } from '../../../src/core/measures/phase-coherence.js';
import '../../../src/core/measures/register-builtin.js';
import { getMeasure } from '../../../src/core/measures/registry.js';
import { loadBaselines, rel, type RefImage } from './baselines.js';




/** each source's images by sigma 0..3 */
function blurSeries(refs: RefImage[]): RefImage[][] {
  const by = new Map<string, RefImage[]>();
  for (const r of refs) if (!r.id.startsWith('tcga-focus/')) by.set(r.source, [...(by.get(r.source) ?? []), r]);
  return [...by.values()].map((s) => s.sort((a, b) => a.gaussian_blur_sigma - b.gaussian_blur_sigma));
}

for (const { name, key } of [{ name: 'mlv', key: 'MLV' }, { name: 's-index', key: 'S_index' }, { name: 'lpc-si', key: 'LPC_SI' }]) {
  test(`${name} matches the original code to 1e-9 relative on all 34 images (negated)`, sharedOnly(), async (t) => {
    const { refs, images } = await loadBaselines();
    assert.equal(refs.length, 34);
    let worst = { err: 0, id: '' };
    for (const r of refs) {
      const want = -r.scores[key]!.score;
      const got = getMeasure(name).scoreImage(images.get(r.id)!);
      const err = rel(got, want);
      assert.ok(err <= 1e-9, `${name} on ${r.id}: ${got} vs ${want} (relative error ${err})`);
      if (err >= worst.err) worst = { err, id: r.id };
    }
    t.diagnostic(`${name}: max relative error ${worst.err.toExponential(2)} (${worst.id})`);
  });
}

test('mlv, s-index and lpc-si rank every 512² blur series (sigma 0 -> 3) as increasingly blurry; mlv the tiny tiles too', sharedOnly(), async () => {
  const { refs, images } = await loadBaselines();
  for (const series of blurSeries(refs)) {
    assert.equal(series.length, 4);
    const names = series[0]!.width >= 512 ? ['mlv', 's-index', 'lpc-si'] : ['mlv'];
    for (const name of names) {
      const s = series.map((r) => getMeasure(name).scoreImage(images.get(r.id)!));
      for (let i = 1; i < 4; i++) assert.ok(s[i]! > s[i - 1]!, `${name} on ${series[0]!.source}: ${s.join(', ')}`);
    }
  }
});

test('GPC: the mean of seeds 1-5 agrees with the original\'s 5-seed mean (|z| <= 3 per image, no bias overall)', sharedOnly(), async (t) => {
  const { refs, images } = await loadBaselines();
  const chosen = refs.filter((r) => r.width < 512 || (r.source.includes('skimage-ihc') && r.gaussian_blur_sigma % 3 === 0));
  assert.equal(chosen.length, 14);
  const zs: number[] = [];
  for (const r of chosen) {
    const u = matlabGrayLevels(images.get(r.id)!);
    const runs = [1, 2, 3, 4, 5].map((seed) => globalPhaseCoherence(u, seed));
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    const sd = Math.sqrt(runs.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs.length - 1));
    const ref = r.scores.GPC!;
    assert.equal(ref.score_per_seed!.length, 5);
    const z = (mean - ref.mean!) / Math.sqrt((sd * sd + ref.std! * ref.std!) / 5);
    zs.push(z);
    assert.ok(Math.abs(z) <= 3, `GPC on ${r.id}: ${mean} ± ${sd} vs the original's ${ref.mean} ± ${ref.std} (z = ${z})`);
    assert.ok(new Set(runs).size === 5, `${r.id}: every seed gives its own draw`);
  }
  const meanZ = zs.reduce((a, b) => a + b, 0) / zs.length;
  // 14 independent z-scores: their mean has a standard deviation of about 0.27
  assert.ok(Math.abs(meanZ) <= 0.8, `mean z over the images ${meanZ}`);
  t.diagnostic(`GPC: z-scores ${zs.map((z) => z.toFixed(2)).join(' ')}; mean ${meanZ.toFixed(2)}`);
  // The registered measure is seed 1, negated, and the same on every call.
  const img = images.get(chosen[0]!.id)!;
  const u = matlabGrayLevels(img);
  assert.equal(getMeasure('gpc').scoreImage(img), -globalPhaseCoherence(u, 1));
  assert.equal(getMeasure('gpc').scoreImage(img), getMeasure('gpc').scoreImage(img));
});
