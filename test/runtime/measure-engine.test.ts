/**
 * The measure engine: worker threads rebuild every measure from its spec and give exactly the
 * inline results; shared pixels serve several measures; a spec that cannot be built is one error
 * before any worker starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel } from '../../src/core/model.js';
import type { MeasureSpec } from '../../src/core/measures/measure-spec.js';
import { createMeasureEngine } from '../../src/runtime/measure-engine.js';
import { focusLiteNNSpec } from '../../src/runtime/measure-spec.js';
import type { ComputeResult, ComputeTask } from '../../src/runtime/compute-task.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { rng } from '../helpers.js';

const r = rng(11);
const model = createModel({ kernels: 2, scale: 'z-level', convWeight: Array.from({ length: 294 }, () => (r() - 0.5) * 0.3), convBias: [0.1, -0.2], fcWeight: [1.5, -0.7], fcBias: 0.3, provenance: { source: 'test' } });
const specs: MeasureSpec[] = [focusLiteNNSpec(model), { type: 'registered', name: 'tenengrad' }, { type: 'registered', name: 'fqpath' }];
const image = makeTissueLikeImage(400, 380, 5);

function tasks(pixels: SharedArrayBuffer): ComputeTask[] {
  const base = { width: image.width, height: image.height, pixels, cropSize: 235, stride: 128, label: 'img' };
  return [
    { ...base, measure: 0 },
    { ...base, measure: 1, unit: 'image' },
    { ...base, measure: 2, unit: 'image' },
    { ...base, measure: 2 },
    { ...base, measure: 0, xs: [10, 100], ys: [0, 120] },
  ];
}

async function runAll(threads: number): Promise<ComputeResult[]> {
  const engine = await createMeasureEngine(specs, threads);
  try {
    const shared = new SharedArrayBuffer(image.data.length);
    new Uint8Array(shared).set(image.data);
    // twice each, so both threads run every kind of task
    return await Promise.all([...tasks(shared), ...tasks(shared)].map((t) => engine.run(t)));
  } finally {
    await engine.close();
  }
}

const strip = (res: ComputeResult): unknown => ({ ...res, computeMs: 0, crops: Array.from(res.crops), rawCrops: res.rawCrops ? Array.from(res.rawCrops) : undefined });

test('two threads give the inline results for FocusLiteNN and registered measures, crops and whole images', async () => {
  const inline = await runAll(1);
  const pooled = await runAll(2);
  assert.deepEqual(pooled.map(strip), inline.map(strip));
  // the z-level rule: crop scores clamped at 0, the image score from the raw mean
  assert.ok(inline[0]!.crops.every((v) => v >= 0));
  assert.equal(inline[1]!.rows * inline[1]!.cols, 1); // a whole-image score is a 1x1 grid
  assert.equal(inline[3]!.crops.length, 4); // fqpath on the 2x2 crop grid
});

test('a spec that cannot be built fails before any worker starts', async () => {
  await assert.rejects(createMeasureEngine([{ type: 'registered', name: 'no-such-measure' }], 2), /Unknown focus measure "no-such-measure"/);
  await assert.rejects(createMeasureEngine([], 1), /at least one focus measure/);
});
