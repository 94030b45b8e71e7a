import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { RgbImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/io/decode.js';
import { cellBounds } from '../../src/pipeline/slide-grid.js';
import {
  blurShare, cellScoreGrid, colourAt, colourRange, deterministicUuid, heatmapLayout, heatmapLegendLines, mapCell, mapsInfo,
  maskLayout, maskLegend, percentileSorted, renderHeatmap, renderMask, summaryStats, tilesCsv, tilesGeoJson, tilesGeoJsonChunks,
  CLASS_IN_FOCUS, CLASS_OUT_OF_FOCUS, MASK_LEVELS, TILES_CSV_HEADER, type MappedTile, type ScoredTile,
} from '../../src/pipeline/slide-outputs.js';
import { textPath, textWidth, canRender, GLYPH_ADVANCE } from '../../src/pipeline/pixel-font.js';
import { sharedOnly, sharedPath } from '../helpers.js';

/**
 * A dense grid of 235-px tiles at stride 128, as the slide loop produces, with their map cells
 * over a width x height image (default: just big enough for the grid).
 */
function gridTiles(
  cols: number, rows: number, score: (c: number, r: number) => number, tissue = 1,
  width = (cols - 1) * 128 + 235, height = (rows - 1) * 128 + 235,
): MappedTile[] {
  const xs = Array.from({ length: cols }, (_, c) => c * 128), ys = Array.from({ length: rows }, (_, r) => r * 128);
  const bounds = { xs: cellBounds(xs, 235, width), ys: cellBounds(ys, 235, height) };
  const tiles: MappedTile[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      tiles.push({ x: xs[c]!, y: ys[r]!, w: 235, h: 235, score: score(c, r), tissue, cell: mapCell(bounds, c, r, () => tissue) });
    }
  }
  return tiles;
}

/** A tile that is its own map cell (non-overlapping hand-made tiles). */
const own = (t: ScoredTile): MappedTile => ({ ...t, cell: { x: t.x, y: t.y, w: t.w, h: t.h, tissue: t.tissue } });

// ---------------------------------------------------------------------------------------------
// CSV and GeoJSON

test('tilesCsv: header, one row per tile with its map cell, values parse back', () => {
  const tiles: ScoredTile[] = [
    { x: 0, y: 0, w: 235, h: 235, score: 1.2345678912, tissue: 0.5, cell: { x: 0, y: 0, w: 181, h: 181, tissue: 0.25 } },
    { x: 128, y: 0, w: 235, h: 235, score: -3, tissue: 1 },
    { x: 256, y: 0, w: 235, h: 235, score: NaN, tissue: 0 },
  ];
  const csv = tilesCsv(tiles);
  assert.ok(csv.endsWith('\n'));
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'x,y,w,h,score,tissue_fraction,cell_x,cell_y,cell_w,cell_h,cell_tissue_fraction');
  assert.equal(lines[0], TILES_CSV_HEADER);
  assert.equal(lines.length, 1 + tiles.length);
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.ok(rows.every((r) => r.length === 11));
  assert.deepEqual(rows[0]!.slice(0, 4).map(Number), [0, 0, 235, 235]);
  assert.ok(Math.abs(Number(rows[0]![4]) - 1.2345678912) < 1e-6);
  assert.deepEqual(rows[0]!.slice(6).map(Number), [0, 0, 181, 181, 0.25]);
  assert.equal(Number(rows[1]![4]), -3);
  assert.deepEqual(rows[1]!.slice(6), ['', '', '', '', ''], 'a tile without a cell has empty cell fields');
  assert.equal(rows[2]![4], '', 'a non-finite score is an empty field');
  assert.equal(tilesCsv([]), TILES_CSV_HEADER + '\n');
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
  assert.equal(fc.focuslite.polygons, 'crops');
  assert.match(fc.focuslite.note, /overlap \(235 px at stride 128/);
  assert.deepEqual({ ...fc.focuslite, note: undefined }, { model: 'focuslite-1k', scoreScale: 'z-level', threshold: 2, tiles: 2, polygons: 'crops', note: undefined });
  // ids are stable across runs
  const again = tilesGeoJson(tiles, { threshold: 2, modelName: 'x', scale: 'z-level' });
  assert.equal(again.features[0]!.id, a.id);
  assert.equal(deterministicUuid('k'), deterministicUuid('k'));
  assert.notEqual(deterministicUuid('k'), deterministicUuid('l'));
});

test('tilesGeoJson cells: non-overlapping polygons that add up to the scored area, cell tissue as measurement', () => {
  // 4 x 3 crops over a 1000 x 700 image: the last column's and row's cells reach the edges.
  const tiles = gridTiles(4, 3, (c, r) => (c === 1 && r === 1 ? 5 : 1), 0.8, 1000, 700);
  tiles[0]!.cell.tissue = 0.3;
  const fc = tilesGeoJson(tiles, { threshold: 3, modelName: 'm', scale: 'z-level', polygons: 'cells' });
  assert.equal(fc.features.length, 12);
  assert.equal(fc.focuslite.polygons, 'cells');
  const rects = fc.features.map((f) => {
    const ring = f.geometry.coordinates[0]!;
    return { x0: ring[0]![0]!, y0: ring[0]![1]!, x1: ring[2]![0]!, y1: ring[2]![1]! };
  });
  let area = 0;
  for (const r of rects) area += (r.x1 - r.x0) * (r.y1 - r.y0);
  assert.equal(area, 1000 * 700, 'the cells tile the whole image once');
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i]!, b = rects[j]!;
      const overlap = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
      assert.equal(overlap, 0, `cells ${i} and ${j} overlap`);
    }
  }
  // Inner cell (1, 1): the stride square centred on crop (128, 128) (centre 245.5).
  assert.deepEqual(rects[5], { x0: 181, y0: 181, x1: 309, y1: 309 });
  assert.equal(fc.features[5]!.properties.classification.name, CLASS_OUT_OF_FOCUS.name);
  assert.equal(fc.features[0]!.properties.measurements['Tissue fraction'], 0.3, 'the cell\'s tissue fraction');
  assert.notEqual(fc.features[0]!.id, tilesGeoJson(tiles, { threshold: 3, modelName: 'm', scale: 'z-level' }).features[0]!.id);
  assert.throws(() => tilesGeoJson([{ x: 0, y: 0, w: 235, h: 235, score: 1, tissue: 1 }], { threshold: 3, modelName: 'm', scale: 'z-level', polygons: 'cells' }), /Expected a map cell for the tile at \(0, 0\)/);
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

test('blurShare: map cells weighted by their tissue area', () => {
  const tiles: MappedTile[] = [
    own({ x: 0, y: 0, w: 100, h: 100, score: 5, tissue: 1 }),
    own({ x: 100, y: 0, w: 100, h: 100, score: 1, tissue: 0.5 }),
    own({ x: 0, y: 100, w: 100, h: 100, score: 4, tissue: 0.25 }),
  ];
  const r = blurShare(tiles, 3);
  assert.equal(r.numerator, 100 * 100 * (1 + 0.25));
  assert.equal(r.denominator, 100 * 100 * (1 + 0.5 + 0.25));
  assert.equal(r.share, 1.25 / 1.75);
  assert.equal(r.cells, 3);
  const mm = blurShare(tiles, 3, { mpp: 0.5 });
  assert.ok(Math.abs(mm.numerator_mm2! - 12500 * 0.25 / 1e6) < 1e-15);
  assert.ok(Math.abs(mm.denominator_mm2! - 17500 * 0.25 / 1e6) < 1e-15);
  assert.equal(r.numerator_mm2, undefined);
  // The cell's tissue counts, not the crop's.
  const cellTissue = blurShare([{ ...tiles[0]!, cell: { ...tiles[0]!.cell, tissue: 0.5 } }], 3);
  assert.equal(cellTissue.denominator, 100 * 100 * 0.5);
  assert.throws(() => blurShare([{ x: 0, y: 0, w: 9, h: 9, score: 1, tissue: 1 } as MappedTile], 3), /Expected a map cell/);
});

test('blurShare: one blurred crop among sharp ones counts its own cell, whatever its neighbours', () => {
  // Before map cells, each piece took the mean of the crops over it: a lone blurred crop (9 among
  // 1s) counted 21 x 21 px at threshold 6 (the piece no neighbour covers) and a "+" of 21-px
  // strips at threshold 4.5 (pieces shared with one neighbour, mean 5).
  const tiles = gridTiles(5, 5, (c, r) => (c === 2 && r === 2 ? 9 : 1));
  const r = blurShare(tiles, 6);
  assert.equal(r.cells, 25);
  assert.equal(r.numerator, 128 * 128, 'exactly the stride square centred on the blurred crop');
  assert.equal(blurShare(tiles, 4.5).numerator, 128 * 128);
  assert.equal(r.denominator, (4 * 128 + 235) ** 2, 'the cells cover the grid once');
});

test('blurShare: a dense 235/128 grid with all tiles blurred is share 1, area = the whole image', () => {
  const tiles = gridTiles(5, 4, () => 9, 1, 800, 650);
  const r = blurShare(tiles, 2);
  assert.equal(r.share, 1);
  assert.equal(r.denominator, 800 * 650, 'edge cells reach the border: strips beyond the last crop count too');
  const none = blurShare([], 2);
  assert.ok(Number.isNaN(none.share));
  assert.equal(none.denominator, 0);
  assert.throws(() => blurShare(tiles, NaN), /finite number for threshold/);
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

test('cellScoreGrid: each thumbnail pixel takes the score of the one cell holding its centre', () => {
  // scale 8, two crops at x 0 and 128 over a 363-px wide strip: cells [0, 181) and [181, 363).
  const tiles = gridTiles(2, 1, (c) => (c === 0 ? 2 : 4), 1, 400, 235);
  assert.deepEqual(tiles.map((t) => [t.cell.x, t.cell.w]), [[0, 181], [181, 219]], 'the last cell reaches the image edge');
  const g = cellScoreGrid(50, 4, 8, tiles);
  assert.equal(g[0], 2);
  assert.equal(g[22], 2); // centre 180
  assert.equal(g[23], 4); // centre 188: past the midpoint between crop centres, never a mean
  assert.equal(g[49], 4); // centre 396: beyond the last crop (ends at 363), in the edge cell
  assert.ok(Number.isNaN(cellScoreGrid(50, 4, 8, [tiles[0]!])[30]!), 'no scored cell: NaN');
  assert.throws(() => cellScoreGrid(50, 4, 8, [tiles[0]!, { ...tiles[1]!, cell: { ...tiles[1]!.cell, x: 100 } }]), /non-overlapping map cells/);
});

test('renderHeatmap: expected size, colour on cells only, glass untouched, unscored tissue grey, colour bar and legend drawn', async () => {
  const thumb = fakeThumb(100, 60);
  const scale = 10; // level-0 px per thumbnail px
  // Non-overlapping 200-px tiles over the tissue block: left half sharp (z 0.5), right half blurry (z 7).
  const tiles: MappedTile[] = [];
  for (let y = 100; y < 500; y += 200) for (let x = 100; x < 900; x += 200) tiles.push(own({ x, y, w: 200, h: 200, score: x < 500 ? 0.5 : 7, tissue: 1 }));
  const tissueMask = new Uint8Array(100 * 60);
  for (let y = 10; y < 50; y++) for (let x = 10; x < 90; x++) tissueMask[y * 100 + x] = 1;
  tissueMask[30 * 100 + 20] = 0; // a glass hole inside a scored tile
  tissueMask[55 * 100 + 95] = 1; // tissue outside every scored cell
  const png = await renderHeatmap(thumb, scale, tiles, { scale: 'z-level', threshold: 2, tissueMask, minTissue: 0.5 });
  const img = await decodeRaw(png);
  const range = colourRange(tiles, { scale: 'z-level' });
  const lines = heatmapLegendLines(range, { tissueMask, minTissue: 0.5 });
  assert.deepEqual(lines, [
    'fixed scale: z-level 0..8 (MSE model)',
    'grey: tissue not scored (crop < 50% tissue); glass, debris, pen uncoloured',
    'each square shows the crop centred on it; edges take the nearest crop',
  ]);
  assert.ok(lines.every((l) => canRender(l)), 'the pixel font draws every legend character');
  const layout = heatmapLayout(100, 60, lines);
  assert.equal(img.width, layout.width);
  assert.equal(img.height, layout.height);
  assert.ok(img.width >= 100 && img.height > 60);
  const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3));
  assert.deepEqual(px(2, 2), [235, 235, 238], 'glass without tiles is left as is');
  assert.deepEqual(px(20, 30), [220, 150, 200], 'pixels outside the tissue mask are left as is');
  const grey = Math.round(0.5 * (0.299 * 235 + 0.587 * 235 + 0.114 * 238) + 0.5 * 128);
  assert.deepEqual(px(95, 55), [grey, grey, grey], 'tissue that no scored cell covers is grey');
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
  assert.ok(inkAbove > 3 * 150, `legend text pixels: ${inkAbove}`);
  assert.ok(inkBelow > 20, `tick label pixels: ${inkBelow}`);
});

test('renderHeatmap: relative scale widens the canvas to fit its legend and validates options', async () => {
  const thumb = fakeThumb(100, 60);
  const tiles = gridTiles(3, 2, (c) => c);
  const png = await renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1, notes: ['no tissue found'] });
  const meta = await sharp(png).metadata();
  const lines = heatmapLegendLines(colourRange(tiles, { scale: 'relative' }), { notes: ['no tissue found'] });
  assert.equal(lines.length, 3, 'no grey line without a tissue mask; the note comes last');
  assert.equal(lines[2], 'no tissue found');
  assert.ok(meta.width! >= textWidth(lines[0]!) + 16, `canvas ${meta.width} wide`);
  assert.equal(meta.height, heatmapLayout(100, 60, lines).height);
  await assert.rejects(renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1, alpha: 2 }), /between 0 and 1 for alpha but received 2/);
  await assert.rejects(renderHeatmap(thumb, 0, tiles, { scale: 'relative', threshold: 1 }), /positive number for thumbScale/);
  await assert.rejects(renderHeatmap(thumb, 4, tiles, { scale: 'relative', threshold: 1, tissueMask: new Uint8Array(3) }), /tissue mask/);
});

/** The mask part (top rows) of a mask PNG, one byte per pixel. */
async function maskPixels(png: Buffer, w: number, h: number): Promise<Buffer> {
  return sharp(png).extract({ left: 0, top: 0, width: w, height: h }).extractChannel(0).raw().toBuffer();
}

test('renderMask: levels by cell score, grey for unscored tissue, black off tissue, legend below', async () => {
  const tiles: MappedTile[] = [
    own({ x: 0, y: 0, w: 160, h: 160, score: 5, tissue: 1 }), // 20 x 20 px at scale 8
    own({ x: 160, y: 0, w: 160, h: 80, score: 1, tissue: 1 }), // 20 x 10
    own({ x: 320, y: 160, w: 80, h: 240, score: 2.01, tissue: 1 }), // 10 x 30 px
    own({ x: 0, y: 240, w: 80, h: 80, score: 2, tissue: 1 }), // equal to threshold: not above (10 x 10)
  ];
  const png = await renderMask(60, 50, 8, tiles, 2, { minTissue: 0.25 });
  const meta = await sharp(png).metadata();
  const lines = maskLegend(2, 0.25).map((e) => e.text);
  assert.deepEqual(lines, [
    'white: tissue out of focus (score > 2)', 'dark grey: tissue in focus (score <= 2)',
    'mid grey: tissue not scored (crop < 25% tissue)', 'black: glass, background, pen',
  ]);
  const L = maskLayout(60, 50, lines);
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', L.width, L.height, 1], 'greyscale PNG: the mask, then the legend');
  assert.equal(L.panelTop, 50);
  const data = await maskPixels(png, 60, 50);
  const count = (v: number) => data.reduce((a, x) => a + (x === v ? 1 : 0), 0);
  assert.ok(data.every((v) => Object.values(MASK_LEVELS).includes(v as never)));
  assert.equal(count(MASK_LEVELS.outOfFocus), 20 * 20 + 10 * 30);
  assert.equal(count(MASK_LEVELS.inFocus), 20 * 10 + 10 * 10);
  assert.equal(count(MASK_LEVELS.notScored), 60 * 50 - (20 * 20 + 10 * 30 + 20 * 10 + 10 * 10), 'without a tissue mask every pixel is tissue');
  assert.equal(data[5 * 60 + 5], 255);
  // with a tissue mask: glass inside a blurred tile and glass outside every cell are black
  const tissue = new Uint8Array(60 * 50);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 60; x++) tissue[y * 60 + x] = 1;
  tissue[5 * 60 + 5] = 0;
  const masked = await maskPixels(await renderMask(60, 50, 8, tiles, 2, { tissueMask: tissue }), 60, 50);
  assert.equal(masked[5 * 60 + 5], MASK_LEVELS.background);
  assert.equal(masked[45 * 60 + 5], MASK_LEVELS.background);
  assert.equal(masked[25 * 60 + 30], MASK_LEVELS.notScored);
  assert.equal(masked[5 * 60 + 25], MASK_LEVELS.inFocus);
  assert.equal(masked.reduce((a, v) => a + (v > 127 ? 1 : 0), 0), 20 * 20 - 1 + 10 * 10, 'only out-of-focus tissue is above 127');
  // legend: swatches and text in the panel
  const { data: panel } = await sharp(png).extract({ left: 0, top: 50, width: L.width, height: L.height - 50 }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.ok(panel.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) > 300, 'legend text and the black swatch');
  assert.ok(panel.includes(MASK_LEVELS.inFocus) && panel.includes(MASK_LEVELS.notScored), 'grey swatches');
  await assert.rejects(renderMask(60, 50, 8, tiles, 2, { tissueMask: new Uint8Array(5) }), /tissue mask/);
});

test('renderMask: a lone blurred crop is one solid stride square (no "+"), and edge strips are drawn', async () => {
  // 4 x 4 crops at stride 128 on a 700 x 700 image: the last crop (384) ends at 619, leaving an
  // 81-px strip that no crop covers. Thumbnail at scale 4. Before map cells, averaging drew the
  // lone blurred crop as a "+" and left the strips black.
  const cols = 4, size = 700, scale = 4, tw = size / scale;
  const tiles = gridTiles(cols, cols, (c, r) => (c === 1 && r === 1 ? 9 : c === 3 ? 8 : 1), 1, size, size);
  const data = await maskPixels(await renderMask(tw, tw, scale, tiles, 3), tw, tw);
  const at = (x: number, y: number) => data[Math.floor(y / scale) * tw + Math.floor(x / scale)];
  // Crop (1, 1) at 128: its cell is [181, 309)^2 = thumbnail pixels 45..76 (centres 182..306).
  let white = 0;
  for (let y = 0; y < 3 * 128; y += scale) for (let x = 0; x < 2 * 128 + 53; x += scale) white += at(x, y) === 255 ? 1 : 0;
  assert.equal(white, 32 * 32, 'a 128-px square, nothing else');
  assert.equal(at(182, 182), 255);
  assert.equal(at(306, 306), 255);
  assert.equal(at(310, 250), MASK_LEVELS.inFocus);
  assert.equal(at(250, 178), MASK_LEVELS.inFocus);
  // The strip right of the last crop (x >= 619) takes the last column (score 8): white to the edge.
  for (let y = 2; y < size; y += 50) assert.equal(at(size - 2, y), 255, `right edge at y ${y}`);
  // The bottom strip takes the last row: in focus except under the blurred last column.
  assert.equal(at(100, size - 2), MASK_LEVELS.inFocus);
  assert.ok(data.every((v) => v !== MASK_LEVELS.notScored), 'every pixel is in a scored cell');
});

test('mapsInfo says what the maps mean', () => {
  const info = mapsInfo(800, 600, 3, 0.5);
  assert.deepEqual(info.thumbnail, { width: 800, height: 600 });
  assert.equal(info.mask.rows, 600);
  assert.deepEqual(info.mask.levels, { outOfFocus: 255, notScored: 120, inFocus: 60, background: 0 });
  assert.equal(info.mask.legend[2], 'mid grey: tissue not scored (crop < 50% tissue)');
  assert.match(info.cells, /nearest/);
});

test('heat map of a real tile is legible: tissue coloured, glass not', sharedOnly(), async () => {
  // A real tile with tissue along one edge and glass elsewhere, scored by hand: blurrier to the right.
  const thumb = await decodeImage(sharedPath('data', 'tiles', 'liver-level2-57138-8209-57938-9009.png'));
  const scale = 16;
  const W = thumb.width * scale, H = thumb.height * scale;
  const tiles = gridTiles(Math.floor((W - 235) / 128) + 1, Math.floor((H - 235) / 128) + 1, (c) => (c * 128) / 100, 1, W, H);
  const { detectTissue } = await import('../../src/core/tissue/detect.js');
  const tissue = detectTissue(thumb, { downsample: scale, mpp: 0.5 });
  const png = await renderHeatmap(thumb, scale, tiles, { scale: 'z-level', threshold: 3, tissueMask: tissue.pixelMask });
  const img = await decodeRaw(png);
  let changedOnGlass = 0, changedOnTissue = 0, tissuePx = 0;
  for (let i = 0; i < thumb.width * thumb.height; i++) {
    const x = i % thumb.width, y = (i - x) / thumb.width;
    const o = (y * img.width + x) * img.channels;
    const changed = [0, 1, 2].some((k) => img.data[o + k] !== thumb.data[i * 3 + k]);
    if (tissue.pixelMask[i]) {
      changedOnTissue += changed ? 1 : 0;
      tissuePx++;
    } else changedOnGlass += changed ? 1 : 0;
  }
  assert.ok(tissue.pixelTissueFraction > 0.5, `tissue ${tissue.pixelTissueFraction}`);
  assert.equal(changedOnGlass, 0);
  assert.ok(tissuePx > 1000);
  assert.ok(changedOnTissue >= 0.98 * tissuePx, `${changedOnTissue} of ${tissuePx} tissue pixels coloured (edges included)`);
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
