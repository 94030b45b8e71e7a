/** Slide scoring geometry: the crop grid in scoring space, chunks, level-0 mapping, level choice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropOrigins } from '../../src/core/grid.js';
import { cellBounds, gridChunks, pickLevel, scoringResolution, slideCellBounds, slideGrid, sourceWindow, toLevel0 } from '../../src/pipeline/slide-grid.js';
import { chunkCropsFor, MAX_WINDOW } from '../../src/pipeline/slide-score.js';

test('slideGrid at level 0: the dense crop grid of the original', () => {
  const g = slideGrid(1500, 1200, 235, 128, 1);
  assert.deepEqual([g.width, g.height, g.cropSize, g.stride, g.factor], [1500, 1200, 235, 128, 1]);
  assert.deepEqual(g.xs, [0, 128, 256, 384, 512, 640, 768, 896, 1024, 1152]); // <= 1265
  assert.deepEqual(g.ys, [0, 128, 256, 384, 512, 640, 768, 896]); // <= 965
  assert.deepEqual(g.xs, cropOrigins(1500, 235, 128));
  // Exactly one crop when the slide is one crop; none when it is smaller.
  assert.deepEqual(slideGrid(235, 235, 235, 128, 1).xs, [0]);
  assert.deepEqual(slideGrid(234, 1000, 235, 128, 1).xs, []);
});

test('slideGrid with factor != 1: scoring space is level 0 divided by the factor (floored)', () => {
  const g = slideGrid(3001, 2000, 235, 128, 2);
  assert.deepEqual([g.width, g.height, g.factor], [1500, 1000, 2]);
  assert.deepEqual(g.xs, cropOrigins(1500, 235, 128));
  assert.deepEqual(g.ys, [0, 128, 256, 384, 512, 640]); // <= 765
  const h = slideGrid(1000, 1000, 235, 128, 1.5);
  assert.deepEqual([h.width, h.height], [666, 666]);
  assert.deepEqual(h.xs, [0, 128, 256, 384]); // <= 431
  for (const bad of [0, -1, Number.NaN]) {
    assert.throws(() => slideGrid(1000, 1000, 235, 128, bad), { message: `Expected positive number for resolution factor but received ${bad}` });
  }
});

test('toLevel0 maps scoring-space rectangles to level-0 pixels (rounded) and stays inside the slide', () => {
  const g1 = slideGrid(1500, 1200, 235, 128, 1);
  assert.deepEqual(toLevel0(g1, 256, 128, 235, 235), { x: 256, y: 128, w: 235, h: 235 });
  const g2 = slideGrid(3000, 2000, 235, 128, 2);
  assert.deepEqual(toLevel0(g2, 128, 256, 235, 235), { x: 256, y: 512, w: 470, h: 470 });
  const g15 = slideGrid(1000, 1000, 235, 128, 1.5);
  assert.deepEqual(toLevel0(g15, 128, 384, 235, 235), { x: 192, y: 576, w: 353, h: 353 });
  for (const f of [1, 1.25, 1.5, 2, 2.5, 3.3, 4]) {
    for (const side of [500, 1001, 2345, 4099]) {
      const g = slideGrid(side, side + 17, 235, 128, f);
      for (const x of g.xs) {
        const r = toLevel0(g, x, g.ys[g.ys.length - 1] ?? 0, 235, 235);
        assert.ok(r.x >= 0 && r.x + r.w <= side, `factor ${f}, side ${side}: x ${r.x}+${r.w}`);
        assert.ok(r.y + r.h <= side + 17 || g.ys.length === 0);
      }
    }
  }
});

test('gridChunks cover every crop exactly once, row-major, at most k x k crops each', () => {
  for (const [w, h, k] of [[1500, 1200, 4], [1500, 1200, 16], [1500, 1200, 1], [5000, 700, 3], [235, 235, 16], [2000, 2000, 7]] as const) {
    const g = slideGrid(w, h, 235, 128, 1);
    const chunks = gridChunks(g, k);
    const seen = new Map<string, number>();
    let prev = { r0: -1, c0: -1 };
    for (const c of chunks) {
      assert.ok(c.c1 > c.c0 && c.r1 > c.r0, 'chunks are not empty');
      assert.ok(c.c1 - c.c0 <= k && c.r1 - c.r0 <= k);
      assert.ok(c.c1 <= g.xs.length && c.r1 <= g.ys.length);
      assert.ok(c.r0 > prev.r0 || (c.r0 === prev.r0 && c.c0 > prev.c0), 'row-major order');
      prev = c;
      for (let r = c.r0; r < c.r1; r++) for (let col = c.c0; col < c.c1; col++) seen.set(`${r},${col}`, (seen.get(`${r},${col}`) ?? 0) + 1);
    }
    assert.equal(seen.size, g.xs.length * g.ys.length, `${w}x${h} k=${k}: every crop in a chunk`);
    assert.ok([...seen.values()].every((n) => n === 1), 'no crop in two chunks');
    assert.equal(chunks.length, Math.ceil(g.xs.length / k) * Math.ceil(g.ys.length / k));
  }
  const g = slideGrid(1500, 1200, 235, 128, 1); // 10 x 8 crops
  assert.deepEqual(gridChunks(g, 4).slice(0, 4), [
    { c0: 0, c1: 4, r0: 0, r1: 4 }, { c0: 4, c1: 8, r0: 0, r1: 4 }, { c0: 8, c1: 10, r0: 0, r1: 4 }, { c0: 0, c1: 4, r0: 4, r1: 8 },
  ]);
  assert.deepEqual(gridChunks(slideGrid(200, 200, 235, 128, 1), 4), [], 'no crops, no chunks');
  for (const bad of [0, 1.5, -2]) assert.throws(() => gridChunks(g, bad), { message: `Expected positive integer for chunk crops but received ${bad}` });
});

test('pickLevel: the coarsest level not coarser than asked (1% slack for rounded level sizes)', () => {
  const ds = [1, 4.000493, 16.0123, 64.1];
  assert.equal(pickLevel(ds, 1), 0);
  assert.equal(pickLevel(ds, 2), 0, 'level 1 (4x) would be coarser than 2x');
  assert.equal(pickLevel(ds, 3.99), 1, 'within 1% of 4x');
  assert.equal(pickLevel(ds, 4), 1);
  assert.equal(pickLevel(ds, 15), 1);
  assert.equal(pickLevel(ds, 16), 2);
  assert.equal(pickLevel(ds, 1000), 3);
  assert.equal(pickLevel([1], 8), 0);
  assert.equal(pickLevel([1, 16, 4], 5), 2, 'levels need not be sorted');
  assert.equal(pickLevel([1, 2, 4], 0.5), 0, 'finer than level 0: level 0');
});

test('cellBounds: stride squares centred on the crops, edge cells reaching the borders', () => {
  // 235-px crops at stride 128 on 1000 px: origins 0..640, centres 117.5 + 128k.
  const b = cellBounds(cropOrigins(1000, 235, 128), 235, 1000);
  assert.deepEqual(b, [0, 181, 309, 437, 565, 693, 1000]);
  for (let i = 1; i < b.length - 2; i++) {
    assert.equal(b[i + 1]! - b[i]!, 128, 'inner cells are one stride wide');
    const centre = i * 128 + 117.5;
    assert.ok(Math.abs((b[i]! + b[i + 1]!) / 2 - centre) <= 0.5, `cell ${i} centred on its crop`);
  }
  // Every pixel belongs to the crop whose centre is nearest (ties at the floored midpoint go right).
  const centres = cropOrigins(1000, 235, 128).map((o) => o + 117.5);
  for (let x = 0; x < 1000; x++) {
    const cell = b.findIndex((v, i) => x >= v && x < b[i + 1]!);
    const nearest = centres.reduce((best, c, i) => (Math.abs(x + 0.5 - c) <= Math.abs(x + 0.5 - centres[best]!) ? i : best), 0);
    assert.equal(cell, nearest, `pixel ${x}`);
  }
  assert.deepEqual(cellBounds([0], 235, 235), [0, 235]);
  assert.deepEqual(cellBounds([], 235, 100), []);
  // Crops apart (stride > crop): the cut is midway in the gap.
  assert.deepEqual(cellBounds([0, 300], 100, 400), [0, 200, 400]);
  assert.throws(() => cellBounds([0, 0], 235, 500), /ascending crop origins/);
});

test('slideCellBounds: level-0 cells of a scoring grid at factor != 1', () => {
  const g = slideGrid(3001, 2000, 235, 128, 2);
  const { xs, ys } = slideCellBounds(g, 3001, 2000);
  assert.equal(xs[0], 0);
  assert.equal(xs[xs.length - 1], 3001, 'the last cell reaches the level-0 border');
  assert.equal(ys[ys.length - 1], 2000);
  assert.equal(xs.length, g.xs.length + 1);
  assert.equal(xs[2]! - xs[1]!, 256, 'one stride of level-0 pixels');
  const crop1 = toLevel0(g, g.xs[1]!, 0, 235, 235);
  assert.ok(xs[1]! >= crop1.x && xs[2]! <= crop1.x + crop1.w, 'an inner cell lies inside its crop');
});

test('scoringResolution: --mpp, else the model, reached from the slide MPP; level 0 with a warning without slide MPP', () => {
  // The model's 0.5 µm/px on a 40x (0.25) slide: shrink 2x; on a 20x (0.5) slide: as stored.
  assert.deepEqual(scoringResolution(0.25, undefined, 0.5, 's'), { factor: 2, targetMpp: 0.5, source: 'model', mpp: 0.5, warning: null });
  assert.deepEqual(scoringResolution(0.5, undefined, 0.5, 's'), { factor: 1, targetMpp: 0.5, source: 'model', mpp: 0.5, warning: null });
  // A 0.25 model (FocusPath) on a 20x slide: enlarge 2x.
  assert.deepEqual(scoringResolution(0.5, undefined, 0.25, 's'), { factor: 0.5, targetMpp: 0.25, source: 'model', mpp: 0.25, warning: null });
  // --mpp overrides the model; within 5% of the slide's own resolution is scored as stored.
  assert.deepEqual(scoringResolution(0.25, 1, 0.5, 's'), { factor: 4, targetMpp: 1, source: 'option', mpp: 1, warning: null });
  assert.deepEqual(scoringResolution(0.499, undefined, 0.5, 's'), { factor: 1, targetMpp: 0.5, source: 'model', mpp: 0.499, warning: null });
  assert.deepEqual(scoringResolution(0.252, undefined, 0.25, 's'), { factor: 1, targetMpp: 0.25, source: 'model', mpp: 0.252, warning: null });
  assert.equal(scoringResolution(0.2265, undefined, 0.25, 's').factor, 0.25 / 0.2265, 'a Hamamatsu 40x (0.2265) is 10% off: resampled');
  // A model of unknown resolution and no --mpp: level 0, no warning (nothing was asked for).
  assert.deepEqual(scoringResolution(0.25, undefined, null, 's'), { factor: 1, targetMpp: null, source: 'none', mpp: 0.25, warning: null });
  assert.deepEqual(scoringResolution(null, undefined, null, 's'), { factor: 1, targetMpp: null, source: 'none', mpp: null, warning: null });
  // No slide MPP: level 0 and a warning that says what was not done.
  const w = scoringResolution(null, undefined, 0.5, 's');
  assert.deepEqual([w.factor, w.targetMpp, w.source, w.mpp], [1, 0.5, 'model', null]);
  assert.match(w.warning!, /^the slide records no MPP: scored at level 0 as stored, not resampled to the model's 0\.5 µm\/px/);
  assert.match(scoringResolution(undefined, 2, 0.5, 's').warning!, /not resampled to --mpp 2;/);
  assert.throws(() => scoringResolution(0.5, 0, 0.5, 's'), { message: 'Expected positive number for mpp but received 0' });
  assert.throws(() => scoringResolution(2, undefined, 0.25, 'a.svs'), { message: "a.svs: the slide's 2.0000 µm/px is more than 4x coarser than the model's 0.25 µm/px; it cannot be scored at that resolution" });
});

test('crops at an enlarged resolution: level-0 rectangles of half a crop on a half-stride grid', () => {
  // A 20x slide (0.5 µm/px) scored by a 0.25 µm/px model: factor 0.5, scoring space twice the size.
  const g = slideGrid(1000, 800, 235, 128, 0.5);
  assert.deepEqual([g.width, g.height], [2000, 1600]);
  assert.deepEqual(g.xs, cropOrigins(2000, 235, 128));
  assert.deepEqual(toLevel0(g, 128, 256, 235, 235), { x: 64, y: 128, w: 118, h: 118 });
  assert.deepEqual(toLevel0(g, g.xs[g.xs.length - 1]!, 0, 235, 235), { x: 832, y: 0, w: 118, h: 118 });
  const { xs } = slideCellBounds(g, 1000, 800);
  assert.equal(xs[2]! - xs[1]!, 64, 'inner cells are one stride of level-0 pixels');
  assert.equal(xs[xs.length - 1], 1000);
  // A 40x slide (0.25) for a 0.5 model: factor 2 (tested above) — the crop covers 470 level-0 px.
  assert.deepEqual(toLevel0(slideGrid(4000, 4000, 235, 128, 2), 128, 0, 235, 235), { x: 256, y: 0, w: 470, h: 470 });
});

test('sourceWindow: the level window with its filter margin and the exact phase of the rectangle', () => {
  // Level 0, factor 2 (shrink): scoring rect x 100..150 covers level-0 200..300; area margin 1.
  const a = sourceWindow(2, 1, 1, 5000, 4000, 100, 50, 50, 40);
  assert.deepEqual(a, { x: 199, y: 99, w: 102, h: 82, scaleX: 2, scaleY: 2, x0: 1, y0: 1, filter: 'area' });
  // factor 3 read from a 2x level (level scale 0.5): 1.5 level px per scoring px.
  const b = sourceWindow(3, 0.5, 0.5, 2500, 2000, 101, 0, 10, 10);
  assert.deepEqual([b.x, b.w, b.scaleX, b.x0, b.filter], [150, 18, 1.5, 1.5, 'area']);
  // factor 0.5 (enlarge): Lanczos margin 3, clipped at the level's edges.
  const c = sourceWindow(0.5, 1, 1, 1000, 800, 0, 1590, 100, 10);
  assert.deepEqual(c, { x: 0, y: 792, w: 53, h: 8, scaleX: 0.5, scaleY: 0.5, x0: 0, y0: 3, filter: 'lanczos3' });
  // As stored: the rectangle itself.
  assert.deepEqual(sourceWindow(1, 1, 1, 1000, 800, 5, 6, 7, 8), { x: 5, y: 6, w: 7, h: 8, scaleX: 1, scaleY: 1, x0: 0, y0: 0, filter: 'none' });
});

test('chunkCropsFor: fewer crops per chunk when a window is shrunk, so windows stay within MAX_WINDOW', () => {
  assert.equal(chunkCropsFor(16, 235, 128, 1), 16);
  assert.equal(chunkCropsFor(16, 235, 128, 0.5), 16, 'enlarging reads a smaller window');
  assert.equal(chunkCropsFor(16, 235, 128, 2), 15);
  assert.equal(chunkCropsFor(16, 235, 128, 4), 7);
  assert.equal(chunkCropsFor(16, 235, 128, 40), 1, 'at least one crop');
  for (const rel of [1.5, 2, 3, 4, 6]) {
    const k = chunkCropsFor(16, 235, 128, rel);
    assert.ok(((k - 1) * 128 + 235) * rel <= MAX_WINDOW, `rel ${rel}: ${k} crops`);
  }
});
