/**
 * The DICOM reader on real data: ../shared/data/slides/small_dicom.dcm (every frame decodes, the
 * `slide` command gives all outputs), and DICOM files the tests build from the shared SVS
 * slides' own compressed tiles (Aperio RGB JPEG and JPEG 2000), compared with what the sharp and
 * OpenSlide backends read from the SVS files themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbImage } from '../../../src/core/image.js';
import { DicomSlideReader } from '../../../src/io/slide/dicom-reader.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason, type SlideReader } from '../../../src/io/slide/index.js';
import { projectRoot, sharedOnly, sharedPath } from '../../helpers.js';
import { TS, writeWsi } from './tiny-dicom.js';
import { completeJpeg, tiffTiledPages } from './tiff-tiles.js';

const DICOM = sharedPath('data', 'slides', 'small_dicom.dcm');
const CMU = sharedPath('data', 'slides', 'cmu-1-small-region.svs');
const JP2K = sharedPath('data', 'slides', 'tcga-cr-7395-01a-01-ts1.svs');
const shared = sharedOnly();
const withOpenSlide = (): { skip: string | false } => {
  if (shared.skip) return shared;
  return isOpenSlideAvailable() ? { skip: false } : { skip: `OpenSlide not available (${openSlideUnavailableReason()})` };
};

const tmp = mkdtempSync(join(tmpdir(), 'focuslite-dicom-shared-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function countDiffs(a: RgbImage, b: RgbImage): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

async function using<T>(path: string, backend: string, fn: (r: SlideReader) => Promise<T>): Promise<T> {
  const r = await openSlide(path, { backend });
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/** Mean |difference| of neighbouring pixel columns at x-1 | x over all rows (grey levels). */
function columnStep(img: RgbImage, x: number): number {
  let s = 0;
  for (let y = 0; y < img.height; y++) {
    const o = (y * img.width + x) * 3;
    for (let c = 0; c < 3; c++) s += Math.abs(img.data[o + c]! - img.data[o - 3 + c]!);
  }
  return s / (img.height * 3);
}

function rowStep(img: RgbImage, y: number): number {
  let s = 0;
  for (let x = 0; x < img.width; x++) {
    const o = (y * img.width + x) * 3;
    for (let c = 0; c < 3; c++) s += Math.abs(img.data[o + c]! - img.data[o - img.width * 3 + c]!);
  }
  return s / (img.width * 3);
}

test('small_dicom.dcm: one 3236x2638 level of 42 JPEG frames, MPP from its Imaged Volume, every frame decodes', shared, async () => {
  await using(DICOM, 'auto', async (reader) => {
    assert.ok(reader instanceof DicomSlideReader);
    const { info } = reader;
    assert.deepEqual([info.reader, info.format], ['dicom', 'dicom']);
    assert.deepEqual(info.levels, [{ width: 3236, height: 2638, downsample: 1, tileWidth: 500, tileHeight: 500 }]);
    // The file has no Pixel Spacing; Imaged Volume Width/Height (15 x 15 mm) over the matrix gives the MPP.
    assert.ok(Math.abs(info.mpp!.x - 15000 / 3236) < 1e-4 && Math.abs(info.mpp!.y - 15000 / 2638) < 1e-4, JSON.stringify(info.mpp));
    assert.equal(info.objectivePower, null);
    assert.deepEqual(info.associatedImages, []);
    assert.equal(info.metadata!.scanDate, '2021-01-07');
    assert.match(info.metadata!.mppSource!, /^dicom\.ImagedVolumeWidth\/Height/);
    assert.equal(info.properties['dicom.TransferSyntaxUID'], '1.2.840.10008.1.2.4.50');
    assert.ok(!Object.keys(info.properties).some((k) => /Patient/i.test(k)), 'no patient attributes in properties');
    assert.equal(info.warnings!.length, 2);
    assert.match(info.warnings![0]!, /derived from Imaged Volume Width\/Height .* not square/);
    assert.match(info.warnings![1]!, /level 0: frame order inferred as column-major/);

    const whole = await reader.readRegion(0, 0, 0, 3236, 2638);
    assert.deepEqual(reader.frameCounts(), [42]);
    assert.equal(reader.stats.framesDecoded, 42, 'each of the 42 frames decoded once (the cache serves the rest)');
    // Every frame holds an image (none decodes blank or uniform).
    for (let c = 0; c < 7; c++) {
      for (let r = 0; r < 6; r++) {
        const w = Math.min(500, 3236 - c * 500), h = Math.min(500, 2638 - r * 500);
        const cell = await reader.readRegion(0, c * 500, r * 500, w, h);
        let min = 255, max = 0;
        for (const v of cell.data) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        assert.ok(max - min > 20, `frame at column ${c}, row ${r} is flat (${min}..${max})`);
      }
    }
    // The frames join up: steps across frame seams are like steps inside frames (a wrong frame
    // order puts unrelated tissue side by side and the seam steps jump several-fold).
    const seams = [500, 1000, 1500, 2000, 2500, 3000].map((x) => columnStep(whole, x)).concat([500, 1000, 1500, 2000, 2500].map((y) => rowStep(whole, y)));
    const inside = [250, 750, 1250, 1750, 2250, 2750].map((x) => columnStep(whole, x)).concat([250, 750, 1250, 1750, 2250].map((y) => rowStep(whole, y)));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(mean(seams) < 2 * mean(inside) + 2, `seam step ${mean(seams).toFixed(2)} vs inside ${mean(inside).toFixed(2)}`);
  });
});

test('focuslite slide small_dicom.dcm with the default model: 5.13 µm/px is too coarse for a 0.5 µm/px model, said as such', shared, () => {
  const out = join(tmp, 'qc-default');
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', join(projectRoot, 'bin', 'focuslite.js'), 'slide', DICOM, '-o', out, '--threads', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /small_dicom\.dcm: the slide's 5\.1339 µm\/px is more than 4x coarser than the model's 0\.5 µm\/px/);
  assert.ok(!existsSync(join(out, 'small_dicom.focus.json')), 'no verdict is written for a slide the model cannot score');
  assert.match(readFileSync(join(out, 'summary.csv'), 'utf8'), /small_dicom\.dcm,small_dicom,error,/);
});

test('focuslite slide small_dicom.dcm --mpp 5.1339 (scored as stored): all outputs, focus.json with its MPP, metadata and warnings', shared, () => {
  const out = join(tmp, 'qc');
  execFileSync(process.execPath, ['--max-old-space-size=512', join(projectRoot, 'bin', 'focuslite.js'), 'slide', DICOM, '-o', out, '--threads', '1', '--mpp', '5.1339'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (const suffix of ['focus.json', 'tiles.csv', 'geojson', 'heatmap.png', 'mask.png']) {
    assert.ok(existsSync(join(out, `small_dicom.${suffix}`)), `small_dicom.${suffix} written`);
  }
  const doc = JSON.parse(readFileSync(join(out, 'small_dicom.focus.json'), 'utf8'));
  assert.equal(doc.reader, 'dicom');
  assert.equal(doc.slideFormat, 'dicom');
  assert.deepEqual(doc.dimensions, { width: 3236, height: 2638 });
  assert.ok(Math.abs(doc.mpp.x - 15000 / 3236) < 1e-4);
  assert.match(doc.metadata.mppSource, /ImagedVolume/);
  assert.equal(doc.metadata.scanDate, '2021-01-07');
  assert.equal(doc.warnings.length, 2);
  assert.ok(doc.cropsScored > 100, `crops scored ${doc.cropsScored}`);
  assert.ok(doc.tissue.areaMm2 > 10 && doc.tissue.areaMm2 < 225, `tissue ${doc.tissue.areaMm2} mm² of a 15 x 15 mm image`);
  const summary = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(summary.length, 2);
  assert.match(summary[1]!, /small_dicom\.dcm,small_dicom,ok,/);
});

test('CMU-1 SVS JPEG tiles as DICOM frames (RGB, no JFIF marker): pixel-identical to the sharp reading of the SVS, with and without offset tables', shared, async () => {
  const page = tiffTiledPages(CMU)[0]!;
  assert.deepEqual([page.compression, page.photometric, page.tiles.length], [7, 2, 130]);
  const frames = page.tiles.map((t) => completeJpeg(t, page.jpegTables));
  const svs = await using(CMU, 'sharp', (r) => r.readRegion(0, 0, 0, page.width, page.height));
  for (const offsets of ['bot', 'none', 'eot'] as const) {
    const path = join(tmp, `cmu-${offsets}.dcm`);
    writeFileSync(path, writeWsi({
      totalWidth: page.width, totalHeight: page.height, tileWidth: page.tileWidth, tileHeight: page.tileHeight,
      frames, transferSyntax: TS.jpegBaseline, photometric: 'RGB', offsets, pixelSpacingMm: [0.000499, 0.000499], objectivePower: 20,
    }));
    await using(path, 'auto', async (r) => {
      assert.deepEqual(r.info.mpp, { x: 0.499, y: 0.499 });
      assert.equal(r.info.objectivePower, 20);
      assert.equal(countDiffs(await r.readRegion(0, 0, 0, page.width, page.height), svs), 0, `DICOM (${offsets}) vs SVS`);
    });
  }
});

test('TCGA JPEG 2000 SVS tiles as a two-level DICOM series folder: the same pixels as OpenSlide reads from the SVS', withOpenSlide(), async () => {
  const pages = tiffTiledPages(JP2K);
  assert.deepEqual(pages.map((p) => [p.width, p.height, p.compression, p.tiles.length]), [[4443, 3567, 33005, 252], [2221, 1783, 33005, 63]]);
  const dir = join(tmp, 'tcga-series');
  mkdirSync(dir);
  pages.forEach((p, i) => writeFileSync(join(dir, `level-${i}.dcm`), writeWsi({
    totalWidth: p.width, totalHeight: p.height, tileWidth: p.tileWidth, tileHeight: p.tileHeight,
    frames: p.tiles, transferSyntax: TS.j2k, photometric: 'RGB', instanceNumber: i + 1,
  })));
  const dicom = await openSlide(dir);
  const os = await openSlide(JP2K, { backend: 'openslide' });
  try {
    assert.deepEqual(dicom.info.levels.map((l) => [l.width, l.height, l.downsample]), os.info.levels.map((l) => [l.width, l.height, l.downsample]));
    assert.equal(dicom.info.mpp, null);
    assert.equal(countDiffs(await dicom.readRegion(0, 1200, 1000, 512, 512), await os.readRegion(0, 1200, 1000, 512, 512)), 0, 'level 0 region');
    // Level 1 whole (OpenSlide resamples level-1 regions whose level-0 origin is not a whole pixel, so compare from the origin).
    assert.equal(countDiffs(await dicom.readRegion(1, 0, 0, 2221, 1783), await os.readRegion(1, 0, 0, 2221, 1783)), 0, 'level 1');
  } finally {
    await dicom.close();
    await os.close();
  }
});
