/**
 * The batch on the shared slides that get no QC verdict: kidney-48-5.tif (no tissue) and
 * fluorescence-dapi.ndpi (unsupported under --modality auto, mapped with hvs-maxpol-1 under
 * --modality fluorescence), through focus.json, summary.csv and the heat map.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import '../../src/core/measures/register-builtin.js';
import { fluorescenceSignal } from '../../src/core/modality.js';
import { getMeasure } from '../../src/core/measures/registry.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason } from '../../src/io/slide/index.js';
import { loadModel } from '../../src/io/weights-file.js';
import { createComputeEngine } from '../../src/runtime/compute-engine.js';
import { measureInfo } from '../../src/runtime/measure-engine.js';
import { measureScorer } from '../../src/pipeline/slide-scorer.js';
import { outputPaths, runSlideBatch, type SlideQcOptions, type SlideSummaryRow } from '../../src/pipeline/slide-batch.js';
import { FLUORESCENCE_MEASURE } from '../../src/pipeline/slide-modality.js';
import { projectRoot, sharedOnly, sharedPath } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-slide-modality-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const KIDNEY = sharedPath('data', 'slides', 'kidney-48-5.tif');
const NDPI = sharedPath('data', 'slides', 'fluorescence-dapi.ndpi');
const shared = sharedOnly();
const withOpenSlide = (): { skip: string | false } => {
  if (shared.skip) return shared;
  return isOpenSlideAvailable() ? { skip: false } : { skip: `OpenSlide not available (${openSlideUnavailableReason()}); apt-get install libopenslide0 to run this test` };
};

const opts = (outDir: string, extra: Partial<SlideQcOptions> = {}): SlideQcOptions => ({
  outDir, threshold: 3, maxBlurShare: 0.1, minTissue: 0.5, thumbnailSize: 512, modelLabel: 'focuslite-1k-zlevel.json', ...extra,
});

async function run(files: string[], o: SlideQcOptions, measure?: string): Promise<SlideSummaryRow[]> {
  const model = await loadModel(join(projectRoot, 'models', 'focuslite-1k-zlevel.json'));
  const engine = measure ? createComputeEngine({ type: 'registered', name: measure }, 2) : createComputeEngine(model, 2);
  try {
    // as the CLI does: under --modality fluorescence the measure scores, at level 0 as stored
    const scoring = measure ? measureScorer(measureInfo(getMeasure(measure)), { type: 'registered', name: measure }, measure) : model;
    return await runSlideBatch(files, scoring, engine, o);
  } finally {
    await engine.close();
  }
}

const focus = (out: string, name: string) => JSON.parse(readFileSync(outputPaths(out, name).focusJson, 'utf8'));
const summaryRows = (out: string) => readFileSync(join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');

/** Pixels of the heat map's thumbnail area (top `h` rows) matching a test, in its middle third. */
async function middleCount(png: string, h: number, match: (r: number, g: number, b: number) => boolean): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let y = Math.floor(h / 3); y < Math.floor((2 * h) / 3); y++) {
    for (let x = 0; x < info.width; x++) {
      const o = (y * info.width + x) * info.channels;
      if (match(data[o]!, data[o + 1]!, data[o + 2]!)) n++;
    }
  }
  return n;
}

test('kidney-48-5.tif: "no tissue found" in focus.json, summary.csv and on the heat map', shared, async () => {
  const out = join(dir, 'kidney');
  const [row] = await run([KIDNEY], opts(out));
  assert.deepEqual([row!.status, row!.crops, row!.pass, row!.verdict], ['ok', 0, null, 'no tissue found']);
  const doc = focus(out, 'kidney-48-5');
  assert.equal(doc.verdict, 'no-tissue');
  assert.deepEqual([doc.qc.pass, doc.qc.verdict, doc.qc.reason], [null, 'no tissue found', 'the tissue detector found no tissue on the thumbnail']);
  assert.equal(doc.modality.detected, 'brightfield');
  assert.match(summaryRows(out)[1]!, /^[^,]*kidney-48-5\.tif,kidney-48-5,ok,0,,,,,,no tissue found,/);
  // The banner: black letters over a thumbnail that has no black pixel at all.
  const th = doc.maps.thumbnail.height;
  assert.ok(await middleCount(outputPaths(out, 'kidney-48-5').heatmap, th, (r, g, b) => r + g + b < 30) > 200, 'banner text on the heat map');
  // A resumed run reads the verdict back from focus.json.
  const [again] = await run([KIDNEY], opts(out));
  assert.deepEqual([again!.status, again!.verdict], ['skipped', 'no tissue found']);
  assert.match(summaryRows(out)[1]!, /,ok,0,,,,,,no tissue found,/);
});

test('fluorescence-dapi.ndpi under --modality auto: "unsupported modality (fluorescence)", nothing scored', withOpenSlide(), async () => {
  const out = join(dir, 'ndpi');
  const [row] = await run([NDPI], opts(out));
  assert.deepEqual([row!.status, row!.crops, row!.pass, row!.verdict], ['ok', 0, null, 'unsupported modality (fluorescence)']);
  const doc = focus(out, 'fluorescence-dapi');
  assert.equal(doc.verdict, 'unsupported-modality');
  assert.deepEqual([doc.modality.detected, doc.modality.used, doc.modality.basis], ['fluorescence', null, 'metadata']);
  assert.ok(doc.modality.stainHints.includes('DAPI 2 (387) ex 387 em 455'));
  assert.equal(doc.cropsScored, 0);
  assert.equal(doc.timingsMs.computeMs, 0);
  assert.match(doc.qc.reason, /FocusLiteNN was trained on brightfield slides/);
  assert.match(summaryRows(out)[1]!, /,ok,0,[\d.]*,,,,,unsupported modality \(fluorescence\),/);
  // White banner box over a thumbnail without a single white pixel.
  assert.ok(await middleCount(outputPaths(out, 'fluorescence-dapi').heatmap, doc.maps.thumbnail.height, (r, g, b) => r === 255 && g === 255 && b === 255) > 500);

  // Rerun under --modality fluorescence: a different processing, so the slide is redone (not skipped).
  const before = statSync(outputPaths(out, 'fluorescence-dapi').focusJson).mtimeMs;
  const [fl] = await run([NDPI], opts(out, { modality: 'fluorescence', threshold: 4.5 }), FLUORESCENCE_MEASURE);
  assert.equal(fl!.status, 'ok');
  assert.ok(statSync(outputPaths(out, 'fluorescence-dapi').focusJson).mtimeMs > before);
  const f = focus(out, 'fluorescence-dapi');
  assert.deepEqual([f.modality.mode, f.modality.used, f.modality.measure, f.model.method, f.tissue.method], ['fluorescence', 'fluorescence', 'hvs-maxpol-1', 'hvs-maxpol-1', 'fluorescence-threshold']);
  assert.ok(f.cropsScored > 500, `${f.cropsScored} crops`);
  // Measured on this in-focus slide: mean 2.28, p90 2.78 (hvs-maxpol-1 of the brightest channel).
  assert.ok(f.score.mean > 1.5 && f.score.mean < 3.5 && f.score.p90 < 4.5, JSON.stringify(f.score));
  assert.deepEqual([f.verdict, f.qc.pass], ['pass', true]);
  assert.match(summaryRows(out)[1]!, /,ok,\d+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,pass,/);

  // Another threshold only: the verdict is recomputed from the stored hvs-maxpol-1 scores, the
  // fluorescence processing kept (half the crops score above the median 2.25).
  const [re] = await run([NDPI], opts(out, { modality: 'fluorescence', threshold: 2.25 }), FLUORESCENCE_MEASURE);
  assert.equal(re!.status, 'recomputed');
  const g = focus(out, 'fluorescence-dapi');
  assert.deepEqual([g.verdict, g.qc.verdict, g.model.method, g.modality.used, g.cropsScored], ['fail', 'fail', 'hvs-maxpol-1', 'fluorescence', f.cropsScored]);
  assert.ok(g.blur.shareOfTissueAbove > 0.3, `blur share ${g.blur.shareOfTissueAbove}`);
});

test('hvs-maxpol-1 on the brightest channel ranks blur on the DAPI slide (why it maps fluorescence)', withOpenSlide(), async () => {
  const r = await openSlide(NDPI);
  try {
    const region = await r.readRegion(0, 1500, 1000, 512, 512);
    const m = getMeasure(FLUORESCENCE_MEASURE);
    const xs = [0, 128, 256, 0, 128, 256], ys = [0, 0, 0, 256, 256, 256];
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const scores: number[] = [];
    for (const sigma of [0, 1, 2, 3]) {
      const img = sigma === 0 ? region : { width: 512, height: 512, data: new Uint8Array(await sharp(region.data, { raw: { width: 512, height: 512, channels: 3 } }).blur(sigma).raw().toBuffer()) };
      scores.push(mean(m.scoreCrops(fluorescenceSignal(img), xs, ys, 235)));
    }
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! > scores[i - 1]! + 0.3, `scores by blur sigma 0..3: ${scores.join(', ')}`);
  } finally {
    await r.close();
  }
});
