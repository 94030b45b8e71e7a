import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { RgbImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/io/decode.js';
import {
  blurShare, colourAt, colourRange, deterministicUuid, heatmapLayout, meanScoreGrid, percentileSorted,
  renderHeatmap, renderMask, summaryStats, tilesCsv, tilesGeoJson, tilesGeoJsonChunks, CLASS_IN_FOCUS, CLASS_OUT_OF_FOCUS,
  type ScoredTile,
} from '../../src/pipeline/slide-outputs.js';
import { textPath, textWidth, canRender, GLYPH_ADVANCE } from '../../src/pipeline/pixel-font.js';
import { sharedOnly, sharedPath } from '../helpers.js';

/** A dense grid of 235-px tiles at stride 128, as the slide loop produces. */
function gridTiles(cols: number, rows: number, score: (c: number, r: number) => number, tissue = 1): ScoredTile[] {
  const tiles: ScoredTile[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tiles.push({ x: c * 128, y: r * 128, w: 235, h: 235, score: score(c, r), tissue });
  return tiles;
}

// ---------------------------------------------------------------------------------------------
// CSV and GeoJSON

test('tilesCsv: header, one row per tile, values parse back', () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 235, h: 235, score: 1.2345678912, tissue: 0.5 },
    { x: 128, y: 0, w: 235, h: 235, score: -3, tissue: 1 },
    { x: 256, y: 0, w: 235, h: 235, score: NaN, tissue: 0 },
  ];
  const csv = tilesCsv(tiles);
  assert.ok(csv.endsWith('\n'));
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'x,y,w,h,score,tissue_fraction');
  assert.equal(lines.length, 1 + tiles.length);
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.ok(rows.every((r) => r.length === 6));
  assert.deepEqual(rows[0]!.slice(0, 4).map(Number), [0, 0, 235, 235]);
  assert.ok(Math.abs(Number(rows[0]![4]) - 1.2345678912) < 1e-6);
  assert.equal(Number(rows[1]![4]), -3);
  assert.equal(rows[2]![4], '', 'a non-finite score is an empty field');
  assert.equal(tilesCsv([]), 'x,y,w,h,score,tissue_fraction\n');
});

test('tilesGeoJson: closed polygons in level-0 px, classes by threshold, QuPath properties', () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 235, h: 235, score: 3.5, tissue: 0.8 },
    { x: 128, y: 256, w: 235, h: 200, score: 1, tissue: 0.25 },
    { x: 256, y: 0, w: 235, h: 235, score: Infinity, tissue: 1 },
  ];
  const fc = JSON.parse(JSON.stringify(tilesGeoJson(tiles, { threshold: 2, modelName: 'focuslite-1k', scale: 'z-level' })));
  assert.equal(fc.type, 'FeatureCollection');
  assert.equal(fc.features.length, 2, 'the tile without a finite score is left out');
  const [a, b] = fc.features;
  for (const f of fc.features) {
    assert.equal(f.type, 'Feature');
    assert.equal(f.geometry.type, 'Polygon');
    const ring = f.geometry.coordinates[0];
    assert.equal(ring.length, 5);
    assert.deepEqual(ring[0], ring[4], 'ring is closed');
    assert.equal(f.properties.objectType, 'tile');
    assert.equal(f.properties.isLocked, false);
    assert.match(f.id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  assert.deepEqual(b.geometry.coordinates[0], [[128, 256], [363, 256], [363, 456], [128, 456], [128, 256]]);
  assert.deepEqual(a.properties.classification, { name: CLASS_OUT_OF_FOCUS.name, color: CLASS_OUT_OF_FOCUS.color });
  assert.deepEqual(b.properties.classification, { name: CLASS_IN_FOCUS.name, color: CLASS_IN_FOCUS.color });
  assert.deepEqual(a.properties.measurements, { 'Focus score': 3.5, 'Tissue fraction': 0.8 });
  assert.notEqual(a.id, b.id);
  assert.deepEqual(fc.focuslite, { model: 'focuslite-1k', scoreScale: 'z-level', threshold: 2, tiles: 2 });
  // ids are stable across runs
  const again = tilesGeoJson(tiles, { threshold: 2, modelName: 'x', scale: 'z-level' });
  assert.equal(again.features[0]!.id, a.id);
  assert.equal(deterministicUuid('k'), deterministicUuid('k'));
  assert.notEqual(deterministicUuid('k'), deterministicUuid('l'));
});

// ---------------------------------------------------------------------------------------------
// Statistics

test('summaryStats and percentiles (numpy linear interpolation)', () => {
  const s = summaryStats([10, 1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]);
  assert.equal(s.count, 10);
  assert.equal(s.mean, 5.5);
  assert.equal(s.median, 5.5);
  assert.ok(Math.abs(s.p90 - 9.1) < 1e-12);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
  const empty = summaryStats([]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.mean));
  assert.equal(JSON.stringify({ m: empty.mean }), '{"m":null}');
  assert.equal(percentileSorted([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentileSorted([7], 90), 7);
});

test('blurShare: non-overlapping tiles weighted by tissue area', () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 100, h: 100, score: 5, tissue: 1 },
    { x: 100, y: 0, w: 100, h: 100, score: 1, tissue: 0.5 },
    { x: 0, y: 100, w: 100, h: 100, score: 4, tissue: 0.25 },
  ];
  const r = blurShare(tiles, 3);
  assert.equal(r.numerator, 100 * 100 * (1 + 0.25));
  assert.equal(r.denominator, 100 * 100 * (1 + 0.5 + 0.25));
  assert.equal(r.share, 1.25 / 1.75);
  assert.equal(r.pieces, 3);
  const mm = blurShare(tiles, 3, { mpp: 0.5 });
  assert.ok(Math.abs(mm.numerator_mm2! - 12500 * 0.25 / 1e6) < 1e-15);
  assert.ok(Math.abs(mm.denominator_mm2! - 17500 * 0.25 / 1e6) < 1e-15);
  assert.equal(r.numerator_mm2, undefined);
});

test('blurShare: overlapping tiles count each area once, at the mean score of the tiles covering it', () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 200, h: 100, score: 3, tissue: 1 },
    { x: 100, y: 0, w: 200, h: 100, score: 1, tissue: 1 },
  ];
  // pieces: [0,100) score 3 > 2.5 (blurred); [100,200) mean 2 (not); [200,300) score 1 (not)
  const r = blurShare(tiles, 2.5);
  assert.equal(r.pieces, 3);
  assert.equal(r.denominator, 300 * 100);
  assert.equal(r.numerator, 100 * 100);
  assert.equal(r.share, 1 / 3);
  // At threshold 1.5 the overlap (mean 2) is blurred too.
  assert.equal(blurShare(tiles, 1.5).share, 2 / 3);
  // An exact tissue function replaces the tiles' averaged tissue fractions.
  const leftHalfOnly = (x: number, _y: number, w: number) => Math.max(0, Math.min(x + w, 150) - x) / w;
  const exact = blurShare(tiles, 2.5, { tissueOfRect: leftHalfOnly });
  assert.equal(exact.denominator, 150 * 100);
  assert.equal(exact.share, 100 / 150);
});

test('blurShare: a dense 235/128 grid with all tiles blurred is share 1, area = union of tiles', () => {
  const tiles = gridTiles(5, 4, () => 9);
  const r = blurShare(tiles, 2);
  assert.equal(r.share, 1);
  assert.equal(r.denominator, (4 * 128 + 235) * (3 * 128 + 235));
  const none = blurShare([], 2);
  assert.ok(Number.isNaN(none.share));
  assert.equal(none.denominator, 0);
  assert.throws(() => blurShare(tiles, NaN), /finite number for threshold/);
});

test('blurShare: scattered tiles (sparse piece grid) give the same share as a direct sum', () => {
  // 4,100 non-overlapping tiles on a diagonal: 8,200 distinct edges per axis, ~67M pieces in the
  // edge grid, so the sparse path is used; each tile is exactly one piece.
  const tiles: ScoredTile[] = [];
  for (let k = 0; k < 4100; k++) {
    tiles.push({ x: k * 300 + (k % 7), y: k * 300 + (k % 5), w: 235, h: 200 + (k % 3), score: (k * 37) % 10, tissue: ((k * 13) % 11) / 10 });
  }
  let num = 0, den = 0;
  for (const t of tiles) {
    const a = Math.min(1, t.tissue) * t.w * t.h;
    den += a;
    if (t.score > 4.5) num += a;
  }
  const r = blurShare(tiles, 4.5);
  assert.equal(r.pieces, 4100);
  assert.ok(Math.abs(r.numerator - num) < 1e-6 && Math.abs(r.denominator - den) < 1e-6);
  assert.ok(Math.abs(r.share - num / den) < 1e-12);
});

// ---------------------------------------------------------------------------------------------
// Colour range, layout, font

test('colourRange: fixed z-level scale, per-slide percentiles for relative scores', () => {
  const tiles = gridTiles(10, 10, (c, r) => c * 10 + r); // scores 0..99
  const z = colourRange(tiles, { scale: 'z-level' });
  assert.deepEqual([z.lo, z.hi, z.fixed], [0, 8, true]);
  assert.equal(z.legend, 'fixed scale: z-level 0..8 (MSE model)');
  const rel = colourRange(tiles, { scale: 'relative' });
  assert.ok(Math.abs(rel.lo - 4.95) < 1e-9 && Math.abs(rel.hi - 94.05) < 1e-9);
  assert.equal(rel.legend, 'per-slide normalised: relative scores (PLCC model), 5th..95th percentile');
  assert.equal(colourRange(tiles, { scale: 'relative', fixedRange: [-2, 6] }).legend, 'fixed scale: relative -2..6 (PLCC model)');
  const flat = colourRange(gridTiles(2, 2, () => 3), { scale: 'relative' });
  assert.ok(flat.lo < 3 && flat.hi > 3 && Math.abs((flat.lo + flat.hi) / 2 - 3) < 1e-12);
  assert.throws(() => colourRange(tiles, { scale: 'z-level', fixedRange: [5, 5] }), /lo < hi/);
});

test('colour maps run from green (sharp) to red (blurry); viridis from purple to yellow', () => {
  const [r0, g0] = colourAt(0);
  const [r1, g1] = colourAt(1);
  assert.ok(g0 > r0 && r1 > g1);
  assert.deepEqual(colourAt(-5), colourAt(0));
  assert.deepEqual(colourAt(7), colourAt(1));
  assert.deepEqual(colourAt(0, 'viridis'), [68, 1, 84]);
  assert.deepEqual(colourAt(1, 'viridis'), [253, 231, 37]);
});

test('pixel font: every printable ASCII glyph draws, widths add up', () => {
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    assert.ok(canRender(ch), ch);
    assert.ok(textPath(ch, 0, 0).length > 0, `glyph ${ch}`);
  }
  assert.equal(textPath(' ', 0, 0), '');
  assert.equal(textWidth('abc', 2), (3 * GLYPH_ADVANCE - 1) * 2);
  assert.equal(canRender('µm²'), false);
});

// ---------------------------------------------------------------------------------------------
// Heat map and mask PNGs

/** A synthetic 'thumbnail': grey glass with a pink block of tissue. */
function fakeThumb(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([235, 235, 238], i * 3);
  for (let y = 10; y < 50; y++) for (let x = 10; x < 90; x++) data.set([220, 150, 200], (y * w + x) * 3);
  return { width: w, height: h, data };
}

async function decodeRaw(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('meanScoreGrid averages overlapping tiles per thumbnail pixel', () => {
  // scale 8: a 235-px tile at x=0 covers pixel centres 4, 12, ... < 235 -> pixels 0..28
  const g = meanScoreGrid(50, 4, 8, [
    { x: 0, y: 0, w: 235, h: 32, score: 2, tissue: 1 },
    { x: 128, y: 0, w: 235, h: 32, score: 4, tissue: 1 },
  ]);
  assert.equal(g[0], 2);
  assert.equal(g[15], 2); // centre 124
  assert.equal(g[16], 3); // centre 132: both tiles
  assert.equal(g[28], 3); // centre 228
  assert.equal(g[29], 4); // centre 236
  assert.equal(g[44], 4); // centre 356
  assert.ok(Number.isNaN(g[45]!)); // centre 364: beyond both tiles
});

test('renderHeatmap: expected size, colour on tiles only, glass untouched, colour bar and legend drawn', async () => {
  const thumb = fakeThumb(100, 60);
  const scale = 10; // level-0 px per thumbnail px
  // Non-overlapping 200-px tiles over the tissue block: left half sharp (z 0.5), right half blurry (z 7).
  const tiles: ScoredTile[] = [];
  for (let y = 100; y < 500; y += 200) for (let x = 100; x < 900; x += 200) tiles.push({ x, y, w: 200, h: 200, score: x < 500 ? 0.5 : 7, tissue: 1 });
  const tissueMask = new Uint8Array(100 * 60);
  for (let y = 10; y < 50; y++) for (let x = 10; x < 90; x++) tissueMask[y * 100 + x] = 1;
  tissueMask[30 * 100 + 20] = 0; // a glass hole inside a scored tile
  const png = await renderHeatmap(thumb, scale, tiles, { scale: 'z-level', threshold: 2, tissueMask });
  const img = await decodeRaw(png);
  const range = colourRange(tiles, { scale: 'z-level' });
  const layout = heatmapLayout(100, 60, range.legend);
  assert.equal(img.width, layout.width);
  assert.equal(img.height, layout.height);
  assert.ok(img.width >= 100 && img.height > 60);
  const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3));
  assert.deepEqual(px(2, 2), [235, 235, 238], 'glass without tiles is left as is');
  assert.deepEqual(px(20, 30), [220, 150, 200], 'pixels outside the tissue mask are left as is');
  const sharpPx = px(25, 25), blurryPx = px(75, 25);
  assert.notDeepEqual(sharpPx, [220, 150, 200], 'tiles are coloured');
  assert.ok(sharpPx[1]! > blurryPx[1]! + 30, `sharp tile greener (${sharpPx}) than blurry tile (${blurryPx})`);
  assert.ok(blurryPx[0]! > blurryPx[1]! + 60, `blurry tile is red (${blurryPx})`);
  // expected blend at alpha 0.5
  const c = colourAt((7 - 0) / 8);
  assert.deepEqual(blurryPx, [0, 1, 2].map((k) => Math.round(0.5 * [220, 150, 200][k]! + 0.5 * c[k]!)));
  // colour bar: its ends carry the map's end colours
  const { bar } = layout;
  const mid = bar.y + Math.floor(bar.height / 2);
  const near = (a: number[], b: number[]) => a.every((v, k) => Math.abs(v - b[k]!) <= 6);
  assert.ok(near(px(bar.x + 2, mid), colourAt(0)), `bar start ${px(bar.x + 2, mid)}`);
  assert.ok(near(px(bar.x + bar.width - 3, mid), colourAt(1)), `bar end ${px(bar.x + bar.width - 3, mid)}`);
  // legend and tick labels: black glyph pixels in the panel above and below the bar
  let inkAbove = 0, inkBelow = 0;
  for (let y = layout.panelTop; y < layout.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = px(x, y);
      if (r! < 60 && g! < 60 && b! < 60) {
        if (y < bar.y - 3) inkAbove++;
        else if (y > bar.y + bar.height + 3) inkBelow++;
      }
    }
  }
  assert.ok(inkAbove > 150, `legend text pixels: ${inkAbove}`);
  assert.ok(inkBelow > 20, `tick label pixels: ${inkBelow}`);
});

test('renderHeatmap: relative scale widens the canvas to fit its legend and validates options', async () => {
  const thumb = fakeThumb(100, 60);
  const tiles = gridTiles(3, 2, (c) => c);
  const png = await renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1 });
  const meta = await sharp(png).metadata();
  const legend = colourRange(tiles, { scale: 'relative' }).legend;
  assert.ok(meta.width! >= textWidth(legend) + 16, `canvas ${meta.width} wide`);
  assert.equal(meta.height, heatmapLayout(100, 60, legend).height);
  await assert.rejects(renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1, alpha: 2 }), /between 0 and 1 for alpha but received 2/);
  await assert.rejects(renderHeatmap(thumb, 0, tiles, { scale: 'relative', threshold: 1 }), /positive number for thumbScale/);
  await assert.rejects(renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1, tissueMask: new Uint8Array(3) }), /tissue mask/);
});

test('renderMask: white exactly on the tiles above the threshold', async () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 160, h: 160, score: 5, tissue: 1 }, // 20 x 20 px at scale 8
    { x: 160, y: 0, w: 160, h: 80, score: 1, tissue: 1 },
    { x: 320, y: 160, w: 80, h: 240, score: 2.01, tissue: 1 }, // 10 x 30 px
    { x: 0, y: 240, w: 80, h: 80, score: 2, tissue: 1 }, // equal to threshold: not above
  ];
  const png = await renderMask(60, 50, 8, tiles, 2);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 60, 50, 1], 'greyscale PNG at thumbnail size');
  const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.equal(data.length, 60 * 50);
  let white = 0;
  for (const v of data) {
    assert.ok(v === 0 || v === 255);
    if (v === 255) white++;
  }
  assert.equal(white, 20 * 20 + 10 * 30);
  assert.equal(data[5 * 60 + 5], 255);
  assert.equal(data[5 * 60 + 25], 0);
  assert.equal(data[32 * 60 + 5], 0);
  // with a tissue mask, glass inside a blurred tile stays black
  const tissue = new Uint8Array(60 * 50).fill(1);
  tissue[5 * 60 + 5] = 0;
  const masked = await sharp(await renderMask(60, 50, 8, tiles, 2, tissue)).extractChannel(0).raw().toBuffer();
  assert.equal(masked[5 * 60 + 5], 0);
  assert.equal(masked.reduce((a, v) => a + (v === 255 ? 1 : 0), 0), 20 * 20 + 10 * 30 - 1);
  await assert.rejects(renderMask(60, 50, 8, tiles, 2, new Uint8Array(5)), /tissue mask/);
});

test('heat map of a real tile is legible: tissue coloured, glass not', sharedOnly(), async () => {
  // A real tile with tissue along one edge and glass elsewhere, scored by hand: blurrier to the right.
  const thumb = await decodeImage(sharedPath('data', 'tiles', 'liver-level2-57138-8209-57938-9009.png'));
  const scale = 16;
  const tiles: ScoredTile[] = [];
  for (let y = 0; y + 235 <= thumb.height * scale; y += 128) {
    for (let x = 0; x + 235 <= thumb.width * scale; x += 128) tiles.push({ x, y, w: 235, h: 235, score: x / 100, tissue: 1 });
  }
  const { detectTissue } = await import('../../src/pipeline/tissue.js');
  const tissue = detectTissue(thumb, { downsample: scale, mpp: 0.5 });
  const png = await renderHeatmap(thumb, scale, tiles, { scale: 'z-level', threshold: 3, tissueMask: tissue.mask });
  const img = await decodeRaw(png);
  const covered = meanScoreGrid(thumb.width, thumb.height, scale, tiles);
  let changedOnGlass = 0, changedOnTissue = 0, scoredTissue = 0;
  for (let i = 0; i < thumb.width * thumb.height; i++) {
    const x = i % thumb.width, y = (i - x) / thumb.width;
    const o = (y * img.width + x) * img.channels;
    const changed = [0, 1, 2].some((k) => img.data[o + k] !== thumb.data[i * 3 + k]);
    if (tissue.mask[i]) changedOnTissue += changed ? 1 : 0;
    else changedOnGlass += changed ? 1 : 0;
    if (tissue.mask[i] && !Number.isNaN(covered[i]!)) scoredTissue++;
  }
  assert.ok(tissue.tissueFraction > 0.5, `tissue ${tissue.tissueFraction}`);
  assert.equal(changedOnGlass, 0);
  assert.ok(scoredTissue > 1000);
  assert.ok(changedOnTissue >= 0.98 * scoredTissue, `${changedOnTissue} of ${scoredTissue} scored tissue pixels coloured`);
});

test('tilesGeoJsonChunks writes exactly the document tilesGeoJson describes, in chunks', () => {
  const tiles = Array.from({ length: 23 }, (_, i) => ({ x: (i % 5) * 128, y: Math.floor(i / 5) * 128, w: 235, h: 235, score: i === 7 ? NaN : i / 4, tissue: 0.5 + i / 100 }));
  const opts = { threshold: 3, modelName: 'm.json', scale: 'z-level' as const };
  const whole = JSON.stringify(tilesGeoJson(tiles, opts));
  for (const perChunk of [1, 4, 22, 4096]) {
    const chunks = [...tilesGeoJsonChunks(tiles, opts, perChunk)];
    assert.equal(chunks.join(''), whole, `${perChunk} features per chunk`);
    if (perChunk === 4) assert.ok(chunks.length >= 6);
  }
  assert.equal([...tilesGeoJsonChunks([], opts)].join(''), JSON.stringify(tilesGeoJson([], opts)));
  assert.throws(() => [...tilesGeoJsonChunks(tiles, { ...opts, threshold: NaN })], /Expected finite number for threshold/);
});
