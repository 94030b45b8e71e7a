/**
 * Large images without a pyramid: read by regions, thumbnails streamed, memory bounded; and the
 * images that cannot be read so are refused with one line saying why and what to do.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate, deflateSync } from 'node:zlib';
import type { RgbImage } from '../../../src/core/image.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason, type SlideReader } from '../../../src/io/slide/index.js';
import { DIRECT_THUMBNAIL_PIXELS, resizeRgb, shrinkPlan, slideThumbnail } from '../../../src/io/slide/thumbnail.js';
import type { SlideInfo } from '../../../src/io/slide/types.js';
import { sparsePixel, sparseTiff, tissuePatch, tissueTexture, writeSparseTiff, type SparseTiffOptions } from './sparse-tiff.js';

const tmp = mkdtempSync(join(tmpdir(), 'focuslite-large-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const GLASS = [240, 240, 238] as const;

async function using<T>(path: string, backend: string, fn: (r: SlideReader) => Promise<T>): Promise<T> {
  const r = await openSlide(path, { backend });
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [...img.data.subarray(o, o + 3)];
}

/** Every pixel of a region read from the file equals what the generator wrote (white beyond the edge). */
function checkRegion(opts: SparseTiffOptions, img: RgbImage, x0: number, y0: number): void {
  const blocks = new Map<string, Uint8Array | null>();
  for (let y = 0; y < img.height; y += 7) {
    for (let x = 0; x < img.width; x += 5) {
      const inside = x0 + x < opts.width && y0 + y < opts.height;
      const want = inside ? sparsePixel(opts, x0 + x, y0 + y, blocks) : [255, 255, 255];
      assert.deepEqual(pixel(img, x, y), want, `pixel (${x0 + x},${y0 + y})`);
    }
  }
}

/** The thumbnail shows glass where the page is glass and tissue colours over the patch. */
function checkThumbnail(t: RgbImage, opts: SparseTiffOptions, patch: { x: number; y: number; w: number; h: number }): void {
  const sx = t.width / opts.width, sy = t.height / opts.height;
  assert.deepEqual(pixel(t, 2, 2), [...GLASS]);
  assert.deepEqual(pixel(t, t.width - 3, t.height - 3), [...GLASS]);
  const c = pixel(t, Math.round((patch.x + patch.w / 2) * sx), Math.round((patch.y + patch.h / 2) * sy));
  // tissueTexture: red 150..213, green 60..91, blue 140..203
  assert.ok(c[0]! >= 150 && c[0]! <= 213 && c[1]! >= 60 && c[1]! <= 91 && c[2]! >= 140 && c[2]! <= 203, `patch centre ${c}`);
}

test('a 20000x20000 tiled TIFF without a pyramid: streamed thumbnail, regions anywhere', async () => {
  const patch = { x: 9000, y: 12000, w: 1400, h: 1400 };
  const opts: SparseTiffOptions = { width: 20000, height: 20000, tile: 512, background: GLASS, block: tissuePatch(patch.x, patch.y, patch.w, patch.h) };
  const file = join(tmp, 'tiled-20k.tif');
  writeSparseTiff(file, opts);
  await using(file, 'auto', async (r) => {
    assert.equal(r.info.reader, 'sharp');
    assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.tileWidth]), [[20000, 20000, 512]]);
    const t = await r.thumbnail(500);
    assert.deepEqual([t.width, t.height], [500, 500]);
    checkThumbnail(t, opts, patch);
    checkRegion(opts, await r.readRegion(0, 9300, 12900, 700, 600), 9300, 12900);
    checkRegion(opts, await r.readRegion(0, 19800, 19700, 400, 400), 19800, 19700);
  });
});

test('a 12000x12000 stripped TIFF: regions from the strips under them, streamed thumbnail', async () => {
  const patch = { x: 5000, y: 9000, w: 1300, h: 1200 };
  const opts: SparseTiffOptions = { width: 12000, height: 12000, rowsPerStrip: 64, background: GLASS, block: tissuePatch(patch.x, patch.y, patch.w, patch.h) };
  const file = join(tmp, 'stripped-12k.tif');
  writeSparseTiff(file, opts);
  await using(file, 'sharp', async (r) => {
    assert.deepEqual(r.info.levels.map((l) => [l.width, l.height, l.tileWidth]), [[12000, 12000, undefined]]);
    // bottom first, then top: strips are read in any order
    checkRegion(opts, await r.readRegion(0, 5900, 10100, 800, 300), 5900, 10100);
    checkRegion(opts, await r.readRegion(0, 11900, 11950, 300, 200), 11900, 11950);
    checkRegion(opts, await r.readRegion(0, 4990, 8990, 600, 100), 4990, 8990);
    checkRegion(opts, await r.readRegion(0, 0, 0, 200, 200), 0, 0);
    const t = await r.thumbnail(400);
    assert.deepEqual([t.width, t.height], [400, 400]);
    checkThumbnail(t, opts, patch);
  });
});

test('region-by-region thumbnails (any backend) read bounded regions and match a direct resize', async () => {
  // a smooth 5000x4500 level, too large for one direct read (> DIRECT_THUMBNAIL_PIXELS)
  const lw = 5000, lh = 4500;
  assert.ok(lw * lh > DIRECT_THUMBNAIL_PIXELS);
  const full = new Uint8Array(lw * lh * 3);
  for (let y = 0; y < lh; y++) {
    for (let x = 0; x < lw; x++) {
      const o = (y * lw + x) * 3;
      full[o] = (x * 255) / lw;
      full[o + 1] = (y * 255) / lh;
      full[o + 2] = 128 + 100 * Math.sin(x / 300) * Math.cos(y / 250);
    }
  }
  const asked: number[][] = [];
  const reader = {
    info: { levels: [{ width: lw, height: lh, downsample: 1 }] } as unknown as SlideInfo,
    async readRegion(_level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
      asked.push([x, y, w, h]);
      const out = new Uint8Array(w * h * 3);
      for (let r = 0; r < h; r++) out.set(full.subarray(((y + r) * lw + x) * 3, ((y + r) * lw + x + w) * 3), r * w * 3);
      return { width: w, height: h, data: out };
    },
  };
  const t = await slideThumbnail(reader, 300);
  assert.deepEqual([t.width, t.height], [300, 270]);
  const plan = shrinkPlan(lw, lh, 300, 270);
  assert.equal(plan.factor, 8);
  // a large thumbnail of a large level: the factor grows so the intermediate stays bounded
  const big = shrinkPlan(40000, 30000, 4000, 3000);
  assert.ok(big.factor === 9 && big.width * big.height <= DIRECT_THUMBNAIL_PIXELS, JSON.stringify(big));
  // never beyond the full ratio, even when the thumbnail itself is large
  assert.equal(shrinkPlan(40000, 40000, 8000, 8000).factor, 5);
  assert.ok(asked.length > 1 && asked.every(([, , w, h]) => w! * h! <= 4096 * 4096), `regions ${JSON.stringify(asked)}`);
  const direct = await resizeRgb({ width: lw, height: lh, data: full }, 300, 270);
  let worst = 0, sum = 0;
  for (let i = 0; i < t.data.length; i++) {
    const d = Math.abs(t.data[i]! - direct.data[i]!);
    worst = Math.max(worst, d);
    sum += d;
  }
  console.log(`region-by-region vs direct thumbnail: mean abs diff ${(sum / t.data.length).toFixed(3)}, max ${worst}`);
  assert.ok(sum / t.data.length < 0.3 && worst <= 4, `mean abs diff ${sum / t.data.length}, max ${worst}`);
});

test('OpenSlide reads a non-pyramidal tiled TIFF too; its region-by-region thumbnail agrees with sharp\'s', {
  skip: isOpenSlideAvailable() ? false : `OpenSlide not available (${openSlideUnavailableReason()})`,
}, async () => {
  const patch = { x: 2000, y: 1500, w: 1500, h: 1500 };
  const opts: SparseTiffOptions = { width: 6000, height: 5000, tile: 256, background: GLASS, block: tissuePatch(patch.x, patch.y, patch.w, patch.h) };
  const file = join(tmp, 'tiled-6k.tif');
  writeSparseTiff(file, opts);
  const a = await using(file, 'sharp', (r) => r.thumbnail(480));
  const b = await using(file, 'openslide', (r) => r.thumbnail(480));
  assert.deepEqual([b.width, b.height], [a.width, a.height]);
  checkThumbnail(b, opts, patch);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  assert.ok(s / a.data.length < 1, `mean abs diff ${s / a.data.length}`);
});

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG that declares width x height RGB; only its first row is stored (the header decides). */
function declaredPng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(new Uint8Array(1 + width * 3))), pngChunk('IEND', new Uint8Array(0))];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Rewrites the inline LONG/SHORT value of `tag` in the first IFD of a little-endian classic TIFF. */
function patchTag(file: Uint8Array, tag: number, value: number): void {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const ifd = v.getUint32(4, true);
  for (let i = 0; i < v.getUint16(ifd, true); i++) {
    const o = ifd + 2 + i * 12;
    if (v.getUint16(o, true) !== tag) continue;
    if (v.getUint16(o + 2, true) === 3) v.setUint16(o + 8, value, true);
    else v.setUint32(o + 8, value, true);
    return;
  }
  throw new Error(`tag ${tag} not found`);
}

/** A PNG of glass with a tissueTexture patch, streamed through zlib row by row (no full raster in memory). */
async function patchPng(width: number, height: number, p: { x: number; y: number; w: number; h: number }): Promise<Uint8Array> {
  const z = createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  z.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => z.on('end', resolve));
  const glass = new Uint8Array(1 + width * 3);
  for (let i = 1; i < glass.length; i += 3) glass.set(GLASS, i);
  for (let y = 0; y < height; y++) {
    let row = glass;
    if (y >= p.y && y < p.y + p.h) {
      row = glass.slice();
      row.set(tissueTexture(p.x, y, p.w, 1), 1 + p.x * 3);
    }
    if (!z.write(row)) await new Promise((resolve) => z.once('drain', resolve));
  }
  z.end();
  await done;
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const chunks = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', new Uint8Array(0))];
  return Buffer.concat(chunks);
}

test('a PNG too large to decode whole (8400x8200): streamed thumbnail, regions decoded from the top', async () => {
  const patch = { x: 3000, y: 7000, w: 900, h: 800 };
  const file = join(tmp, 'large.png');
  writeFileSync(file, await patchPng(8400, 8200, patch));
  // the expected pixels, described as one-row strips
  const opts: SparseTiffOptions = { width: 8400, height: 8200, rowsPerStrip: 1, background: GLASS, block: tissuePatch(patch.x, patch.y, patch.w, patch.h) };
  await using(file, 'auto', async (r) => {
    assert.equal(r.info.format, 'png');
    const t = await r.thumbnail(420);
    assert.deepEqual([t.width, t.height], [420, 410]);
    checkThumbnail(t, opts, patch);
    checkRegion(opts, await r.readRegion(0, 3500, 7600, 500, 300), 3500, 7600);
    checkRegion(opts, await r.readRegion(0, 100, 100, 300, 300), 100, 100);
  });
});

test('what cannot be read in bounded memory is refused with one line saying why and what to do', async () => {
  const png = join(tmp, 'huge.png');
  writeFileSync(png, declaredPng(20000, 20000));
  await assert.rejects(openSlide(png), (err: Error) => {
    assert.equal(err.message.split('\n').length, 1);
    assert.match(err.message, /huge\.png: 20000x20000 PNG \(400 MP\) is too large to score by regions: PNG can only be decoded from its first row, so every region would decode the image again \(limit 268 MP\); convert it to a tiled TIFF, e\.g\. vips tiffsave/);
    return true;
  });
  // a stripped TIFF declaring ONE Deflate strip of 12000 rows (412 MiB decoded): libvips would hold it whole
  const bytes = sparseTiff({ width: 12000, height: 64, rowsPerStrip: 64, background: GLASS });
  patchTag(bytes, 257, 12000);
  patchTag(bytes, 278, 12000);
  const tif = join(tmp, 'one-strip.tif');
  writeFileSync(tif, bytes);
  await assert.rejects(openSlide(tif), /one-strip\.tif: 12000x12000 stripped TIFF page stores 12000 rows per compressed strip \(412 MiB decoded each, limit 256 MiB\), too large to decode in bounded memory; convert it to a tiled TIFF/);
});
