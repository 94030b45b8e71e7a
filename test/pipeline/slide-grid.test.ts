/** Slide scoring geometry: the crop grid in scoring space, chunks, level-0 mapping, level choice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropOrigins } from '../../src/core/grid.js';
import { cellBounds, gridChunks, pickLevel, slideCellBounds, slideGrid, toLevel0 } from '../../src/pipeline/slide-grid.js';

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
