/** The compute unit: crops at given origins (slides) and the dense grid (files) both follow the scale rule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, type ScoreScale } from '../../src/core/model.js';
import { referenceKernel } from '../../src/core/kernels/reference.js';
import { focusLiteNNMeasure } from '../../src/core/measures/focuslitenn.js';
import { computeTask } from '../../src/runtime/compute-task.js';

const model = (scale: ScoreScale) => createModel({ kernels: 1, scale, convWeight: new Float32Array(147).fill(0.02), convBias: [-1] });

function task(xs?: number[], ys?: number[]) {
  const w = 747, h = 235;
  const pixels = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels.fill(Math.round((255 * x) / (w - 1)), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, pixels: pixels.buffer, cropSize: 235, stride: 128, label: 'gradient', xs, ys };
}

test('computeTask: z-level crop scores are never below 0, on picked origins and on the dense grid', async () => {
  for (const t of [() => task([0, 256, 512], [0, 0, 0]), () => task()]) {
    const rel = await computeTask(focusLiteNNMeasure(model('relative'), referenceKernel), t());
    const z = await computeTask(focusLiteNNMeasure(model('z-level'), referenceKernel), t());
    assert.ok(rel.crops.some((v) => v < 0), `some raw crop outputs are negative: ${Array.from(rel.crops)}`);
    assert.deepEqual(Array.from(z.crops), Array.from(rel.crops, (v) => Math.max(0, v)));
    assert.equal(z.score, Math.max(0, rel.score));
  }
});
