/** Crop grid geometry: origins, and row bands for scoring large images a band at a time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropGrid, rowBands } from '../../src/core/grid.js';

test('row bands: every crop row in exactly one band, each band tall enough for its crops and within the bound', () => {
  for (const [w, h, maxRows] of [[300, 2000, 400], [300, 2000, 235], [300, 2000, 1], [300, 235, 10000], [300, 1000, 491], [300, 1000, 490]] as const) {
    const grid = cropGrid(w, h, 235, 128);
    const bands = rowBands(grid, maxRows);
    const rows = bands.flatMap((b) => Array.from({ length: b.r1 - b.r0 }, (_, i) => b.r0 + i));
    assert.deepEqual(rows, grid.ys.map((_, i) => i), `${h}/${maxRows}: rows covered once, in order`);
    for (const b of bands) {
      assert.equal(b.top, grid.ys[b.r0]);
      assert.equal(b.height, grid.ys[b.r1 - 1]! + 235 - b.top, 'the band ends with its last crop');
      assert.ok(b.top + b.height <= h);
      assert.ok(b.height <= Math.max(maxRows, 235), `band of ${b.height} rows for a bound of ${maxRows}`);
    }
  }
  // 491 rows hold three crop rows (0, 128, 256 + 235); 490 only two.
  assert.equal(rowBands(cropGrid(300, 1000, 235, 128), 491)[0]!.r1, 3);
  assert.equal(rowBands(cropGrid(300, 1000, 235, 128), 490)[0]!.r1, 2);
  assert.throws(() => rowBands(cropGrid(300, 300, 235, 128), 0), /Expected positive integer for band rows but received 0/);
});
