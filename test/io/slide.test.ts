/**
 * Whole-slide readers on every file in ../shared/data/slides and on small generated files.
 * OpenSlide tests are skipped (with the reason) where libopenslide is not installed; CI installs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../src/core/image.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason, type SlideReader } from '../../src/io/slide/index.js';
import { sharedOnly, sharedPath } from '../helpers.js';
import { patternRgb, tinyTiff } from './slide/tiny-tiff.js';

const slide = (name: string) => sharedPath('data', 'slides', name);
const CMU = slide('cmu-1-small-region.svs');
const JP2K = slide('tcga-cr-7395-01a-01-ts1.svs');
const NDPI = slide('fluorescence-dapi.ndpi');
const KIDNEY = slide('kidney-48-5.tif');
const DICOM = slide('small_dicom.dcm');

const shared = sharedOnly();
const withOpenSlide = (): { skip: string | false } => {
  if (shared.skip) return shared;
  return isOpenSlideAvailable()
    ? { skip: false }
    : { skip: `OpenSlide not available (${openSlideUnavailableReason()}); apt-get install libopenslide0 to run this test` };
};

/** Open, run, and always close. */
async function using<T>(path: string, backend: string, fn: (r: SlideReader) => Promise<T>): Promise<T> {
  const r = await openSlide(path, { backend });
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

function mean(img: RgbImage): number {
  let s = 0;
  for (const v of img.data) s += v;
  return s / img.data.length;
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [...img.data.subarray(o, o + 3)];
}

// ---------------------------------------------------------------- real slides

test('cmu-1-small-region.svs (sharp): one 2220x2967 level, MPP 0.499, AppMag 20, three associated images', shared, async () => {
  await using(CMU, 'auto', async (r) => {
    const { info } = r;
    assert.equal(info.reader, 'sharp');
    assert.equal(info.format, 'aperio-svs');
    assert.deepEqual(info.levels, [{ width: 2220, height: 2967, downsample: 1, tileWidth: 240, tileHeight: 240 }]);
    assert.deepEqual(info.mpp, { x: 0.499, y: 0.499 });
    assert.equal(info.objectivePower, 20);
    assert.equal(info.properties['aperio.AppMag'], '20');
    assert.deepEqual([...info.associatedImages].sort(), ['label', 'macro', 'thumbnail']);
    const sizes = await Promise.all(['thumbnail', 'label', 'macro'].map(async (n) => {
      const a = await r.readAssociated(n);
      assert.equal(a.data.length, a.width * a.height * 3);
      return [a.width, a.height];
    }));
    assert.deepEqual(sizes, [[574, 768], [387, 463], [1280, 431]]);

    const region = await r.readRegion(0, 960, 1200, 1024, 1024);
    assert.deepEqual([region.width, region.height, region.data.length], [1024, 1024, 1024 * 1024 * 3]);
    assert.ok(mean(region) < 220, `expected tissue (darker than background) in the middle of the slide, mean ${mean(region)}`);
    // Reading the same pixels twice, and as one piece or two, gives identical bytes.
    const left = await r.readRegion(0, 960, 1200, 512, 1024);
    assert.deepEqual(left.data.subarray(0, 512 * 3), region.data.subarray(0, 512 * 3));
    assert.deepEqual((await r.readRegion(0, 960, 1200, 1024, 1024)).data, region.data);

    const thumb = await r.thumbnail(300);
    assert.deepEqual([thumb.width, thumb.height], [224, 300]);
  });
});

test('cmu-1-small-region.svs: sharp and OpenSlide give the same pixels', withOpenSlide(), async () => {
  const a = await openSlide(CMU, { backend: 'sharp' });
  const b = await openSlide(CMU, { backend: 'openslide' });
  try {
    assert.equal(b.info.reader, 'openslide');
    assert.deepEqual(b.info.levels, a.info.levels);
    assert.deepEqual(b.info.mpp, a.info.mpp);
    assert.equal(b.info.objectivePower, 20);
    assert.deepEqual([...b.info.associatedImages].sort(), [...a.info.associatedImages].sort());
    // Tile-aligned, unaligned, and crossing the bottom-right edge.
    for (const [x, y, w, h] of [[960, 1200, 1024, 1024], [37, 1501, 500, 300], [2000, 2800, 400, 300]] as const) {
      const d = meanAbsDiff(await a.readRegion(0, x, y, w, h), await b.readRegion(0, x, y, w, h));
      assert.ok(d < 2, `mean abs diff ${d} at (${x},${y}) ${w}x${h}`);
    }
    assert.ok(meanAbsDiff(await a.readAssociated('label'), await b.readAssociated('label')) < 2);
  } finally {
    await a.close();
    await b.close();
  }
});

test('tcga JPEG 2000 SVS: OpenSlide reads 2 levels; auto picks OpenSlide', withOpenSlide(), async () => {
  await using(JP2K, 'auto', async (r) => {
    assert.equal(r.info.reader, 'openslide');
    assert.equal(r.info.format, 'aperio-svs');
    assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.tileWidth]), [[4443, 3567, 256], [2221, 1783, 256]]);
    assert.ok(Math.abs(r.info.levels[1]!.downsample - 2.0005) < 1e-3);
    assert.equal(r.info.mpp, null);
    const region = await r.readRegion(1, 600, 500, 512, 512);
    assert.equal(region.data.length, 512 * 512 * 3);
    assert.ok(mean(region) < 230, `expected tissue at level 1 (600,500), mean ${mean(region)}`);
    // Level 1 is level 0 at half size: the same spot averaged down matches closely.
    const full = await r.readRegion(0, 1200, 1000, 256, 256);
    const half = await r.readRegion(1, 600, 500, 128, 128);
    const shrunk = await sharp(full.data, { raw: { width: 256, height: 256, channels: 3 } }).resize(128, 128, { kernel: 'linear' }).raw().toBuffer();
    assert.ok(meanAbsDiff({ width: 128, height: 128, data: shrunk }, half) < 12);
  });
});

test('tcga JPEG 2000 SVS: the sharp backend refuses, naming JPEG 2000 and how to install OpenSlide', shared, async () => {
  await assert.rejects(openSlide(JP2K, { backend: 'sharp' }), (err: Error) => {
    assert.match(err.message, /^.*tcga-cr-7395-01a-01-ts1\.svs: Aperio SVS with JPEG 2000 tiles \(TIFF compression 33005\)/);
    assert.match(err.message, /install OpenSlide: apt-get install libopenslide0/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
});

test('fluorescence-dapi.ndpi: OpenSlide reads the NDPI pyramid', withOpenSlide(), async () => {
  await using(NDPI, 'auto', async (r) => {
    assert.equal(r.info.reader, 'openslide');
    assert.equal(r.info.format, 'ndpi');
    assert.deepEqual([r.info.levels[0]!.width, r.info.levels[0]!.height], [3968, 4864]);
    assert.ok(r.info.levels.length >= 4);
    assert.ok(Math.abs(r.info.mpp!.x - 0.228) < 1e-3);
    assert.equal(r.info.objectivePower, 40);
    assert.ok(r.info.associatedImages.includes('macro'));
    const region = await r.readRegion(2, 0, 0, 992, 1216);
    assert.equal(region.data.length, 992 * 1216 * 3);
    const t = await r.thumbnail(128);
    assert.deepEqual([t.width, t.height], [104, 128]);
  });
});

test('fluorescence-dapi.ndpi: the sharp backend refuses clearly', shared, async () => {
  await assert.rejects(openSlide(NDPI, { backend: 'sharp' }), /fluorescence-dapi\.ndpi: Hamamatsu NDPI slides need OpenSlide; the sharp backend cannot read them \(install OpenSlide: apt-get install libopenslide0\)$/);
});

test('kidney-48-5.tif (sharp): stripped 1493x901 TIFF, almost all background, white beyond the edge', shared, async () => {
  await using(KIDNEY, 'auto', async (r) => {
    assert.equal(r.info.reader, 'sharp');
    assert.equal(r.info.format, 'generic-tiff');
    assert.deepEqual(r.info.levels, [{ width: 1493, height: 901, downsample: 1 }]);
    assert.deepEqual(r.info.associatedImages, []);
    const whole = await r.readRegion(0, 0, 0, 1493, 901);
    assert.ok(mean(whole) > 230, `nearly empty slide should be bright, mean ${mean(whole)}`);
    // Out of order reads of a stripped image, and a region hanging over the corner.
    const corner = await r.readRegion(0, 1400, 850, 200, 100);
    const top = await r.readRegion(0, 0, 0, 64, 64);
    assert.deepEqual(top.data, (await r.readRegion(0, 0, 0, 64, 64)).data);
    assert.deepEqual(pixel(corner, 92, 50), pixel(whole, 1492, 900));
    assert.deepEqual(pixel(corner, 93, 0), [255, 255, 255]);
    assert.deepEqual(pixel(corner, 0, 51), [255, 255, 255]);
  });
});

test('kidney-48-5.tif: OpenSlide (tiled TIFFs only) refuses clearly', withOpenSlide(), async () => {
  await assert.rejects(openSlide(KIDNEY, { backend: 'openslide' }), /kidney-48-5\.tif: OpenSlide [\d.]+ cannot read this TIFF file \(it reads tiled TIFFs only\)$/);
});

test('small_dicom.dcm: auto picks the dicom backend; sharp and OpenSlide 3.4 refuse, naming it', shared, async () => {
  await using(DICOM, 'auto', async (r) => assert.equal(r.info.reader, 'dicom'));
  await assert.rejects(openSlide(DICOM, { backend: 'sharp' }), /small_dicom\.dcm: DICOM whole-slide images are read by the dicom backend \(--backend dicom or auto\), not by sharp$/);
});

test('without libopenslide: sharp still reads SVS, and OpenSlide-only slides say to install it', shared, () => {
  // A child process, because the library is loaded once per process.
  const index = new URL('../../src/io/slide/index.js', import.meta.url).href;
  const script = `
    const { openSlide, isOpenSlideAvailable, openSlideUnavailableReason } = await import(${JSON.stringify(index)});
    const out = { available: isOpenSlideAvailable(), reason: openSlideUnavailableReason() };
    const r = await openSlide(${JSON.stringify(CMU)});
    out.cmu = [r.info.reader, (await r.readRegion(0, 0, 0, 8, 8)).data.length];
    await r.close();
    for (const [k, p] of [['jp2k', ${JSON.stringify(JP2K)}], ['ndpi', ${JSON.stringify(NDPI)}]]) {
      try { await openSlide(p); out[k] = 'opened'; } catch (e) { out[k] = e.message; }
    }
    try { await openSlide(${JSON.stringify(CMU)}, { backend: 'openslide' }); } catch (e) { out.forced = e.message; }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, FOCUSLITE_OPENSLIDE_LIBRARY: '/nonexistent/libopenslide.so.0' },
    encoding: 'utf8',
  });
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.equal(out['available'], false);
  assert.match(String(out['reason']), /libopenslide not found \(\/nonexistent\/libopenslide\.so\.0: /);
  assert.deepEqual(out['cmu'], ['sharp', 192]);
  assert.match(String(out['jp2k']), /tcga-cr-7395-01a-01-ts1\.svs: Aperio SVS slides with JPEG 2000 tiles need OpenSlide, which is not installed \(apt-get install libopenslide0\)$/);
  assert.match(String(out['ndpi']), /fluorescence-dapi\.ndpi: Hamamatsu NDPI slides need OpenSlide, which is not installed \(apt-get install libopenslide0\)$/);
  assert.match(String(out['forced']), /cmu-1-small-region\.svs: the openslide backend is not available: libopenslide not found/);
});

// ---------------------------------------------------------------- generated files

const tmp = mkdtempSync(join(tmpdir(), 'focuslite-slide-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Smooth RGB content (JPEG keeps it within a few levels), w x h. */
function smoothRgb(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      out[o] = Math.round(128 + 100 * Math.sin(x / 37));
      out[o + 1] = Math.round(128 + 100 * Math.cos(y / 29));
      out[o + 2] = Math.round(((x + y) / (w + h)) * 255);
    }
  }
  return out;
}

/** 2x2 box average, as libvips builds pyramid levels. */
function halve(src: Uint8Array, w: number, h: number): RgbImage {
  const hw = Math.floor(w / 2);
  const hh = Math.floor(h / 2);
  const out = new Uint8Array(hw * hh * 3);
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < hw; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => src[(yy * w + xx) * 3 + c]!;
        out[(y * hw + x) * 3 + c] = Math.round((at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4);
      }
    }
  }
  return { width: hw, height: hh, data: out };
}

function crop(src: Uint8Array, w: number, x: number, y: number, cw: number, ch: number): RgbImage {
  const out = new Uint8Array(cw * ch * 3);
  for (let r = 0; r < ch; r++) out.set(src.subarray(((y + r) * w + x) * 3, ((y + r) * w + x + cw) * 3), r * cw * 3);
  return { width: cw, height: ch, data: out };
}

const W = 1200;
const H = 800;
const SRC = smoothRgb(W, H);
const PYRAMID = join(tmp, 'pyramid.tiff');

test('generated tiled pyramidal JPEG TIFF (sharp): levels 0 and 1 match the source', async () => {
  await sharp(SRC, { raw: { width: W, height: H, channels: 3 } })
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 95 })
    .toFile(PYRAMID);
  await using(PYRAMID, 'auto', async (r) => {
    assert.equal(r.info.reader, 'sharp');
    assert.equal(r.info.format, 'generic-tiff');
    assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample, l.tileWidth]), [
      [1200, 800, 1, 256], [600, 400, 2, 256], [300, 200, 4, 256], [150, 100, 8, 256],
    ]);
    assert.equal(r.info.mpp, null); // libvips' default 1 px/mm is not a microscope resolution
    const l0 = await r.readRegion(0, 256, 256, 512, 400);
    assert.ok(meanAbsDiff(l0, crop(SRC, W, 256, 256, 512, 400)) < 2);
    const l1 = await r.readRegion(1, 100, 50, 300, 200);
    assert.ok(meanAbsDiff(l1, crop(halve(SRC, W, H).data, W / 2, 100, 50, 300, 200)) < 2);
    const t = await r.thumbnail(150);
    assert.deepEqual([t.width, t.height], [150, 100]);
    assert.ok(meanAbsDiff(t, await r.readRegion(3, 0, 0, 150, 100)) < 1e-9);
  });
});

test('generated pyramid: OpenSlide agrees with sharp at levels 0 and 1', withOpenSlide(), async () => {
  const a = await openSlide(PYRAMID, { backend: 'sharp' });
  const b = await openSlide(PYRAMID, { backend: 'openslide' });
  try {
    assert.equal(b.info.format, 'generic-tiff');
    assert.deepEqual(b.info.levels.map((l) => [l.width, l.height, l.downsample]), a.info.levels.map((l) => [l.width, l.height, l.downsample]));
    for (const level of [0, 1]) {
      const d = meanAbsDiff(await a.readRegion(level, 130, 70, 300, 250), await b.readRegion(level, 130, 70, 300, 250));
      assert.ok(d < 2, `level ${level}: mean abs diff ${d}`);
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('generated PNG: one level, exact pixels, transparent pixels white, region over the edge white', async () => {
  const w = 60;
  const h = 40;
  const rgba = new Uint8Array(w * h * 4);
  const rgb = patternRgb(w, h, 11);
  for (let i = 0; i < w * h; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = i % w < 10 ? 0 : 255; // first 10 columns transparent
  }
  const path = join(tmp, 'slide.png');
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(path);
  await using(path, 'auto', async (r) => {
    assert.deepEqual({ reader: r.info.reader, format: r.info.format, levels: r.info.levels }, {
      reader: 'sharp', format: 'png', levels: [{ width: 60, height: 40, downsample: 1 }],
    });
    const inner = await r.readRegion(0, 10, 5, 30, 20);
    assert.deepEqual(inner, crop(rgb, w, 10, 5, 30, 20));
    const edge = await r.readRegion(0, 50, 30, 20, 15);
    assert.deepEqual(pixel(edge, 0, 0), pixel(crop(rgb, w, 50, 30, 1, 1), 0, 0));
    assert.deepEqual(pixel(edge, 9, 9), pixel(crop(rgb, w, 59, 39, 1, 1), 0, 0));
    assert.deepEqual(pixel(edge, 10, 0), [255, 255, 255]);
    assert.deepEqual(pixel(edge, 0, 10), [255, 255, 255]);
    assert.deepEqual(pixel(await r.readRegion(0, 0, 0, 5, 5), 2, 2), [255, 255, 255]);
    assert.ok((await r.readRegion(0, 100, 100, 4, 4)).data.every((v) => v === 255));
  });
});

test('generated grey JPEG: grey is replicated to RGB', async () => {
  const path = join(tmp, 'grey.jpg');
  await sharp({ create: { width: 32, height: 24, channels: 3, background: '#646464' } }).greyscale().jpeg({ quality: 100 }).toFile(path);
  await using(path, 'sharp', async (r) => {
    assert.equal(r.info.format, 'jpeg');
    const px = pixel(await r.readRegion(0, 3, 3, 4, 4), 1, 1);
    assert.equal(px[0], px[1]);
    assert.equal(px[1], px[2]);
    assert.ok(Math.abs(px[0]! - 100) <= 1);
  });
});

test('generated OME-TIFF with SubIFD levels and an Aperio-like file with label/macro pages (exact pixels)', async () => {
  const ome = join(tmp, 'pyr.ome.tif');
  const base = patternRgb(200, 120, 1);
  const sub = patternRgb(100, 60, 2);
  writeFileSync(ome, tinyTiff([{
    width: 200, height: 120, rgb: base,
    description: '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" PhysicalSizeX="0.5" PhysicalSizeY="0.5" SizeX="200" SizeY="120"/></Image></OME>',
    subIfds: [{ width: 100, height: 60, rgb: sub, subfileType: 1 }],
  }]));
  await using(ome, 'auto', async (r) => {
    assert.deepEqual([r.info.reader, r.info.format], ['sharp', 'ome-tiff']);
    assert.deepEqual(r.info.mpp, { x: 0.5, y: 0.5 });
    assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.downsample]), [[200, 120, 1], [100, 60, 2]]);
    assert.deepEqual(await r.readRegion(1, 10, 20, 50, 30), crop(sub, 100, 10, 20, 50, 30));
    assert.deepEqual(await r.readRegion(0, 10, 20, 50, 30), crop(base, 200, 10, 20, 50, 30));
  });

  const svs = join(tmp, 'fake.svs');
  const label = patternRgb(30, 20, 3);
  writeFileSync(svs, tinyTiff([
    { width: 200, height: 120, description: 'Aperio Image Library Fake\r\n200x120 (200x120) RAW|AppMag = 40|MPP = 0.25' },
    { width: 50, height: 30, description: 'Aperio Image Library Fake\n200x120 -> 50x30 - |AppMag = 40' },
    { width: 30, height: 20, rgb: label, subfileType: 1, description: 'Aperio Image Library Fake\nlabel 30x20' },
  ]));
  await using(svs, 'sharp', async (r) => {
    assert.deepEqual([r.info.format, r.info.objectivePower, r.info.mpp], ['aperio-svs', 40, { x: 0.25, y: 0.25 }]);
    assert.deepEqual(r.info.associatedImages, ['thumbnail', 'label']);
    assert.deepEqual(await r.readAssociated('label'), { width: 30, height: 20, data: label });
    await assert.rejects(r.readAssociated('macro'), /fake\.svs: no associated image 'macro' \(available: thumbnail, label\)$/);
  });
});

test('bad arguments and closed readers fail with clear messages', async () => {
  const r = await openSlide(PYRAMID, { backend: 'sharp' });
  await assert.rejects(r.readRegion(4, 0, 0, 10, 10), /^Error: Expected integer between 0 and 3 for level but received 4$/);
  await assert.rejects(r.readRegion(0, -1, 0, 10, 10), /^Error: Expected integer between 0 and \d+ for x but received -1$/);
  await assert.rejects(r.readRegion(0, 0, -7, 10, 10), /for y but received -7$/);
  await assert.rejects(r.readRegion(0, 0, 0, 0, 10), /for width but received 0$/);
  await assert.rejects(r.thumbnail(0), /for maxSize but received 0$/);
  await r.close();
  await assert.rejects(r.readRegion(0, 0, 0, 10, 10), /pyramid\.tiff: slide reader is closed$/);
  await assert.rejects(openSlide(PYRAMID, { backend: 'gdal' }), /^Error: Expected one of auto, sharp, dicom, openslide for backend but received gdal$/);
});

test('missing, empty, unknown and corrupt files fail with one line naming the file', async () => {
  const missing = join(tmp, 'missing.svs');
  await assert.rejects(openSlide(missing), (e: Error) => e.message === `${missing}: no such file`);
  const empty = join(tmp, 'empty.svs');
  writeFileSync(empty, '');
  await assert.rejects(openSlide(empty), (e: Error) => e.message === `${empty}: empty file`);
  const junk = join(tmp, 'junk.svs');
  writeFileSync(junk, 'this is not a slide, just some text\n'.repeat(20));
  await assert.rejects(openSlide(junk), (e: Error) => e.message === `${junk}: not a recognised slide or image format`);
  await assert.rejects(openSlide(tmp), (e: Error) => e.message === `${tmp}: is a directory, not a slide file (nor a folder of DICOM whole-slide instances of one series)`);
  const truncated = join(tmp, 'truncated.tif');
  const whole = tinyTiff([{ width: 40, height: 30 }, { width: 20, height: 15 }]);
  writeFileSync(truncated, whole.subarray(0, whole.length - 30));
  await assert.rejects(openSlide(truncated), (e: Error) => e.message.startsWith(`${truncated}: corrupt TIFF: IFD data at offset`) && !e.message.includes('\n'));
  const jp2 = join(tmp, 'image.jp2');
  writeFileSync(jp2, Buffer.from([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a, 0, 0, 0, 0]));
  await assert.rejects(openSlide(jp2), (e: Error) => e.message === `${jp2}: JPEG 2000 files are not supported (neither sharp's libvips nor OpenSlide reads them)`);
  const badPng = join(tmp, 'bad.png');
  writeFileSync(badPng, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(50, 7)]));
  await assert.rejects(openSlide(badPng), (e: Error) => e.message.startsWith(`${badPng}: corrupt or unreadable PNG (`) && !e.message.includes('\n'));
});
