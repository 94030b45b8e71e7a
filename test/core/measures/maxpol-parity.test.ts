/**
 * FQPath, HVS-MaxPol-1/-2 and Synthetic-MaxPol against the original MATLAB code's outputs
 * (../shared/reference/baselines/reference-scores.json, run under Octave) on all 34 images: pixel
 * hashes first (decoder and gray conversion), then scores to 1e-9 relative, the intermediate values
 * of trace.json for the 4 traced images, the sign convention (higher = blurrier) over each blur
 * series, and the TypeScript filter path on the small tiles. The largest relative error per method
 * is printed as a test diagnostic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sharedOnly, sharedPath } from '../../helpers.js';
import { matlabGray, matlabGray8 } from '../../../src/core/measures/gray.js';
import { fqpathTrace } from '../../../src/core/measures/fqpath.js';
import { hvsForeground, hvsKernelTrace } from '../../../src/core/measures/hvs-maxpol.js';
import { syntheticKernelTrace } from '../../../src/core/measures/synthetic-maxpol.js';
import { filterBackend, setFilterBackend } from '../../../src/core/measures/filter-chains.js';
import '../../../src/core/measures/register-maxpol.js';
import { getMeasure } from '../../../src/core/measures/registry.js';
import { loadBaselines, rel, type RefImage } from './baselines.js';


/** focuslite name -> reference key and the sign that turns the reference into higher = blurrier */
const METHODS = [
  { name: 'fqpath', key: 'FQPath', sign: 1 },
  { name: 'hvs-maxpol-1', key: 'HVS_MaxPol_1', sign: -1 },
  { name: 'hvs-maxpol-2', key: 'HVS_MaxPol_2', sign: -1 },
  { name: 'synthetic-maxpol', key: 'Synthetic_MaxPol', sign: 1 },
] as const;
const TOLERANCE = 1e-9;

const baselines = (...p: string[]): string => sharedPath('reference', 'baselines', ...p);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');


test('the 34 reference images decode to the reference RGB bytes and MATLAB uint8 gray', sharedOnly(), async () => {
  const { refs, images } = await loadBaselines();
  assert.equal(refs.length, 34);
  for (const r of refs) {
    const img = images.get(r.id)!;
    assert.equal(`${img.width}x${img.height}`, `${r.width}x${r.height}`, r.id);
    assert.equal(sha256(img.data), r.rgb_sha256, `${r.id}: RGB bytes`);
    assert.equal(sha256(matlabGray8(img)), r.gray_uint8_sha256, `${r.id}: gray`);
  }
});

test('FQPath, HVS-MaxPol-1/-2, Synthetic-MaxPol match the original code to 1e-9 relative on all 34 images', sharedOnly(), async (t) => {
  const { refs, images } = await loadBaselines();
  const worst: Record<string, { err: number; id: string }> = {};
  for (const r of refs) {
    const img = images.get(r.id)!;
    for (const m of METHODS) {
      const want = m.sign * r.scores[m.key]!.score;
      const got = getMeasure(m.name).scoreImage(img);
      const err = rel(got, want);
      assert.ok(err <= TOLERANCE, `${m.name} on ${r.id}: ${got} vs ${want} (relative error ${err})`);
      if (!worst[m.name] || err > worst[m.name]!.err) worst[m.name] = { err, id: r.id };
    }
  }
  t.diagnostic(`backend ${filterBackend().name}; max relative error: ${Object.entries(worst).map(([k, v]) => `${k} ${v.err.toExponential(2)} (${v.id})`).join(', ')}`);
});

test('the TypeScript filter backend gives the same scores on the small tiles', sharedOnly(), async () => {
  const { refs, images } = await loadBaselines();
  const before = filterBackend().name as 'wasm-simd' | 'reference';
  const small = refs.filter((r) => r.width * r.height <= 2500);
  assert.equal(small.length, 12);
  const viaDefault = small.map((r) => METHODS.map((m) => getMeasure(m.name).scoreImage(images.get(r.id)!)));
  try {
    setFilterBackend('reference');
    small.forEach((r, i) => {
      METHODS.forEach((m, j) => assert.ok(Object.is(getMeasure(m.name).scoreImage(images.get(r.id)!), viaDefault[i]![j]), `${m.name} on ${r.id}`));
    });
  } finally {
    setFilterBackend(before);
  }
});

interface Trace {
  id: string;
  FQPath: { M: number; hist_min: number; hist_max: number; kstar: number; sigma: number; c: number; keep: number; moment4: number; score: number };
  [kernel: string]: unknown;
}
interface KernelRef { M?: number; N?: number; background_pixels_kept?: number; edges_first: number; edges_last: number; bin_width: number; kstar: number; sigma: number; c: number; keep: number; moment: number; val: number }

test('intermediate values match trace.json (mask counts, histogram edges, k*, sigma, c, kept count, moments)', sharedOnly(), async () => {
  const { images } = await loadBaselines();
  const traces = (JSON.parse(readFileSync(baselines('trace.json'), 'utf8')) as { images: Trace[] }).images;
  assert.equal(traces.length, 4);
  const close = (got: number, want: number, what: string, tol = 1e-12): void => {
    assert.ok(got === want || rel(got, want) <= tol, `${what}: ${got} vs ${want}`);
  };
  for (const tr of traces) {
    const g = matlabGray(images.get(tr.id)!);
    const fq = fqpathTrace(g);
    const w = tr.FQPath;
    assert.deepEqual([fq.M, fq.kStar, fq.keep], [w.M, w.kstar, w.keep], `${tr.id} FQPath counts`);
    close(fq.histMin, w.hist_min, `${tr.id} FQPath hist min`, 0);
    close(fq.histMax, w.hist_max, `${tr.id} FQPath hist max`, 0);
    close(fq.sigma, w.sigma, `${tr.id} FQPath sigma`, 0);
    close(fq.c, w.c, `${tr.id} FQPath c`);
    close(fq.moment, w.moment4, `${tr.id} FQPath moment`);
    const fg = hvsForeground(g);
    for (const j of [0, 1] as const) {
      const h = hvsKernelTrace(g, fg.mask, j);
      const r = tr[`HVS_MaxPol_kernel${j + 1}`] as KernelRef;
      const what = `${tr.id} HVS kernel ${j + 1}`;
      assert.deepEqual([fg.count, h.M, h.kStar, h.keep], [r.background_pixels_kept, r.M, r.kstar, r.keep], `${what} counts`);
      close(h.edgesFirst, r.edges_first, `${what} first edge`, 0);
      close(h.edgesLast, r.edges_last, `${what} last edge`, 0);
      close(h.binWidth, r.bin_width, `${what} bin width`, 0);
      close(h.sigma, r.sigma, `${what} sigma`, 0);
      close(h.c, r.c, `${what} c`);
      close(h.moment, r.moment, `${what} moment`);
      close(h.value, r.val, `${what} value`);
    }
    for (const j of [0, 1] as const) {
      const s = syntheticKernelTrace(g, j);
      const r = tr[`Synthetic_MaxPol_kernel${j + 1}`] as KernelRef;
      const what = `${tr.id} Synthetic kernel ${j + 1}`;
      assert.deepEqual([s.N, s.kStar, s.keep], [r.N, r.kstar, r.keep], `${what} counts`);
      close(s.edgesFirst, r.edges_first, `${what} first edge`, 0);
      close(s.edgesLast, r.edges_last, `${what} last edge`, 0);
      close(s.binWidth, r.bin_width, `${what} bin width`, 0);
      close(s.sigma, r.sigma, `${what} sigma`, 0);
      close(s.c, r.c, `${what} c`);
      close(s.moment, r.moment, `${what} moment`, 1e-11);
      close(s.value, r.val, `${what} value`);
    }
  }
});

test('higher = blurrier: each measure rises monotonically over sigma 0..3 on all 8 tiles, and ranks the TCGA pair', sharedOnly(), async () => {
  const { refs, images } = await loadBaselines();
  const series = new Map<string, RefImage[]>();
  for (const r of refs) if (r.source.startsWith('data/tiles/')) series.set(r.source, [...(series.get(r.source) ?? []), r]);
  assert.equal(series.size, 8);
  for (const m of METHODS) {
    const measure = getMeasure(m.name);
    for (const [source, list] of series) {
      const scores = list.sort((a, b) => a.gaussian_blur_sigma - b.gaussian_blur_sigma).map((r) => measure.scoreImage(images.get(r.id)!));
      assert.equal(scores.length, 4);
      for (let i = 1; i < 4; i++) assert.ok(scores[i]! > scores[i - 1]!, `${m.name} on ${source}: ${scores.join(' ')}`);
    }
    const inFocus = refs.find((r) => r.id.startsWith('tcga-focus/in-focus'))!;
    const outOfFocus = refs.find((r) => r.id.startsWith('tcga-focus/out-of-focus'))!;
    assert.ok(measure.scoreImage(images.get(outOfFocus.id)!) > measure.scoreImage(images.get(inFocus.id)!), `${m.name}: TCGA order`);
  }
});
