/**
 * Modality decision (core/modality.ts): thumbnail statistics, metadata evidence in the property
 * forms the readers really produce, the order of the rules, and no false fluorescence on any
 * brightfield tile of ../shared/data/tiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import type { RgbImage } from '../../src/core/image.js';
import {
  decideModality, fluorescenceSignal, imageEvidence, metadataEvidence, stainHints, thumbnailStats, type MetadataEvidence,
} from '../../src/core/modality.js';
import { rng, sharedOnly, sharedPath } from '../helpers.js';

const NO_META: MetadataEvidence = { modality: null, fluorescenceHint: false, reasons: [], channels: [] };

/** w x h image filled by f(x, y) -> [r, g, b]. */
function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
}

const r = rng(7);
/** black background, blue nuclei (DAPI-like) on a third of it */
const dapi = image(120, 90, (x) => (x < 40 && r() < 0.4 ? [0, 0, 60 + Math.floor(r() * 190)] : [1, 1, 3 + Math.floor(r() * 3)]));
/** glass with an H&E-coloured blob */
const hne = image(120, 90, (x, y) => ((x - 60) ** 2 + (y - 45) ** 2 < 900 ? [200, 110, 170] : [243, 242, 245]));
/** tissue everywhere, mid-grey purple: no glass, no black */
const full = image(120, 90, () => [150, 100, 140]);

test('thumbnailStats: dark and glass shares, median, channel percentiles, grey, stain hues', () => {
  const s = thumbnailStats(dapi);
  assert.ok(s.darkFraction > 0.8 && s.brightFraction === 0, JSON.stringify(s));
  assert.ok(s.medianLuma < 5);
  assert.ok(s.channelP99[0] < 5 && s.channelP99[1] < 5 && s.channelP99[2] > 200);
  assert.equal(s.grey, false);
  const b = thumbnailStats(hne);
  assert.ok(b.brightFraction > 0.6 && b.darkFraction === 0);
  assert.equal(b.medianLuma, 243);
  assert.ok(b.hueShares.pinkPurple > 0.25 && b.hueShares.brown === 0);
  assert.equal(thumbnailStats(image(4, 4, () => [9, 9, 9])).grey, true);
  assert.throws(() => thumbnailStats({ width: 2, height: 2, data: new Uint8Array(5) }), /Expected 12 bytes for a 2x2 RGB image but received 5/);
});

test('imageEvidence: dark background, bright background, ambiguous', () => {
  assert.equal(imageEvidence(thumbnailStats(dapi)), 'dark-background');
  assert.equal(imageEvidence(thumbnailStats(hne)), 'bright-background');
  assert.equal(imageEvidence(thumbnailStats(full)), 'ambiguous');
  // Half black, half glass (a brightfield scan with a black unscanned area): not fluorescence.
  assert.equal(imageEvidence(thumbnailStats(image(100, 10, (x) => (x < 60 ? [0, 0, 0] : [245, 245, 245])))), 'bright-background');
});

test('metadataEvidence: NDPI shading data as OpenSlide splits it, DICOM illumination, OME channels', () => {
  // The property exactly as OpenSlide 3.4 exposes fluorescence-dapi.ndpi's shading block.
  const ndpi = metadataEvidence('ndpi', {
    'openslide.vendor': 'hamamatsu',
    'hamamatsu.;NDP Shading Data\r;Version': '0004\r;ID=4\r;Name=DAPI 2 (387) \r;CubeName=DA/FI/TR/Cy5-4X\r;ExcitationWaveLength=387\r;EmissionWaveLength=455\r;',
    'hamamatsu.AHEX[0].fluorescence': '000F0107',
  });
  assert.equal(ndpi.modality, 'fluorescence');
  assert.deepEqual(ndpi.channels, ['DAPI 2 (387) ex 387 em 455']);
  assert.match(ndpi.reasons[0]!, /^NDPI shading data: excitation 387 nm, emission 455 nm \(DAPI 2 \(387\)\)$/);
  // Calibration keys alone (any NDPI of that scanner) and a zero wavelength are not evidence.
  assert.equal(metadataEvidence('ndpi', { 'hamamatsu.AHEX[0].fluorescence': '00', 'hamamatsu.x': ';ExcitationWaveLength=0' }).modality, null);

  assert.equal(metadataEvidence('dicom', { 'dicom.IlluminationType': 'Epifluorescence illumination' }).modality, 'fluorescence');
  assert.equal(metadataEvidence('dicom', { 'dicom.IlluminationType': 'Brightfield illumination' }).modality, 'brightfield');
  const paths = metadataEvidence('dicom', { 'dicom.PhotometricInterpretation': 'MONOCHROME2', 'dicom.NumberOfOpticalPaths': '4' });
  assert.deepEqual([paths.modality, paths.fluorescenceHint], [null, true]);

  const ome = (channels: string) => `<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels SizeC="2">${channels}</Pixels></Image></OME>`;
  const fl = metadataEvidence('ome-tiff', { 'tiff.ImageDescription': ome('<Channel ID="Channel:0:0" Name="DAPI" SamplesPerPixel="1" ExcitationWavelength="358"/><Channel ID="Channel:0:1" Fluor="FITC" SamplesPerPixel="1"/>') });
  assert.equal(fl.modality, 'fluorescence');
  assert.deepEqual(fl.channels, ['DAPI ex 358', 'FITC']);
  assert.equal(metadataEvidence('ome-tiff', { 'tiff.ImageDescription': ome('<Channel ID="Channel:0:0" IlluminationType="Transmitted" SamplesPerPixel="3"/>') }).modality, 'brightfield');
  const two = metadataEvidence('ome-tiff', { 'tiff.ImageDescription': ome('<Channel ID="C0" SamplesPerPixel="1"/><Channel ID="C1" SamplesPerPixel="1"/>') });
  assert.deepEqual([two.modality, two.fluorescenceHint], [null, true]);
  assert.deepEqual(metadataEvidence('aperio-svs', { 'aperio.MPP': '0.5' }), NO_META);
});

test('decideModality: explicit metadata first, then the thumbnail, then hints, else brightfield', () => {
  const fl = decideModality(thumbnailStats(dapi), NO_META);
  assert.deepEqual([fl.modality, fl.basis, fl.image], ['fluorescence', 'thumbnail', 'dark-background']);
  assert.ok(fl.stainHints.some((h) => /blue channel only/.test(h)));
  assert.deepEqual([decideModality(thumbnailStats(hne), NO_META).modality, decideModality(thumbnailStats(hne), NO_META).basis], ['brightfield', 'thumbnail']);
  assert.deepEqual(decideModality(thumbnailStats(full), NO_META).basis, 'default');
  // Tissue edge to edge but signal in one or two channels only: a dye image, not brightfield.
  const filled = decideModality(thumbnailStats(image(60, 40, (x) => [5, 30 + (x % 7) * 20, 90 + (x % 5) * 30])), NO_META);
  assert.deepEqual([filled.image, filled.modality, filled.basis], ['ambiguous', 'fluorescence', 'thumbnail']);
  assert.match(filled.reasons.at(-1)!, /^only 2 of 3 colour channels carry signal \(99th percentile >= 40\)$/);
  // A grey image edge to edge stays brightfield (a grey scan of stained tissue is possible).
  assert.equal(decideModality(thumbnailStats(image(60, 40, (x) => [100 + x, 100 + x, 100 + x])), NO_META).modality, 'brightfield');
  const hint: MetadataEvidence = { ...NO_META, fluorescenceHint: true, reasons: ['hint'] };
  assert.deepEqual([decideModality(thumbnailStats(full), hint).modality, decideModality(thumbnailStats(full), hint).basis], ['fluorescence', 'hint']);
  // A hint never overrules a bright background; explicit metadata does, and says so.
  assert.equal(decideModality(thumbnailStats(hne), hint).modality, 'brightfield');
  const explicit = decideModality(thumbnailStats(hne), { ...NO_META, modality: 'fluorescence', reasons: ['DICOM'] });
  assert.deepEqual([explicit.modality, explicit.basis], ['fluorescence', 'metadata']);
  assert.match(explicit.reasons.at(-1)!, /the thumbnail looks brightfield, but the metadata is explicit/);
  assert.match(fl.reasons[0]!, /^thumbnail: .*% black \(max channel < 50\), 0% glass-white \(min channel > 200\), median brightness \d+ -> dark-background$/);
});

test('stainHints: H&E-like, DAB, one grey channel', () => {
  assert.deepEqual(stainHints('brightfield', thumbnailStats(hne), []), ['pink/purple colours (H&E-like)']);
  const dab = image(50, 50, (x) => (x < 20 ? [150, 90, 40] : x < 30 ? [120, 70, 160] : [245, 245, 245]));
  assert.match(stainHints('brightfield', thumbnailStats(dab), []).join('|'), /brown \(DAB-like\) on 40% of the thumbnail: IHC\?/);
  assert.deepEqual(stainHints('fluorescence', thumbnailStats(image(10, 10, (x) => (x < 3 ? [200, 200, 200] : [2, 2, 2]))), ['Cy5']), ['Cy5', 'one grey channel']);
});

test('fluorescenceSignal: each pixel becomes its brightest channel, in all three', () => {
  const s = fluorescenceSignal({ width: 2, height: 1, data: Uint8Array.from([1, 2, 90, 200, 30, 7]) });
  assert.deepEqual([...s.data], [90, 90, 90, 200, 200, 200]);
});

test('no shared brightfield tile is taken for fluorescence (tissue, background, pen, tiny crops)', sharedOnly(), async () => {
  const dir = sharedPath('data', 'tiles');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  assert.ok(files.length >= 30, `${files.length} tiles`);
  for (const f of files) {
    const { data, info } = await sharp(`${dir}/${f}`).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const d = decideModality(thumbnailStats({ width: info.width, height: info.height, data: new Uint8Array(data) }), NO_META);
    assert.equal(d.modality, 'brightfield', `${f}: ${d.reasons.join('; ')}`);
  }
});
