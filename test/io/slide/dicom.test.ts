/**
 * The DICOM whole-slide reader on files the tests write (tiny-dicom.ts): series folders, sparse
 * tiling with a missing frame, undeclared frame order, native / JPEG / JPEG 2000 frames with and
 * without offset tables, and truncated, corrupt and hostile files (one-line errors, memory capped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../../src/core/image.js';
import { expandInputs } from '../../../src/io/inputs.js';
import { DicomSlideReader } from '../../../src/io/slide/dicom-reader.js';
import { dicomSeriesFiles, openSlide } from '../../../src/io/slide/index.js';
import { TS, cutFrames, testImage, writeWsi, type WsiInstance } from './tiny-dicom.js';

const tmp = mkdtempSync(join(tmpdir(), 'focuslite-dicom-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

let fileCounter = 0;
function save(bytes: Uint8Array, name = `f${++fileCounter}.dcm`, dir = tmp): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function openDicom(path: string): Promise<DicomSlideReader> {
  const r = await openSlide(path, { backend: 'dicom' });
  assert.ok(r instanceof DicomSlideReader);
  return r;
}

/** The w x h region at (x, y) of an RGB buffer, white beyond its edges (what readRegion returns). */
function expected(src: Uint8Array, sw: number, sh: number, x: number, y: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3).fill(255);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const sx = x + c, sy = y + r;
      if (sx >= sw || sy >= sh) continue;
      const s = (sy * sw + sx) * 3, o = (r * w + c) * 3;
      out[o] = src[s]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s + 2]!;
    }
  }
  return { width: w, height: h, data: out };
}

function assertSame(actual: RgbImage, want: RgbImage, label: string): void {
  assert.deepEqual([actual.width, actual.height], [want.width, want.height], label);
  let diffs = 0;
  for (let i = 0; i < want.data.length; i++) if (actual.data[i] !== want.data[i]) diffs++;
  assert.equal(diffs, 0, `${label}: ${diffs} samples differ`);
}

const oneLine = (file: string) => (err: Error): boolean => {
  assert.ok(err.message.includes(file), `error should name ${file}: ${err.message}`);
  assert.doesNotMatch(err.message, /\n/);
  return true;
};

// ---------------------------------------------------------------- series folder, native frames

const L0 = { w: 1000, h: 700, px: testImage(1000, 700, 1) };
const L1 = { w: 500, h: 350, px: testImage(500, 350, 2) };
const LABEL = { w: 200, h: 100, px: testImage(200, 100, 3) };
const OVERVIEW = { w: 300, h: 120, px: testImage(300, 120, 4) };
const THUMB = { w: 250, h: 175, px: testImage(250, 175, 5) };
const ICC = Uint8Array.from({ length: 64 }, (_, i) => i);
const SERIES = join(tmp, 'series-1');
mkdirSync(SERIES);
const device = [
  [0x00080070, 'LO', 'Acme Scanners'],
  [0x00081090, 'LO', 'Z9'],
  [0x00181000, 'LO', 'SN-1'],
  [0x00181020, 'LO', '1.0'],
  [0x0008002a, 'DT', '20240315101112'],
] as WsiInstance['extra'];
function native(img: { w: number; h: number; px: Uint8Array }, tile: number, more: Partial<WsiInstance>): Uint8Array {
  return writeWsi({ totalWidth: img.w, totalHeight: img.h, tileWidth: tile, tileHeight: tile, frames: cutFrames(img.px, img.w, img.h, tile, tile), extra: device, ...more });
}
// Level 1 has no extension: series members are told by their DICM marker, not their names.
save(native(L0, 256, { instanceNumber: 1, pixelSpacingMm: [0.00025, 0.00025], objectivePower: 40, iccProfile: ICC }), 'level-0.dcm', SERIES);
save(native(L1, 256, { instanceNumber: 2, pixelSpacingMm: [0.0005, 0.0005], objectivePower: 40 }), 'level-1', SERIES);
save(native(LABEL, 200, { instanceNumber: 3, imageType: ['ORIGINAL', 'PRIMARY', 'LABEL', 'NONE'] }), 'label.dcm', SERIES);
save(native(OVERVIEW, 128, { instanceNumber: 4, imageType: ['ORIGINAL', 'PRIMARY', 'OVERVIEW', 'NONE'] }), 'overview.dcm', SERIES);
save(native(THUMB, 256, { instanceNumber: 5, imageType: ['DERIVED', 'PRIMARY', 'THUMBNAIL', 'RESAMPLED'] }), 'thumb.dcm', SERIES);
writeFileSync(join(SERIES, 'readme.txt'), 'not DICOM');

test('series folder: levels from VOLUME instances, label/macro/thumbnail from ImageType, metadata', async () => {
  assert.deepEqual(dicomSeriesFiles(SERIES)?.files.map((f) => f.slice(SERIES.length + 1)), ['label.dcm', 'level-0.dcm', 'level-1', 'overview.dcm', 'thumb.dcm']);
  const r = await openDicom(SERIES);
  try {
    const { info } = r;
    assert.equal(info.path, SERIES);
    assert.deepEqual([info.reader, info.format], ['dicom', 'dicom']);
    assert.deepEqual(info.levels, [
      { width: 1000, height: 700, downsample: 1, tileWidth: 256, tileHeight: 256 },
      { width: 500, height: 350, downsample: 2, tileWidth: 256, tileHeight: 256 },
    ]);
    assert.deepEqual(info.mpp, { x: 0.25, y: 0.25 });
    assert.equal(info.objectivePower, 40);
    assert.deepEqual([...info.associatedImages].sort(), ['label', 'macro', 'thumbnail']);
    assert.deepEqual(info.metadata, {
      scanDate: '2024-03-15T10:11:12',
      scanDateSource: 'dicom.AcquisitionDateTime',
      scannerVendor: 'Acme Scanners',
      scannerModel: 'Z9',
      scannerSerial: 'SN-1',
      software: '1.0',
      objectivePower: 40,
      mpp: { x: 0.25, y: 0.25 },
      mppSource: 'dicom.PixelSpacing (Shared Functional Groups, Pixel Measures)',
      iccProfileBytes: 64,
    });
    assert.deepEqual(r.iccProfile, ICC);
    assert.deepEqual(info.warnings, []);
    assert.equal(info.properties['dicom.level[0].organization'], 'TILED_FULL');
    assert.equal(info.properties['dicom.instance-count'], '5');
  } finally {
    await r.close();
  }
});

test('series folder, uncompressed frames: every region is pixel-identical to the source', async () => {
  const r = await openDicom(SERIES);
  try {
    // Whole level, one pixel, across tile corners, and over the bottom-right edge (white there).
    for (const [x, y, w, h] of [[0, 0, 1000, 700], [255, 255, 2, 2], [0, 0, 1, 1], [130, 250, 400, 300], [900, 600, 300, 300], [999, 699, 1, 1]] as const) {
      assertSame(await r.readRegion(0, x, y, w, h), expected(L0.px, L0.w, L0.h, x, y, w, h), `level 0 (${x},${y}) ${w}x${h}`);
    }
    assertSame(await r.readRegion(1, 0, 0, 500, 350), expected(L1.px, L1.w, L1.h, 0, 0, 500, 350), 'level 1');
    assertSame(await r.readAssociated('label'), expected(LABEL.px, LABEL.w, LABEL.h, 0, 0, LABEL.w, LABEL.h), 'label');
    assertSame(await r.readAssociated('macro'), expected(OVERVIEW.px, OVERVIEW.w, OVERVIEW.h, 0, 0, OVERVIEW.w, OVERVIEW.h), 'macro');
    assertSame(await r.readAssociated('thumbnail'), expected(THUMB.px, THUMB.w, THUMB.h, 0, 0, THUMB.w, THUMB.h), 'thumbnail');
    const t = await r.thumbnail(100);
    assert.deepEqual([t.width, t.height], [100, 70]);
    await assert.rejects(r.readAssociated('nope'), /series-1: no associated image 'nope' \(available: /);
  } finally {
    await r.close();
  }
  await assert.rejects(r.readRegion(0, 0, 0, 8, 8), /slide reader is closed/);
});

test('input expansion: a series folder is one slide; single-file slides and other files beside it are listed', async () => {
  const parent = join(tmp, 'batch');
  mkdirSync(join(parent, 'case-a'), { recursive: true });
  for (const name of ['label.dcm', 'level-0.dcm', 'level-1']) {
    writeFileSync(join(parent, 'case-a', name), native(name === 'label.dcm' ? LABEL : name === 'level-1' ? L1 : L0, 256, { imageType: ['ORIGINAL', 'PRIMARY', name === 'label.dcm' ? 'LABEL' : 'VOLUME', 'NONE'], seriesUid: '1.2.3.100' }));
  }
  // Two single-file slides of different series in one folder stay two slides.
  writeFileSync(join(parent, 'one.dcm'), native(L1, 256, { seriesUid: '1.2.3.201' }));
  writeFileSync(join(parent, 'two.dcm'), native(L1, 256, { seriesUid: '1.2.3.202' }));
  writeFileSync(join(parent, 'other.svs'), '');
  const slideFolder = (dir: string) => dicomSeriesFiles(dir)?.files ?? null;
  const all = await expandInputs([parent], ['.svs', '.dcm'], { slideFolder });
  assert.deepEqual(all.files.map((f) => f.slice(parent.length + 1)), ['case-a', 'one.dcm', 'other.svs', 'two.dcm']);
  assert.deepEqual((await expandInputs([join(parent, 'case-a')], ['.dcm'], { slideFolder })).files, [join(parent, 'case-a')]);
  // Without the option (the score command), folders are only searched.
  assert.equal((await expandInputs([parent], ['.dcm'])).files.length, 4);
  const r = await openSlide(join(parent, 'case-a'));
  try {
    assert.deepEqual(r.info.levels.map((l) => l.width), [1000, 500]);
    assert.deepEqual(r.info.associatedImages, ['label']);
  } finally {
    await r.close();
  }
  await assert.rejects(openSlide(parent), /batch: is a directory, not a slide file \(nor a folder of DICOM whole-slide instances of one series\)$/);
});

// ---------------------------------------------------------------- sparse tiling, frame order

test('TILED_SPARSE: frames placed by Plane Position (Slide) in any order; a missing frame is white', async () => {
  const { w, h, px } = L0;
  const tile = 200;
  const all = cutFrames(px, w, h, tile, tile); // 5 x 4 cells, row-major
  const missing = 7; // cell (2, 1)
  const order = [13, 0, 19, 4, 8, 1, 17, 2, 10, 3, 15, 5, 6, 18, 9, 11, 12, 14, 16];
  assert.equal(order.length, 19);
  assert.ok(!order.includes(missing));
  const path = save(writeWsi({
    totalWidth: w, totalHeight: h, tileWidth: tile, tileHeight: tile,
    frames: order.map((i) => all[i]!),
    positions: order.map((i) => ({ x: (i % 5) * tile, y: Math.floor(i / 5) * tile })),
  }));
  const r = await openDicom(path);
  try {
    assert.equal(r.info.properties['dicom.level[0].organization'], 'TILED_SPARSE');
    assert.deepEqual(r.frameCounts(), [19]);
    const whole = await r.readRegion(0, 0, 0, w, h);
    const want = expected(px, w, h, 0, 0, w, h);
    for (let y = 200; y < 400; y++) want.data.fill(255, (y * w + 400) * 3, (y * w + 600) * 3);
    assertSame(whole, want, 'sparse level with cell (2,1) missing');
    // A region entirely inside the missing cell decodes nothing and is white.
    const before = r.stats.framesDecoded;
    const hole = await r.readRegion(0, 410, 210, 100, 100);
    assert.ok(hole.data.every((v) => v === 255));
    assert.equal(r.stats.framesDecoded, before);
  } finally {
    await r.close();
  }
});

test('frame order: undeclared organisation with column-major frames is inferred from the seams; declared TILED_FULL is never reordered', async () => {
  const { w, h, px } = L0;
  const make = (order: 'row' | 'column', organization: 'TILED_FULL' | null) =>
    save(writeWsi({ totalWidth: w, totalHeight: h, tileWidth: 128, tileHeight: 128, frames: cutFrames(px, w, h, 128, 128, order), organization }));
  const whole = expected(px, w, h, 0, 0, w, h);
  for (const order of ['row', 'column'] as const) {
    const r = await openDicom(make(order, null));
    try {
      assertSame(await r.readRegion(0, 0, 0, w, h), whole, `${order}-major, undeclared`);
      assert.equal(r.info.warnings!.some((m) => /frame order inferred as column-major/.test(m)), order === 'column');
    } finally {
      await r.close();
    }
  }
  const declared = await openDicom(make('column', 'TILED_FULL'));
  try {
    const got = await declared.readRegion(0, 0, 0, w, h);
    assert.notDeepEqual(got.data, whole.data, 'a declared TILED_FULL file is read row-major, as the standard says');
    assert.deepEqual(declared.info.warnings, []);
  } finally {
    await declared.close();
  }
});

// ---------------------------------------------------------------- JPEG and JPEG 2000 frames

const JW = 900, JH = 600, JT = 256;
const JPX = testImage(JW, JH, 7);
const jpegFrames = await Promise.all(
  cutFrames(JPX, JW, JH, JT, JT).map(async (f) => new Uint8Array(await sharp(f, { raw: { width: JT, height: JT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer())),
);
/** What the frames decode to, pasted: the reader must place exactly these pixels. */
const jpegExpected = await (async () => {
  const across = Math.ceil(JW / JT);
  const out = new Uint8Array(JW * JH * 3);
  for (let i = 0; i < jpegFrames.length; i++) {
    const tile = await sharp(jpegFrames[i]!).raw().toBuffer();
    const c = i % across, r = Math.floor(i / across);
    for (let y = 0; y < JT && r * JT + y < JH; y++) {
      const wdt = Math.min(JT, JW - c * JT);
      out.set(tile.subarray(y * JT * 3, (y * JT + wdt) * 3), ((r * JT + y) * JW + c * JT) * 3);
    }
  }
  return out;
})();

for (const variant of [
  { offsets: 'bot', fragmentsPerFrame: 1 },
  { offsets: 'none', fragmentsPerFrame: 1 },
  { offsets: 'eot', fragmentsPerFrame: 1 },
  { offsets: 'bot', fragmentsPerFrame: 3 },
  { offsets: 'none', fragmentsPerFrame: 3 },
] as const) {
  test(`JPEG baseline frames, ${variant.offsets === 'bot' ? 'with a Basic Offset Table' : variant.offsets === 'eot' ? 'with an Extended Offset Table' : 'without offset table'}, ${variant.fragmentsPerFrame} fragment(s) per frame`, async () => {
    const path = save(writeWsi({ totalWidth: JW, totalHeight: JH, tileWidth: JT, tileHeight: JT, frames: jpegFrames, transferSyntax: TS.jpegBaseline, ...variant }));
    const r = await openDicom(path);
    try {
      assertSame(await r.readRegion(0, 0, 0, JW, JH), { width: JW, height: JH, data: jpegExpected }, 'JPEG level');
      assert.equal(r.stats.framesDecoded, 12);
      // Close to the source too (quality 90).
      const src = expected(JPX, JW, JH, 0, 0, JW, JH);
      let sum = 0;
      for (let i = 0; i < src.data.length; i++) sum += Math.abs(src.data[i]! - jpegExpected[i]!);
      assert.ok(sum / src.data.length < 6, `JPEG error ${sum / src.data.length}`);
    } finally {
      await r.close();
    }
  });
}

test('JPEG 2000 lossless frames (OpenJPEG WebAssembly): pixel-identical to the source', async () => {
  const require = createRequire(import.meta.url);
  // The package's full build has the encoder the reader does not need.
  const codec = await (require('@cornerstonejs/codec-openjpeg/wasmjs') as (o: object) => Promise<{ J2KEncoder: new () => {
    getDecodedBuffer(info: object): Uint8Array; encode(): void; getEncodedBuffer(): Uint8Array; delete(): void;
  } }>)({ print: () => {}, printErr: () => {} });
  const w = 300, h = 200, t = 128;
  const px = testImage(w, h, 9);
  const frames = cutFrames(px, w, h, t, t).map((f) => {
    const enc = new codec.J2KEncoder();
    try {
      enc.getDecodedBuffer({ width: t, height: t, bitsPerSample: 8, componentCount: 3, isSigned: false }).set(f);
      enc.encode();
      return enc.getEncodedBuffer().slice();
    } finally {
      enc.delete();
    }
  });
  for (const offsets of ['bot', 'none'] as const) {
    const r = await openDicom(save(writeWsi({ totalWidth: w, totalHeight: h, tileWidth: t, tileHeight: t, frames, transferSyntax: TS.j2kLossless, offsets })));
    try {
      assertSame(await r.readRegion(0, 0, 0, w, h), expected(px, w, h, 0, 0, w, h), `JPEG 2000 (${offsets})`);
      assert.equal(r.stats.framesDecoded, 6);
    } finally {
      await r.close();
    }
  }
  // A corrupt codestream is a one-line error naming the file and the frame.
  const bad = frames.map((f, i) => (i === 4 ? f.subarray(0, 200) : f));
  const path = save(writeWsi({ totalWidth: w, totalHeight: h, tileWidth: t, tileHeight: t, frames: bad, transferSyntax: TS.j2kLossless }));
  const r = await openDicom(path);
  try {
    await assert.rejects(r.readRegion(0, 0, 0, w, h), (err: Error) => oneLine(path)(err) && /cannot decode frame 5 of level 0 \(JPEG 2000: /.test(err.message));
  } finally {
    await r.close();
  }
});

test('thumbnail of a level too large to hold at once (no pyramid): read in bands, each block lands in place', async () => {
  const t = 512, across = 17, down = 17; // 8704 x 8704 > 2^26 pixels: the banded path
  const colour = (i: number) => [(i * 37) % 200 + 30, (i * 71) % 200 + 30, (i * 113) % 200 + 30];
  const frames = await Promise.all(Array.from({ length: across * down }, async (_, i) => {
    const [r, g, b] = colour(i);
    return new Uint8Array(await sharp({ create: { width: t, height: t, channels: 3, background: { r: r!, g: g!, b: b! } } }).jpeg({ quality: 95 }).toBuffer());
  }));
  const path = save(writeWsi({ totalWidth: across * t, totalHeight: down * t, tileWidth: t, tileHeight: t, frames, transferSyntax: TS.jpegBaseline }));
  const r = await openDicom(path);
  try {
    const thumb = await r.thumbnail(272);
    assert.deepEqual([thumb.width, thumb.height], [272, 272]);
    for (let i = 0; i < across * down; i++) {
      const x = (i % across) * 16 + 8, y = Math.floor(i / across) * 16 + 8;
      const o = (y * 272 + x) * 3;
      const want = colour(i);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(thumb.data[o + c]! - want[c]!) <= 3, `block ${i} channel ${c}: ${thumb.data[o + c]} vs ${want[c]}`);
    }
    assert.equal(r.stats.framesDecoded, across * down);
  } finally {
    await r.close();
  }
});

// ---------------------------------------------------------------- truncated and corrupt files

const jpegSpec: WsiInstance = { totalWidth: JW, totalHeight: JH, tileWidth: JT, tileHeight: JT, frames: jpegFrames, transferSyntax: TS.jpegBaseline };

test('truncated files: one-line errors at open naming the file, for every offset-table case', async () => {
  for (const offsets of ['bot', 'none', 'eot'] as const) {
    const full = writeWsi({ ...jpegSpec, offsets });
    const path = save(full.subarray(0, Math.floor(full.length * 0.7)), `truncated-${offsets}.dcm`);
    await assert.rejects(openSlide(path), (err: Error) => oneLine(path)(err) && /truncated/.test(err.message));
  }
  const nat = writeWsi({ totalWidth: 300, totalHeight: 200, tileWidth: 128, tileHeight: 128, frames: cutFrames(testImage(300, 200), 300, 200, 128, 128) });
  const cut = save(nat.subarray(0, nat.length - 1000), 'truncated-native.dcm');
  await assert.rejects(openSlide(cut), (err: Error) => oneLine(cut)(err) && /Pixel Data holds|runs past the end of the file/.test(err.message));
  const header = save(nat.subarray(0, 400), 'truncated-header.dcm');
  await assert.rejects(openSlide(header), (err: Error) => oneLine(header)(err) && /corrupt or truncated DICOM header|no Pixel Data/.test(err.message));
});

test('corrupt, unsupported and non-slide DICOM files: one-line errors naming the file', async () => {
  const garbage = new Uint8Array(4096).map((_, i) => (i * 151) & 255);
  garbage.set(new TextEncoder().encode('DICM'), 128);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['garbage.dcm', garbage, /corrupt DICOM meta header|corrupt or truncated DICOM header/],
    ['no-marker.dcm', new Uint8Array(4096), /not a DICOM Part 10 file \(no DICM marker at byte 128\)/],
    ['ct.dcm', writeWsi({ ...jpegSpec, sopClassUid: '1.2.840.10008.5.1.4.1.1.2' }), /not a DICOM whole-slide image \(SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2; expected VL Whole Slide Microscopy Image/],
    ['jpegls.dcm', writeWsi({ ...jpegSpec, transferSyntax: TS.jpegLs }), /DICOM transfer syntax JPEG-LS lossless \(1\.2\.840\.10008\.1\.2\.4\.80\) is not supported; supported: .*JPEG baseline/],
    ['short.dcm', writeWsi({ ...jpegSpec, frames: jpegFrames.slice(0, 5), offsets: 'none' }), /5 frames cannot tile a 900x600 matrix of 256x256 tiles/],
    ['label-only.dcm', writeWsi({ ...jpegSpec, imageType: ['ORIGINAL', 'PRIMARY', 'LABEL', 'NONE'] }), /no pyramid \(VOLUME\) image in this DICOM file \(found LABEL\)/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = save(bytes, name);
    await assert.rejects(openSlide(path), (err: Error) => oneLine(path)(err) && pattern.test(err.message));
  }
  // A frame whose JPEG data is damaged: the slide opens, the read fails naming the frame.
  const damaged = jpegFrames.map((f, i) => (i === 2 ? Uint8Array.from(f, (v, k) => (k > 700 ? (v * 7) & 255 : v)) : f));
  const path = save(writeWsi({ ...jpegSpec, frames: damaged.map((f, i) => (i === 2 ? f.subarray(0, 800) : f)) }), 'damaged.dcm');
  const r = await openDicom(path);
  try {
    await assert.rejects(r.readRegion(0, 0, 0, JW, JH), (err: Error) => oneLine(path)(err) && /cannot decode frame 3 of level 0/.test(err.message));
  } finally {
    await r.close();
  }
});

test('hostile headers and offset tables: one-line errors, memory stays small (child process, capped heap)', () => {
  const good = writeWsi({ ...jpegSpec });
  // 1. An element in the header claiming ~4 GB.
  const huge = Uint8Array.from(good);
  const at = Buffer.from(huge).indexOf(Buffer.from([0x48, 0x00, 0x06, 0x00, 0x55, 0x4c])); // (0048,0006) UL
  assert.ok(at > 0);
  huge.set([0x4f, 0x42, 0, 0, 0xf0, 0xff, 0xff, 0xff], at + 4); // becomes OB with length 0xFFFFFFF0
  // 2. A Basic Offset Table pointing frames far past the end of the file.
  const bot = Uint8Array.from(good);
  const px = Buffer.from(bot).lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  const v = new DataView(bot.buffer);
  v.setUint32(px + 12 + 8 + 4 * 11, 0x7ffffff0, true); // last frame's offset
  // 3. Ten million frames declared, a dozen stored, no offset table.
  const many = writeWsi({ ...jpegSpec, offsets: 'none', extra: [] });
  const manyPath = join(tmp, 'many-frames.dcm');
  writeFileSync(manyPath, Buffer.from(Buffer.from(many).toString('latin1').replace('IS\u0002\u000012', 'IS\u0008\u00009999999 '), 'latin1'));
  // 4. A fragment item claiming 2 GB without an offset table.
  const frag = writeWsi({ ...jpegSpec, offsets: 'none' });
  const fpx = Buffer.from(frag).lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  new DataView(frag.buffer).setUint32(fpx + 12 + 8 + 4, 0x7ffffff0, true);
  const files = [save(huge, 'hostile-length.dcm'), save(bot, 'hostile-bot.dcm'), manyPath, save(frag, 'hostile-fragment.dcm')];
  const index = new URL('../../../src/io/slide/index.js', import.meta.url).href;
  const script = `
    const { openSlide } = await import(${JSON.stringify(index)});
    const out = [];
    for (const f of ${JSON.stringify(files)}) {
      try { const r = await openSlide(f); await r.readRegion(0, 0, 0, 900, 600); await r.close(); out.push('opened ' + f); }
      catch (e) { out.push(e.message); }
    }
    console.log(JSON.stringify({ out, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const stdout = execFileSync(process.execPath, ['--max-old-space-size=96', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const { out, maxRssMb } = JSON.parse(stdout.trim().split('\n').pop()!) as { out: string[]; maxRssMb: number };
  const patterns = [
    /hostile-length\.dcm: (corrupt or truncated DICOM header|DICOM file has no Pixel Data)/,
    /hostile-bot\.dcm: (Basic Offset Table is not increasing|frame 12 starts at byte \d+, past the end of the file)/,
    /many-frames\.dcm: (12 fragments for 9999999 frames|Per-Frame)/,
    /hostile-fragment\.dcm: fragment 1 \(2147483632 bytes at offset \d+\) runs past the end of the file/,
  ];
  out.forEach((msg, i) => {
    assert.match(msg, patterns[i]!);
    assert.doesNotMatch(msg, /\n/);
  });
  assert.ok(maxRssMb < 300, `peak RSS ${maxRssMb.toFixed(0)} MB`);
});
