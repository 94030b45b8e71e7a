import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type TiffOptions } from 'sharp';
import { bufferSource } from '../../../src/io/slide/source.js';
import { planStripBands, readStripBand, stripGeometry } from '../../../src/io/slide/tiff-strips.js';
import { readTiffStructure } from '../../../src/io/slide/tiff-tags.js';
import { sparseTiff, tissuePatch } from './sparse-tiff.js';
import { patternRgb, tinyTiff } from './tiny-tiff.js';

const W = 600;
const H = 1100;

async function rgbOf(input: Uint8Array, rect?: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  let img = sharp(input, { failOn: 'error' });
  if (rect) img = img.extract(rect);
  return img.removeAlpha().toColourspace('srgb').raw().toBuffer();
}

/**
 * Rows y0..y1 rebuilt band by band from the strips under them equal the same rows of the whole
 * page decoded by libvips: the rewrapped TIFFs decode exactly like the original strips.
 */
async function checkBands(name: string, file: Uint8Array, y0: number, y1: number, maxBytes: number): Promise<number> {
  const t = await readTiffStructure(bufferSource(file, name));
  const dir = t.pages[0]!;
  const g = stripGeometry(dir);
  assert.ok(g.ok, `${name}: ${g.ok ? '' : g.reason}`);
  const flavour = { littleEndian: t.littleEndian, bigTiff: t.bigTiff };
  const src = bufferSource(file, name);
  const bands = await planStripBands(src, flavour, dir, g.geometry, y0, y1, maxBytes);
  assert.ok(bands[0]!.top <= y0 && bands.at(-1)!.bottom >= y1, `${name}: bands cover the rows`);
  const whole = await rgbOf(file, { left: 0, top: y0, width: dir.width, height: y1 - y0 });
  const got = Buffer.alloc(whole.length);
  for (const b of bands) {
    const band = await readStripBand(src, flavour, dir, g.geometry, b.top, b.bottom);
    assert.equal(band.top, b.top);
    const from = Math.max(y0, b.top), to = Math.min(y1, b.bottom);
    const px = await rgbOf(band.tiff, { left: 0, top: from - b.top, width: dir.width, height: to - from });
    px.copy(got, (from - y0) * dir.width * 3);
  }
  assert.ok(got.equals(whole), `${name}: rows ${y0}..${y1} rebuilt from ${bands.length} band(s) differ from the whole-page decode`);
  return bands.length;
}

test('strip bands of libvips-written stripped TIFFs decode exactly like the page (LZW, Deflate+predictor, JPEG, PackBits, BigTIFF)', async () => {
  const src = sharp(Buffer.from(patternRgb(W, H, 9)), { raw: { width: W, height: H, channels: 3 } });
  const variants: Array<[string, TiffOptions]> = [
    ['lzw', { compression: 'lzw' }],
    ['deflate-predictor', { compression: 'deflate', predictor: 'horizontal' }],
    ['jpeg', { compression: 'jpeg', quality: 85 }],
    ['packbits', { compression: 'packbits' }],
    ['none', { compression: 'none' }],
    ['bigtiff-lzw', { compression: 'lzw', bigtiff: true }],
  ];
  for (const [name, opts] of variants) {
    const file = new Uint8Array(await src.clone().tiff(opts).toBuffer());
    const t = await readTiffStructure(bufferSource(file, name));
    assert.equal(t.pages[0]!.tileWidth, null);
    assert.ok(t.pages[0]!.entries.get(273)!.count > 1, `${name}: several strips`);
    // rows that start and end inside strips, in one band and in bands of a few strips
    await checkBands(name, file, 300, 1037, 1 << 30);
    assert.ok((await checkBands(name, file, 5, H, 4000)) > 1, `${name}: split into several bands`);
  }
});

test('uncompressed pages are cut by rows, even when stored as one strip', async () => {
  const file = tinyTiff([{ width: 300, height: 200 }]);
  const t = await readTiffStructure(bufferSource(file, 'one-strip.tif'));
  assert.equal(t.pages[0]!.entries.get(273)!.count, 1);
  // 10 rows per band: a one-strip page read a few rows at a time
  assert.equal(await checkBands('one-strip.tif', file, 37, 163, 300 * 3 * 10), 13);
  // Deflate strips of a sparse page (shared blank strips): whole strips only
  const sparse = sparseTiff({ width: 500, height: 700, rowsPerStrip: 32, background: [240, 240, 238], block: tissuePatch(100, 250, 200, 300) });
  await checkBands('sparse.tif', sparse, 200, 699, 1 << 20);
  const uncompressed = sparseTiff({ width: 500, height: 700, rowsPerStrip: 32, compression: 1, background: [240, 240, 238], block: tissuePatch(100, 250, 200, 300) });
  await checkBands('sparse-raw.tif', uncompressed, 201, 650, 500 * 3 * 7);
});

test('strip geometry: corrupt or missing strip tables are reasons, not crashes', async () => {
  const file = tinyTiff([{ width: 300, height: 200 }]);
  const dir = (await readTiffStructure(bufferSource(file, 'x.tif'))).pages[0]!;
  const g = stripGeometry(dir);
  assert.ok(g.ok);
  assert.deepEqual([g.geometry.rowsPerStrip, g.geometry.stripsPerPlane, g.geometry.rawRowBytes], [200, 1, 900]);
  const noOffsets = { ...dir, entries: new Map([...dir.entries].filter(([tag]) => tag !== 273)) };
  assert.deepEqual(stripGeometry(noOffsets), { ok: false, reason: 'the page has no StripOffsets/StripByteCounts' });
  const fewer = { ...dir, rowsPerStrip: 10 };
  assert.deepEqual(stripGeometry(fewer), { ok: false, reason: 'the page lists 1 strips but needs 20' });
  // a strip pointing past the end of the file is named
  const truncated = file.slice(0, 2000);
  const tdir = (await readTiffStructure(bufferSource(file, 'x.tif'))).pages[0]!;
  await assert.rejects(readStripBand(bufferSource(truncated, 't.tif'), { littleEndian: true, bigTiff: false }, tdir, g.geometry, 100, 120),
    /corrupt TIFF: strip 0 \(bytes \d+\.\.\d+\) lies beyond the end of the file \(2000 bytes\)/);
});
