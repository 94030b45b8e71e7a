import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../../src/core/image.js';
import { argbToRgb } from '../../../src/io/slide/openslide-reader.js';
import { clipRegion, readClipped, thumbnailLevel, thumbnailSize, validateRegion } from '../../../src/io/slide/region.js';
import { slideThumbnail } from '../../../src/io/slide/thumbnail.js';
import type { SlideInfo, SlideLevel } from '../../../src/io/slide/types.js';

const levels: SlideLevel[] = [
  { width: 4000, height: 3000, downsample: 1 },
  { width: 1000, height: 750, downsample: 4 },
  { width: 250, height: 187, downsample: 16.02 },
];

test('validateRegion names the argument, its range and the value', () => {
  assert.throws(() => validateRegion(levels, 3, 0, 0, 1, 1), /^Error: Expected integer between 0 and 2 for level but received 3$/);
  assert.throws(() => validateRegion(levels, -1, 0, 0, 1, 1), /for level but received -1$/);
  assert.throws(() => validateRegion(levels, 0, -5, 0, 1, 1), /^Error: Expected integer between 0 and \d+ for x but received -5$/);
  assert.throws(() => validateRegion(levels, 0, 0, -1, 1, 1), /for y but received -1$/);
  assert.throws(() => validateRegion(levels, 0, 0.5, 0, 1, 1), /for x but received 0.5$/);
  assert.throws(() => validateRegion(levels, 0, 0, 0, 0, 1), /^Error: Expected integer between 1 and \d+ for width but received 0$/);
  assert.throws(() => validateRegion(levels, 0, 0, 0, 1, NaN), /for height but received NaN$/);
  assert.throws(() => validateRegion(levels, 0, 0, 0, 65536, 65536), /at most 268435456 pixels but received 65536x65536/);
  assert.doesNotThrow(() => validateRegion(levels, 2, 10_000, 10_000, 16, 16)); // outside: white, not an error
});

test('clipRegion intersects with the level and says where the rest lands', () => {
  assert.deepEqual(clipRegion(100, 80, 10, 20, 30, 40), { x: 10, y: 20, width: 30, height: 40, dx: 0, dy: 0 });
  assert.deepEqual(clipRegion(100, 80, 90, 70, 30, 40), { x: 90, y: 70, width: 10, height: 10, dx: 0, dy: 0 });
  assert.deepEqual(clipRegion(100, 80, -5, -6, 10, 10), { x: 0, y: 0, width: 5, height: 4, dx: 5, dy: 6 });
  assert.equal(clipRegion(100, 80, 100, 0, 10, 10), null);
});

test('readClipped pads with white and only asks for pixels inside the level', async () => {
  const asked: number[][] = [];
  const inside = async (x: number, y: number, w: number, h: number): Promise<RgbImage> => {
    asked.push([x, y, w, h]);
    return { width: w, height: h, data: new Uint8Array(w * h * 3).fill(7) };
  };
  const img = await readClipped(10, 8, 8, 6, 4, 3, inside);
  assert.deepEqual(asked, [[8, 6, 2, 2]]);
  const px = (x: number, y: number) => [...img.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
  assert.deepEqual([px(0, 0), px(1, 1), px(2, 0), px(0, 2), px(3, 2)], [[7, 7, 7], [7, 7, 7], [255, 255, 255], [255, 255, 255], [255, 255, 255]]);
  const outside = await readClipped(10, 8, 20, 0, 2, 2, inside);
  assert.equal(asked.length, 1);
  assert.deepEqual([...outside.data], new Array(12).fill(255));
});

test('thumbnailSize keeps the aspect ratio and never enlarges; thumbnailLevel picks the smallest big-enough level', () => {
  assert.deepEqual(thumbnailSize(4000, 3000, 400), { width: 400, height: 300 });
  assert.deepEqual(thumbnailSize(3000, 4000, 1000), { width: 750, height: 1000 });
  assert.deepEqual(thumbnailSize(300, 200, 1000), { width: 300, height: 200 });
  assert.deepEqual(thumbnailSize(10000, 10, 100), { width: 100, height: 1 });
  assert.throws(() => thumbnailSize(10, 10, 0), /Expected integer between 1 and \d+ for maxSize but received 0/);
  assert.equal(thumbnailLevel(levels, 240, 180), 2);
  assert.equal(thumbnailLevel(levels, 251, 188), 1);
  assert.equal(thumbnailLevel(levels, 1000, 750), 1);
  assert.equal(thumbnailLevel(levels, 1001, 751), 0);
});

test('slideThumbnail reads the whole chosen level once and resizes it', async () => {
  const asked: number[][] = [];
  const info = { levels } as unknown as SlideInfo;
  const reader = {
    info,
    async readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
      asked.push([level, x, y, w, h]);
      return { width: w, height: h, data: new Uint8Array(w * h * 3).fill(level * 50) };
    },
  };
  const t = await slideThumbnail(reader, 200);
  assert.deepEqual(asked, [[2, 0, 0, 250, 187]]);
  assert.deepEqual([t.width, t.height], [200, 150]);
  assert.ok(t.data.every((v) => v === 100));
});

test('argbToRgb composites premultiplied ARGB over white', () => {
  const argb = Uint32Array.of(
    0xff102030, // opaque
    0x00000000, // transparent -> white
    0x80400000, // half-transparent premultiplied dark red
  );
  assert.deepEqual([...argbToRgb(argb)], [0x10, 0x20, 0x30, 255, 255, 255, 0x40 + 127, 127, 127]);
});
