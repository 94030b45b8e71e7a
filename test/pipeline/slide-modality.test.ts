/**
 * Modality through planSlide on every slide in ../shared/data/slides: the brightfield ones stay
 * brightfield (sharp, OpenSlide and DICOM readers), the DAPI NDPI is fluorescence by metadata and
 * by its thumbnail alone; --modality forces the processing and says so. Verdict words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideModality, thumbnailStats, type MetadataEvidence } from '../../src/core/modality.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason } from '../../src/io/slide/index.js';
import { planSlide } from '../../src/pipeline/slide-score.js';
import { slideModality, verdictOf, verdictReason, verdictText, type SlideModality } from '../../src/pipeline/slide-modality.js';
import { sharedOnly, sharedPath } from '../helpers.js';

const slide = (name: string) => sharedPath('data', 'slides', name);
const shared = sharedOnly();
const withOpenSlide = (): { skip: string | false } => {
  if (shared.skip) return shared;
  return isOpenSlideAvailable() ? { skip: false } : { skip: `OpenSlide not available (${openSlideUnavailableReason()}); apt-get install libopenslide0 to run this test` };
};

async function plan(name: string, modality: 'auto' | 'brightfield' | 'fluorescence' = 'auto', backend = 'auto') {
  const r = await openSlide(slide(name), { backend });
  try {
    return await planSlide(r, { thumbnailSize: 512, modality });
  } finally {
    await r.close();
  }
}

// Every brightfield slide of the shared data, through each reader that opens it without OpenSlide.
for (const [name, backend] of [['cmu-1-small-region.svs', 'sharp'], ['small_dicom.dcm', 'dicom'], ['kidney-48-5.tif', 'sharp']] as const) {
  test(`${name} (${backend}): brightfield, detected from its bright glass; the brightfield tissue detector`, shared, async () => {
    const p = await plan(name, 'auto', backend);
    assert.deepEqual([p.modality.detected, p.modality.used, p.modality.basis, p.modality.warning], ['brightfield', 'brightfield', 'thumbnail', null], p.modality.reasons.join('; '));
    assert.doesNotMatch(p.tissueMethod, /fluorescence/);
  });
}

test('tcga-cr-7395 (OpenSlide, JPEG 2000) and cmu-1 through OpenSlide: brightfield', withOpenSlide(), async () => {
  for (const name of ['tcga-cr-7395-01a-01-ts1.svs', 'cmu-1-small-region.svs']) {
    const p = await plan(name, 'auto', 'openslide');
    assert.equal(p.modality.detected, 'brightfield', `${name}: ${p.modality.reasons.join('; ')}`);
    assert.ok(p.modality.stainHints.includes('pink/purple colours (H&E-like)'), `${name}: ${p.modality.stainHints.join('; ')}`);
  }
});

test('fluorescence-dapi.ndpi: fluorescence by its NDPI metadata and by the thumbnail alone; not scored under auto', withOpenSlide(), async () => {
  const p = await plan('fluorescence-dapi.ndpi');
  assert.deepEqual([p.modality.detected, p.modality.used, p.modality.basis, p.modality.mode], ['fluorescence', null, 'metadata', 'auto']);
  assert.match(p.modality.reasons.join('\n'), /NDPI shading data: excitation 387 nm, emission 455 nm \(DAPI 2 \(387\)\)/);
  assert.ok(p.modality.stainHints.some((h) => /blue channel only/.test(h)), p.modality.stainHints.join('; '));
  // The unscored slide still gets its tissue measured, by the fluorescence detector.
  assert.equal(p.tissueMethod, 'fluorescence-threshold');
  assert.ok(p.tissueFraction > 0.7, `tissue ${p.tissueFraction}`);
  const none: MetadataEvidence = { modality: null, fluorescenceHint: false, reasons: [], channels: [] };
  assert.deepEqual([decideModality(thumbnailStats(p.thumbnail), none).modality, decideModality(thumbnailStats(p.thumbnail), none).basis], ['fluorescence', 'thumbnail']);
});

test('--modality forces the processing and records the disagreement', withOpenSlide(), async () => {
  const fl = await plan('fluorescence-dapi.ndpi', 'fluorescence');
  assert.deepEqual([fl.modality.used, fl.modality.warning], ['fluorescence', null]);
  const bf = await plan('fluorescence-dapi.ndpi', 'brightfield');
  assert.equal(bf.modality.used, 'brightfield');
  assert.match(bf.modality.warning!, /^the slide looks fluorescence \(metadata\) but was processed as brightfield, as --modality brightfield asks$/);
  assert.doesNotMatch(bf.tissueMethod, /fluorescence/);
  const cmu = await plan('cmu-1-small-region.svs', 'fluorescence');
  assert.equal(cmu.tissueMethod, 'fluorescence-threshold');
  assert.match(cmu.modality.warning!, /looks brightfield \(thumbnail\) but was processed as fluorescence/);
});

test('verdicts: unsupported before no tissue before pass/fail; words and reasons', () => {
  const thumb = { width: 2, height: 1, data: Uint8Array.from([250, 250, 250, 240, 240, 240]) };
  const m = (mode: 'auto' | 'fluorescence'): SlideModality => slideModality({ format: 'dicom', properties: { 'dicom.IlluminationType': 'Epifluorescence illumination' } }, thumb, mode);
  assert.equal(verdictOf(m('auto'), 0, null), 'unsupported-modality');
  assert.equal(verdictOf(m('fluorescence'), 0, null), 'no-tissue');
  assert.equal(verdictOf(m('fluorescence'), 5, true), 'pass');
  assert.equal(verdictOf(m('fluorescence'), 5, false), 'fail');
  assert.equal(verdictText('unsupported-modality', 'fluorescence'), 'unsupported modality (fluorescence)');
  assert.equal(verdictText('no-tissue'), 'no tissue found');
  assert.equal(verdictReason('no-tissue', m('fluorescence'), 0, 0.5), 'the tissue detector found no tissue on the thumbnail');
  assert.equal(verdictReason('no-tissue', m('fluorescence'), 0.0123, 0.5), 'no crop has at least 50% tissue (tissue is 1.23% of the thumbnail)');
  assert.match(verdictReason('unsupported-modality', m('auto'), 0.5, 0.5)!, /FocusLiteNN was trained on brightfield slides/);
  assert.equal(verdictReason('pass', m('fluorescence'), 0.5, 0.5), null);
});
