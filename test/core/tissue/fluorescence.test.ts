/**
 * The inverted (fluorescence) tissue detector on generated thumbnails with a known tissue area,
 * and on the shared DAPI slide when OpenSlide is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../../src/core/image.js';
import { isOpenSlideAvailable, openSlide, openSlideUnavailableReason } from '../../../src/io/slide/index.js';
import { detectTissueFluorescence } from '../../../src/core/tissue/fluorescence.js';
import { rng, sharedOnly, sharedPath } from '../../helpers.js';

const W = 200, H = 150;
/** inside the tissue square: sparse bright nuclei on faint autofluorescence; outside: black with noise */
const TISSUE = { x0: 40, y0: 30, x1: 140, y1: 110 };
const inTissue = (x: number, y: number) => x >= TISSUE.x0 && x < TISSUE.x1 && y >= TISSUE.y0 && y < TISSUE.y1;

function thumb(tissue: boolean, seed = 3): RgbImage {
  const r = rng(seed);
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const bg = 1 + Math.floor(r() * 3);
      // a third of the tissue pixels are nuclei (blue, DAPI-like), the rest autofluorescence of 8-12
      const v = tissue && inTissue(x, y) ? (r() < 0.3 ? 80 + Math.floor(r() * 170) : 8 + Math.floor(r() * 5)) : bg;
      data[o] = 1; data[o + 1] = 1; data[o + 2] = v;
    }
  }
  return { width: W, height: H, data };
}

test('sparse nuclei on faint autofluorescence: the region is tissue, background beyond the averaging window is not', () => {
  // 1 µm per thumbnail pixel: the 20 µm window is 20 px, capped at 16.
  const t = detectTissueFluorescence(thumb(true), { downsample: 2, mpp: 0.5, minObjectUm2: 100, maxHoleUm2: 100 });
  assert.equal(t.method, 'fluorescence-threshold');
  let inside = 0, far = 0;
  // distance (in thumbnail px) from the square, along the worse axis
  const dist = (x: number, y: number) => Math.max(TISSUE.x0 - x, x - TISSUE.x1 + 1, TISSUE.y0 - y, y - TISSUE.y1 + 1, 0);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (!t.pixelMask[y * W + x]) continue;
    if (inTissue(x, y)) inside++;
    else if (dist(x, y) > 16) far++;
  }
  const area = (TISSUE.x1 - TISSUE.x0) * (TISSUE.y1 - TISSUE.y0);
  assert.ok(inside / area > 0.9, `tissue found ${inside}/${area}`);
  // The averaging window (16 px here) widens the border outwards by less than its radius (the
  // README's caveat); background beyond it is never tissue.
  assert.equal(far, 0, 'background beyond the window called tissue');
  assert.equal(t.penFraction, 0);
});

test('a black slide with noise only: no tissue (fluorescence-empty)', () => {
  const t = detectTissueFluorescence(thumb(false), { downsample: 2, mpp: 0.5 });
  assert.deepEqual([t.method, t.tissueFraction, t.pixelTissueFraction], ['fluorescence-empty', 0, 0]);
  assert.throws(() => detectTissueFluorescence({ width: 2, height: 2, data: new Uint8Array(3) }), /Expected 12 bytes for a 2x2 RGB image but received 3/);
});

const withOpenSlide = (): { skip: string | false } => {
  const shared = sharedOnly();
  if (shared.skip) return shared;
  return isOpenSlideAvailable() ? { skip: false } : { skip: `OpenSlide not available (${openSlideUnavailableReason()}); apt-get install libopenslide0 to run this test` };
};

test('fluorescence-dapi.ndpi: the tissue is most of the slide, the black margins are not', withOpenSlide(), async () => {
  const r = await openSlide(sharedPath('data', 'slides', 'fluorescence-dapi.ndpi'));
  try {
    const th = await r.thumbnail(512);
    const t = detectTissueFluorescence(th, { downsample: r.info.levels[0]!.width / th.width, mpp: r.info.mpp!.x });
    // Measured: 82% (the skin section fills the scan but for its left-top corner and bottom strip).
    assert.ok(t.pixelTissueFraction > 0.7 && t.pixelTissueFraction < 0.92, `tissue ${t.pixelTissueFraction}`);
    // The bottom rows of the thumbnail are black margin (signal 2).
    for (let x = 0; x < th.width; x += 7) assert.equal(t.pixelMask[(th.height - 3) * th.width + x], 0, `x ${x}`);
  } finally {
    await r.close();
  }
});
