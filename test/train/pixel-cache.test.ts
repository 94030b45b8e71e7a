import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { cropImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/io/decode.js';
import { buildPixelCache, openPixelReader } from '../../src/train/pixel-cache.js';
import { rng } from '../helpers.js';

let root: string;
const paths: string[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'focuslite-cache-'));
  const r = rng(4);
  for (const [i, [w, h]] of [[40, 30], [33, 50], [64, 64]].entries()) {
    const p = join(root, `img${i}.png`);
    await sharp(Uint8Array.from({ length: w! * h! * 3 }, () => Math.floor(r() * 256)), { raw: { width: w!, height: h!, channels: 3 } }).png().toFile(p);
    paths.push(p);
  }
});

after(() => rmSync(root, { recursive: true, force: true }));

test('memory and disk caches return the decoded pixels of any crop', async () => {
  const mem = await buildPixelCache(paths, { memBytes: 1e9 });
  const disk = await buildPixelCache(paths, { memBytes: 0, dir: join(root, 'c1') });
  assert.equal(mem.descriptor.kind, 'memory');
  assert.equal(disk.descriptor.kind, 'disk');
  assert.equal(disk.bytes, (40 * 30 + 33 * 50 + 64 * 64) * 3);
  // disk: band reads (the default) and one read per row
  const readers = [openPixelReader(mem.descriptor), openPixelReader(disk.descriptor), openPixelReader(disk.descriptor, { bandBytes: 0 })];
  for (const [i, p] of paths.entries()) {
    const img = await decodeImage(p);
    for (const [x, y, s] of [[0, 0, 20], [img.width - 20, img.height - 20, 20], [3, 5, 25]] as const) {
      const want = cropImage(img, x, y, s, s).data;
      for (const rd of readers) {
        const got = new Uint8Array(s * s * 3 + 4);
        rd.readCrop(i, x, y, s, got, 4);
        assert.deepEqual(got.subarray(4), want);
      }
    }
  }
  for (const rd of readers) assert.throws(() => rd.readCrop(0, 30, 0, 20, new Uint8Array(1200), 0), /Crop 20x20 at \(30,0\) lies outside cached image 0 \(40x30\)/);
  for (const rd of readers) rd.close();
});

test('a complete disk cache is reused; a changed image or a broken index forces a rebuild', async () => {
  const dir = join(root, 'c2');
  const first = await buildPixelCache(paths, { memBytes: 0, dir });
  assert.equal(first.reused, false);
  let progress = 0;
  const again = await buildPixelCache(paths, { memBytes: 0, dir, onProgress: () => progress++ });
  assert.equal(again.reused, true);
  assert.equal(progress, 0);
  const later = new Date(Date.now() + 5000);
  utimesSync(paths[1]!, later, later);
  assert.equal((await buildPixelCache(paths, { memBytes: 0, dir })).reused, false);
  writeFileSync(join(dir, 'pixels.json'), '{"format": "focuslite-pix');
  const rebuilt = await buildPixelCache(paths, { memBytes: 0, dir });
  assert.equal(rebuilt.reused, false);
  rebuilt.dispose();
  assert.deepEqual(readdirSync(dir), []);
});

test('cache errors name the file', async () => {
  await assert.rejects(buildPixelCache([join(root, 'missing.png')], { memBytes: 1e9 }), /missing\.png: image not found/);
  await assert.rejects(buildPixelCache(paths, { memBytes: 1e9, minSide: 35 }), /img0\.png is 40x30, smaller than one 35x35 training crop \(and 1 more bad image\(s\)\)/);
  await assert.rejects(buildPixelCache(paths, { memBytes: 0 }), /more than the 0\.00 GB memory budget, and no cache folder was given/);
  const bad = join(root, 'bad.png');
  writeFileSync(bad, 'not a png');
  await assert.rejects(buildPixelCache([bad], { memBytes: 1e9 }), /bad\.png: cannot read image header/);
});

