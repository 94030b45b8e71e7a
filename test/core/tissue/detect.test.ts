import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { RgbImage } from '../../../src/core/image.js';
import { decodeImage } from '../../../src/io/decode.js';
import {
  buildIntegral, detectTissue, dilate, erode, fillSmallHoles, fractionFromIntegral, otsuThreshold,
  penCode, removeSmallObjects, tissueFractionOfRect, PEN_SEED,
} from '../../../src/core/tissue/detect.js';
import { rng, sharedOnly, sharedPath } from '../../helpers.js';

// ---------------------------------------------------------------------------------------------
// Synthetic images

type Rgb = [number, number, number];

/** Glass with sensor noise, then painted shapes; every shape pixel gets the same noise. */
function paint(w: number, h: number, seed: number, shapes: Array<{ inside: (x: number, y: number) => boolean; colour: Rgb }>): RgbImage {
  const rand = rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c: Rgb = [242, 241, 244];
      for (const s of shapes) if (s.inside(x, y)) c = s.colour;
      for (let k = 0; k < 3; k++) data[(y * w + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k]! + (rand() - 0.5) * 10)));
    }
  }
  return { width: w, height: h, data };
}

const PINK: Rgb = [228, 160, 205]; // eosin-rich stroma, S ~ 0.30
const PURPLE: Rgb = [150, 95, 175]; // haematoxylin-rich, S ~ 0.46
const GREEN_INK: Rgb = [60, 165, 140];

test('synthetic slide: tissue area is recovered, debris removed, green ink excluded', () => {
  const w = 240, h = 180;
  const inRect = (x0: number, y0: number, x1: number, y1: number) => (x: number, y: number) => x >= x0 && x < x1 && y >= y0 && y < y1;
  const img = paint(w, h, 1, [
    { inside: inRect(20, 30, 120, 130), colour: PINK }, // 100 x 100
    { inside: (x, y) => (x - 70) ** 2 + (y - 80) ** 2 < 20 ** 2, colour: PURPLE }, // inside the pink square
    { inside: inRect(150, 40, 210, 100), colour: PURPLE }, // 60 x 60
    { inside: inRect(180, 150, 182, 152), colour: PURPLE }, // 2 x 2 debris
    { inside: inRect(0, 160, 240, 170), colour: GREEN_INK }, // ink stroke on glass
    { inside: inRect(100, 60, 106, 130), colour: GREEN_INK }, // ink over the pink square, 6 x 70
  ]);
  // 4 µm per thumbnail pixel: debris is 64 µm², far below the 20,000 µm² default. No halo here
  // (tested below): the synthetic stroke has a sharp edge.
  const r = detectTissue(img, { downsample: 8, mpp: 0.5, penHaloUm: 0 });
  assert.equal(r.mask.length, w * h);
  const expectedTissue = 100 * 100 + 60 * 60 - 6 * 70;
  const found = r.mask.reduce((a, v) => a + v, 0);
  // Only the 1-px ink margin on each side of the stroke (2 x 70 px) may be lost.
  assert.ok(Math.abs(found - expectedTissue) <= 2 * 70 + 20, `tissue ${found} px vs ${expectedTissue} expected`);
  assert.equal(r.mask[151 * w + 181], 0, 'debris speck must be removed');
  assert.equal(r.mask[165 * w + 50], 0, 'ink on glass is not tissue');
  assert.equal(r.mask[90 * w + 103], 0, 'ink over tissue is not tissue');
  assert.equal(r.mask[80 * w + 70], 1, 'purple region inside tissue is tissue');
  assert.equal(r.mask[5 * w + 5], 0, 'glass is not tissue');
  assert.ok(r.penFraction > 0.04, `pen fraction ${r.penFraction}`);
  assert.ok(Math.abs(r.tissueFraction - found / (w * h)) < 1e-12);

  // With the default 100 µm halo (25 px here), tissue right beside coloured ink is dropped (its
  // colour would be contaminated by the blurred rim of the stroke), tissue farther away is kept.
  const withHalo = detectTissue(img, { downsample: 8, mpp: 0.5 });
  assert.equal(withHalo.mask[90 * w + 100 - 15], 0, '60 µm from the stroke');
  assert.equal(withHalo.mask[90 * w + 100 - 40], 1, '160 µm from the stroke');
  assert.equal(withHalo.mask[70 * w + 180], 1, 'halo never crosses glass to other tissue');
});

test('synthetic blank slide: Otsu does not invent tissue from glass noise', () => {
  const img = paint(300, 200, 2, []);
  const r = detectTissue(img, { downsample: 32, mpp: 0.25 });
  assert.equal(r.tissueFraction, 0);
  assert.equal(r.method, 'unimodal-glass');
  // A tinted, noisier glass (yellowish mounting medium) must not pass either.
  const tinted = paint(300, 200, 3, [{ inside: () => true, colour: [238, 236, 226] }]);
  assert.equal(detectTissue(tinted, { downsample: 32, mpp: 0.25 }).tissueFraction, 0);
});

test('synthetic all-tissue image: a unimodal tissue histogram is all tissue', () => {
  const img = paint(120, 100, 4, [{ inside: () => true, colour: PINK }]);
  const r = detectTissue(img, { downsample: 16, mpp: 0.5 });
  assert.ok(r.tissueFraction > 0.99, `tissue ${r.tissueFraction}`);
});

test('holes are filled when small and kept when large', () => {
  const ring = (x: number, y: number, r0: number, r1: number) => {
    const d = (x - 60) ** 2 + (y - 60) ** 2;
    return d < r1 * r1 && d >= r0 * r0;
  };
  const small = paint(120, 120, 5, [{ inside: (x, y) => ring(x, y, 4, 40), colour: PINK }]);
  const large = paint(120, 120, 5, [{ inside: (x, y) => ring(x, y, 30, 40), colour: PINK }]);
  // 1 µm/px: the 4-px hole is 50 µm², the 30-px hole 2,800 µm²
  const opts = { downsample: 2, mpp: 0.5, minObjectUm2: 1000, maxHoleUm2: 1000, maxAreaFraction: 1 };
  assert.equal(detectTissue(small, opts).mask[60 * 120 + 60], 1);
  assert.equal(detectTissue(large, opts).mask[60 * 120 + 60], 0);
  assert.equal(detectTissue(small, { ...opts, maxHoleUm2: 0 }).mask[60 * 120 + 60], 0);
});

test('tissue pixels: a filled hole (a tear) is part of the region but glass in the pixel mask', () => {
  // A 100 x 100 px piece of tissue with a 15 x 15 px tear: small enough to be filled as a hole.
  const inRect = (x0: number, y0: number, x1: number, y1: number) => (x: number, y: number) => x >= x0 && x < x1 && y >= y0 && y < y1;
  const tissue = inRect(20, 20, 120, 120), tear = inRect(50, 50, 65, 65);
  const img = paint(240, 180, 7, [{ inside: (x, y) => tissue(x, y) && !tear(x, y), colour: PINK }]);
  const scale = 8;
  const r = detectTissue(img, { downsample: scale, mpp: 0.5 });
  assert.equal(r.mask[57 * 240 + 57], 1, 'the region mask fills the tear');
  assert.equal(r.pixelMask[57 * 240 + 57], 0, 'the pixel mask keeps it glass');
  assert.equal(r.pixelMask[30 * 240 + 30], 1);
  assert.equal(r.pixelMask.reduce((a, v) => a + v, 0), 100 * 100 - 15 * 15);
  assert.ok(Math.abs(r.pixelTissueFraction - (100 * 100 - 15 * 15) / (240 * 180)) < 1e-12);
  assert.ok(r.pixelMask.every((v, i) => v <= r.mask[i]!), 'tissue pixels lie inside the regions');
  // A crop-sized rectangle (30 x 30 thumbnail px) around the tear: a quarter of it is glass.
  const [x, y, w] = [40 * scale, 40 * scale, 30 * scale];
  assert.equal(tissueFractionOfRect(r.mask, 240, 180, scale, x, y, w, w), 1, 'the filled mask calls it all tissue');
  assert.equal(tissueFractionOfRect(r.pixelMask, 240, 180, scale, x, y, w, w), 1 - (15 * 15) / (30 * 30));
});

test('pen colour rules: ink colours are seeds, stains are not', () => {
  assert.equal(penCode(220, 30, 45) & 3, PEN_SEED, 'red marker');
  assert.equal(penCode(40, 150, 120) & 3, PEN_SEED, 'green marker');
  assert.equal(penCode(30, 70, 180) & 3, PEN_SEED, 'blue marker');
  assert.equal(penCode(30, 30, 35) & 3, PEN_SEED, 'black marker');
  assert.notEqual(penCode(...PINK) & 3, PEN_SEED, 'eosin');
  assert.notEqual(penCode(...PURPLE) & 3, PEN_SEED, 'haematoxylin');
  assert.notEqual(penCode(110, 60, 170) & 3, PEN_SEED, 'dense nuclei');
  assert.notEqual(penCode(150, 110, 70) & 3, PEN_SEED, 'DAB brown');
  assert.notEqual(penCode(170, 180, 215) & 3, PEN_SEED, 'IHC haematoxylin counterstain');
});

test('option validation names the option and the value', () => {
  const img = paint(10, 10, 6, []);
  assert.throws(() => detectTissue(img, { downsample: 0 }), /Expected positive number for downsample but received 0/);
  assert.throws(() => detectTissue(img, { maxAreaFraction: 2 }), /Expected number between 0 and 1 for maxAreaFraction but received 2/);
  assert.throws(() => detectTissue(img, { saturationRange: [0.2, 0.1] }), /saturationRange\[1\]/);
  assert.throws(() => detectTissue(img, { closeRadius: 1.5 }), /Expected integer between 0 and 64 for closeRadius but received 1.5/);
});

// ---------------------------------------------------------------------------------------------
// Building blocks

test('otsuThreshold splits a bimodal histogram between the modes', () => {
  const hist = new Array(256).fill(0);
  for (let v = 5; v <= 15; v++) hist[v] = 100;
  for (let v = 80; v <= 100; v++) hist[v] = 30;
  const r = otsuThreshold(hist);
  assert.ok(r.threshold > 15 && r.threshold <= 80, `threshold ${r.threshold}`);
  assert.ok(Math.abs(r.mean0 - 10) < 1e-9 && Math.abs(r.mean1 - 90) < 1e-9);
  assert.equal(otsuThreshold(new Array(256).fill(0)).count, 0);
});

test('dilate / erode / removeSmallObjects / fillSmallHoles', () => {
  const w = 7, h = 7;
  const m = new Uint8Array(w * h);
  m[3 * w + 3] = 1;
  const d = dilate(m, w, h, 1);
  assert.equal(d.reduce((a, v) => a + v, 0), 9);
  assert.deepEqual(erode(d, w, h, 1), m);
  // erosion does not eat the image border
  assert.equal(erode(new Uint8Array(w * h).fill(1), w, h, 2).reduce((a, v) => a + v, 0), w * h);
  const objs = new Uint8Array(w * h);
  objs[0] = 1; // 1 px
  for (let y = 3; y < 6; y++) for (let x = 3; x < 6; x++) objs[y * w + x] = 1; // 9 px
  removeSmallObjects(objs, w, h, 2);
  assert.equal(objs[0], 0);
  assert.equal(objs.reduce((a, v) => a + v, 0), 9);
  const ring = new Uint8Array(w * h).fill(1);
  ring[3 * w + 3] = 0; // enclosed 1-px hole
  ring[0] = 0; // background touching the border: never a hole
  fillSmallHoles(ring, w, h, 5);
  assert.equal(ring[3 * w + 3], 1);
  assert.equal(ring[0], 0);
});

test('tissueFractionOfRect matches a brute-force area integral, partial pixels included', () => {
  const rand = rng(7);
  const w = 23, h = 17;
  const mask = new Uint8Array(w * h).map(() => (rand() < 0.4 ? 1 : 0));
  const I = buildIntegral(mask, w, h);
  for (let k = 0; k < 200; k++) {
    const scale = 0.5 + rand() * 20;
    const x = (rand() * 1.2 - 0.1) * w * scale, y = (rand() * 1.2 - 0.1) * h * scale;
    const rw = 1 + rand() * w * scale * 0.5, rh = 1 + rand() * h * scale * 0.5;
    // brute force: overlap area of the rectangle with each tissue pixel, in mask units
    const u0 = x / scale, v0 = y / scale, u1 = (x + rw) / scale, v1 = (y + rh) / scale;
    let covered = 0;
    for (let py = 0; py < h; py++) {
      for (let px = 0; px < w; px++) {
        if (!mask[py * w + px]) continue;
        const ox = Math.max(0, Math.min(u1, px + 1) - Math.max(u0, px));
        const oy = Math.max(0, Math.min(v1, py + 1) - Math.max(v0, py));
        covered += ox * oy;
      }
    }
    const expected = covered / ((u1 - u0) * (v1 - v0));
    assert.ok(Math.abs(fractionFromIntegral(I, scale, x, y, rw, rh) - expected) < 1e-9, `case ${k}`);
    assert.ok(Math.abs(tissueFractionOfRect(mask, w, h, scale, x, y, rw, rh) - expected) < 1e-9, `case ${k} (cached)`);
  }
  const full = new Uint8Array(4 * 4).fill(1);
  assert.equal(tissueFractionOfRect(full, 4, 4, 64, 0, 0, 256, 256), 1);
  assert.equal(tissueFractionOfRect(full, 4, 4, 64, 128, 0, 256, 256), 0.5, 'half outside the mask counts as no tissue');
  assert.throws(() => tissueFractionOfRect(full, 4, 4, 0, 0, 0, 1, 1), /positive number for scale/);
});

// ---------------------------------------------------------------------------------------------
// Real tiles and slides (../shared)

const tile = (name: string) => sharedPath('data', 'tiles', name);

/**
 * Level-0 pixels per tile pixel: from the level-0 box encoded in histolab tile names
 * (`-level2-x0-y0-x1-y1`), else 4 per pyramid level (TCGA SVS pyramids).
 */
function downsampleOf(name: string, width: number): number {
  const box = name.match(/level\d-(\d+)-(\d+)-(\d+)-(\d+)/);
  if (box) return (Number(box[3]) - Number(box[1])) / width;
  const level = name.match(/level(\d)/);
  return level ? 4 ** Number(level[1]) : 1;
}

async function tissueOfTile(name: string) {
  const img = await decodeImage(tile(name));
  return { img, r: detectTissue(img, { downsample: downsampleOf(name, img.width), mpp: 0.5 }) };
}

test('real tiles without tissue give (almost) no tissue, pen strokes included', sharedOnly(), async () => {
  for (const name of ['no-tissue.png', 'no-tissue2.png', 'no-tissue-line.png', 'no-tissue-green-pen.png',
    'no-tissue-red-pen.png', 'almost-white-1.png', 'almost-white-ihc.png', 'liver-level2-38626-13514-39426-14315.png']) {
    const { r } = await tissueOfTile(name);
    assert.ok(r.tissueFraction < 0.01, `${name}: tissue ${r.tissueFraction.toFixed(4)}`);
  }
  // almost-white-2 has a small piece of tissue in one corner, nothing else
  const { r } = await tissueOfTile('almost-white-2.png');
  assert.ok(r.tissueFraction > 0.005 && r.tissueFraction < 0.08, `almost-white-2: ${r.tissueFraction}`);
  for (const name of ['no-tissue-green-pen.png', 'no-tissue-red-pen.png']) {
    const { r: pen } = await tissueOfTile(name);
    assert.ok(pen.penFraction > 0.3, `${name}: pen fraction ${pen.penFraction}`);
  }
});

test('real tissue tiles give substantial tissue', sharedOnly(), async () => {
  const expectations: Array<[string, number, number]> = [
    ['tissue-level0-4302-10273-4814-10785.png', 0.5, 0.9],
    ['tissue-level0-7352-11762-7864-12274.png', 0.7, 1],
    ['tissue-level2-1784-6289-5880-10386.png', 0.6, 0.9],
    ['tissue-level2-3000-7666-7096-11763.png', 0.6, 0.9],
    ['tissue-level2-4640-4649-8736-8746.png', 0.6, 0.9],
    ['tissue-level2-4760-5241-8856-9338.png', 0.6, 0.9],
    ['liver-level2-10907-7808-11707-8608.png', 0.95, 1],
    ['liver-level2-57138-8209-57938-9009.png', 0.55, 0.85],
    ['liver-level2-20914-13715-21714-14515.png', 0.08, 0.3], // a band of tissue along one edge
    ['high-nuclei-score-level0.png', 0.9, 1],
    ['medium-nuclei-score-level0.png', 0.85, 1],
    ['medium-nuclei-score-level1.png', 0.5, 0.8],
    ['medium-nuclei-score-level1-2.png', 0.95, 1],
    ['medium-nuclei-score-level2.png', 0.65, 0.95],
    ['tcga-lung-rgb.png', 0.65, 0.95],
    ['skimage-ihc.png', 0.5, 0.8], // IHC: DAB brown and pale haematoxylin
    ['torchstain-target.png', 0.9, 1], // pale staining
  ];
  for (const [name, lo, hi] of expectations) {
    const { r } = await tissueOfTile(name);
    assert.ok(r.tissueFraction >= lo && r.tissueFraction <= hi, `${name}: tissue ${r.tissueFraction.toFixed(3)} not in [${lo}, ${hi}]`);
    if (!name.includes('pen')) assert.ok(r.penFraction < 0.01, `${name}: pen fraction ${r.penFraction} on a tile without pen`);
  }
});

function hueSat(r: number, g: number, b: number): [number, number, number] {
  const mx = Math.max(r, g, b), mn = Math.min(r, g, b), d = mx - mn;
  if (d === 0) return [0, 0, mx];
  let h = mx === r ? (g - b) / d : mx === g ? (b - r) / d + 2 : (r - g) / d + 4;
  h *= 60;
  return [h < 0 ? h + 360 : h, d / mx, mx];
}

/** Share of the pixels of a colour class that the mask calls tissue, and how many there are. */
function classInMask(img: RgbImage, mask: Uint8Array, inClass: (h: number, s: number, v: number) => boolean) {
  let n = 0, inMask = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const [h, s, v] = hueSat(img.data[i * 3]!, img.data[i * 3 + 1]!, img.data[i * 3 + 2]!);
    if (!inClass(h, s, v)) continue;
    n++;
    inMask += mask[i]!;
  }
  return { n, share: n ? inMask / n : 0 };
}

const redInk = (h: number, s: number, v: number) => (h >= 348 || h < 10) && s >= 0.6 && v >= 120;
const greenInk = (h: number, s: number) => h >= 75 && h < 195 && s >= 0.2;
const blackInk = (_h: number, _s: number, v: number) => v < 60;

test('pen strokes over tissue are excluded while the tissue around them is kept', sharedOnly(), async () => {
  const cases: Array<[string, (h: number, s: number, v: number) => boolean, number]> = [
    ['high-nuclei-score-red-pen-level1.png', redInk, 0.6],
    ['very-low-nuclei-score-red-pen-level1.png', redInk, 0.05],
    ['medium-nuclei-score-green-pen-level1.png', greenInk, 0.15],
  ];
  for (const [name, ink, minTissue] of cases) {
    const { img, r } = await tissueOfTile(name);
    const c = classInMask(img, r.mask, ink);
    assert.ok(c.n > 2000, `${name}: expected a visible stroke, found ${c.n} ink pixels`);
    assert.ok(c.share < 0.03, `${name}: ${(100 * c.share).toFixed(1)}% of the ink pixels are called tissue`);
    assert.ok(r.tissueFraction > minTissue, `${name}: tissue ${r.tissueFraction}`);
  }
  // A known pen-dominated region of the green-pen tile (top right, ink over tissue) is not tissue,
  // and a known clean tissue region of it (bottom right) is.
  const { img, r } = await tissueOfTile('medium-nuclei-score-green-pen-level1.png');
  const regionShare = (x0: number, y0: number, x1: number, y1: number) => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += r.mask[y * img.width + x]!;
    return s / ((x1 - x0) * (y1 - y0));
  };
  assert.ok(regionShare(300, 20, 500, 150) < 0.05, `pen region tissue share ${regionShare(300, 20, 500, 150)}`);
  assert.ok(regionShare(300, 420, 500, 500) > 0.8, `clean region tissue share ${regionShare(300, 420, 500, 500)}`);
});

test('slide thumbnail with black, red and green ink: ink excluded, tissue inside the circles kept', sharedOnly(), async () => {
  const img = await decodeImage(tile('diagnostic-slide-thumb-rgb.png'));
  const r = detectTissue(img, { downsample: 64, mpp: 0.5 });
  assert.ok(r.tissueFraction > 0.3 && r.tissueFraction < 0.6, `tissue ${r.tissueFraction}`);
  for (const [what, ink] of [['black', blackInk], ['red', redInk], ['green', greenInk]] as const) {
    const c = classInMask(img, r.mask, ink);
    assert.ok(c.n > 500, `${what}: ${c.n} ink pixels`);
    assert.ok(c.share < 0.03, `${what}: ${(100 * c.share).toFixed(1)}% of the ink is called tissue`);
  }
});

async function thumbnailOf(path: string, width: number): Promise<{ thumb: RgbImage; downsample: number }> {
  const meta = await sharp(path, { limitInputPixels: false }).metadata();
  const { data, info } = await sharp(path, { limitInputPixels: false }).removeAlpha().resize({ width }).raw()
    .toBuffer({ resolveWithObject: true });
  return { thumb: { width: info.width, height: info.height, data: new Uint8Array(data) }, downsample: meta.width! / info.width };
}

test('real slides: CMU-1 region has its tissue, the near-empty kidney TIFF has none', sharedOnly(), async () => {
  const cmu = await thumbnailOf(sharedPath('data', 'slides', 'cmu-1-small-region.svs'), 278);
  const r = detectTissue(cmu.thumb, { downsample: cmu.downsample, mpp: 0.499 });
  assert.ok(r.tissueFraction > 0.3 && r.tissueFraction < 0.5, `CMU-1 tissue ${r.tissueFraction}`);
  assert.equal(r.penFraction, 0);
  const kidney = await thumbnailOf(sharedPath('data', 'slides', 'kidney-48-5.tif'), 373);
  const k = detectTissue(kidney.thumb, { downsample: kidney.downsample });
  assert.ok(k.tissueFraction < 0.005, `kidney-48-5 tissue ${k.tissueFraction}`);
});
