/**
 * ONNX focus models: DenseNet-13 and EONSS equal the original code's scores (official-onnx README)
 * within 1e-4, the FocusLiteNN exports equal the native engine, bad models and crop sizes are one
 * clear error, and a missing onnxruntime-node says how to add it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cropGrid } from '../../../src/core/grid.js';
import { createRgbImage } from '../../../src/core/image.js';
import { focusLiteNNMeasure } from '../../../src/core/measures/focuslitenn.js';
import { gridOrigins } from '../../../src/core/score.js';
import { decodeImage } from '../../../src/io/decode.js';
import { loadOnnxMeasure, ONNX_INSTALL_HINT } from '../../../src/io/onnx/measure.js';
import { loadModel } from '../../../src/io/weights-file.js';
import { pickKernel } from '../../../src/runtime/kernel.js';
import { projectRoot, rng, sharedOnly, sharedPath } from '../../helpers.js';
import { officialOnnx, onnxOnly, onnxSharedOnly } from './onnx-helpers.js';
import { metadataEntry } from './proto.test.js';

const IN_FOCUS = 'in-focus_patch_i_32381_j_37784.png';
const OUT_OF_FOCUS = 'out-of-focus_patch_i_9651_j_81514.png';
const patch = (name: string): string => sharedPath('data', 'tcga-focus', name);

/** Image scores printed by the original PyTorch code (official-onnx/README.md), 6 decimals. */
const ORIGINAL: Record<string, Record<string, number>> = {
  densenet13: { [IN_FOCUS]: -1.738664, [OUT_OF_FOCUS]: 0.311473 },
  eonss: { [IN_FOCUS]: -13.352746, [OUT_OF_FOCUS]: -6.610802 },
  'focuslitenn-1kernel': { [IN_FOCUS]: -5.203037, [OUT_OF_FOCUS]: -1.548026 },
};

test('DenseNet-13, EONSS and FocusLiteNN-1 through ONNX equal the original code within 1e-4', onnxSharedOnly(), async () => {
  for (const [name, scores] of Object.entries(ORIGINAL)) {
    const m = await loadOnnxMeasure(officialOnnx(name));
    try {
      assert.equal(m.kind, 'data-driven');
      assert.equal(m.nativeUnit, 'crops');
      assert.equal(m.fixedCrop, 235);
      for (const [image, expected] of Object.entries(scores)) {
        const got = await m.scoreImage(await decodeImage(patch(image)));
        assert.ok(Math.abs(got - expected) <= 1e-4, `${name} ${image}: ${got} vs ${expected}`);
      }
    } finally {
      await m.close();
    }
  }
});

test('the FocusLiteNN ONNX exports equal the native engine on the same checkpoints, crop by crop', onnxSharedOnly(), async () => {
  const image = await decodeImage(patch(OUT_OF_FOCUS));
  const { xs, ys } = gridOrigins(cropGrid(image.width, image.height, 235, 128));
  for (const name of ['focuslitenn-1kernel', 'focuslitenn-2kernel', 'focuslitenn-10kernel']) {
    const native = focusLiteNNMeasure(await loadModel(sharedPath('reference', 'official-checkpoints', `${name}.pt`)), pickKernel());
    const onnx = await loadOnnxMeasure(officialOnnx(name));
    try {
      const a = native.scoreCrops(image, xs, ys, 235);
      const b = await onnx.scoreCrops(image, xs, ys, 235);
      assert.equal(b.length, a.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
      // both are float32 networks and differ only in summation order (measured: 1-kernel 7e-7,
      // 2-kernel 1.7e-6, 10-kernel 5e-6 relative); a wrong layout or weight is off by far more
      assert.ok(worst <= 1e-5, `${name}: max relative crop difference ${worst}`);
      assert.ok(Math.abs(native.scoreImage(image) - (await onnx.scoreImage(image))) <= 1e-5 * Math.max(1, Math.abs(native.scoreImage(image))), name);
      assert.equal(onnx.parameters, native.parameters, name);
      console.log(`${name}: max relative crop difference ONNX vs native ${worst.toExponential(2)}`);
    } finally {
      await onnx.close();
    }
  }
});

test('batches: more crops than one ONNX batch give the same scores as one crop at a time', onnxSharedOnly(), async () => {
  const r = rng(3);
  const image = createRgbImage(600, 600, Uint8Array.from({ length: 600 * 600 * 3 }, () => Math.floor(r() * 256)));
  const xs = Array.from({ length: 40 }, (_, i) => (i * 37) % 365);
  const ys = Array.from({ length: 40 }, (_, i) => (i * 53) % 365);
  const m = await loadOnnxMeasure(officialOnnx('focuslitenn-2kernel'));
  try {
    const all = await m.scoreCrops(image, xs, ys, 235);
    for (const i of [0, 31, 32, 39]) {
      const one = await m.scoreCrops(image, [xs[i]!], [ys[i]!], 235);
      assert.equal(one[0], all[i], `crop ${i}`);
    }
    await assert.rejects(m.scoreCrops(image, [0], [0], 200), /takes 235x235 crops, not 200x200/);
    await assert.rejects(m.scoreCrops(image, [400], [0], 235), /lies outside/);
  } finally {
    await m.close();
  }
});

test('metadata sets the label, parameter count and scale; a z-level model is clamped at 0', onnxSharedOnly(), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-onnx-'));
  try {
    const file = join(dir, 'fl1.onnx');
    writeFileSync(file, Buffer.concat([readFileSync(officialOnnx('focuslitenn-1kernel')), metadataEntry('name', 'FL-1 test'), metadataEntry('parameters', '150'), metadataEntry('scale', 'z-level')]));
    const m = await loadOnnxMeasure(file);
    try {
      assert.equal(m.label, 'FL-1 test');
      assert.equal(m.parameters, 150);
      assert.equal(m.parametersFrom, 'metadata');
      assert.equal(m.scale, 'z-level');
      // the original 1-kernel model scores this patch -5.2: the z-level rule makes it 0
      assert.equal(await m.scoreImage(await decodeImage(patch(IN_FOCUS))), 0);
    } finally {
      await m.close();
    }
    const bad = join(dir, 'bad-scale.onnx');
    writeFileSync(bad, Buffer.concat([readFileSync(officialOnnx('focuslitenn-1kernel')), metadataEntry('scale', 'absolute')]));
    await assert.rejects(loadOnnxMeasure(bad), /bad-scale\.onnx: Expected relative or z-level for the scale metadata but received "absolute"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing, foreign and truncated ONNX files are one line naming the file', onnxOnly(), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-onnx-'));
  try {
    await assert.rejects(loadOnnxMeasure(join(dir, 'nope.onnx')), /nope\.onnx: file not found/);
    const json = join(dir, 'model.onnx');
    writeFileSync(json, '{"format": "focuslite-weights"}');
    await assert.rejects(loadOnnxMeasure(json), /model\.onnx: not a readable ONNX model/);
    await assert.rejects(loadOnnxMeasure(dir), /not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without onnxruntime-node an ONNX model gets one line saying how to add it', sharedOnly(), () => {
  const hide = pathToFileURL(join(projectRoot, 'dist', 'test', 'io', 'onnx', 'fixtures', 'hide-onnxruntime.js')).href;
  const measure = pathToFileURL(join(projectRoot, 'dist', 'src', 'io', 'onnx', 'measure.js')).href;
  const script = `import(${JSON.stringify(measure)}).then((m) => m.loadOnnxMeasure(${JSON.stringify(officialOnnx('eonss'))})).then(() => console.log('loaded'), (e) => console.log(e.message))`;
  const r = spawnSync(process.execPath, ['--import', hide, '-e', script], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), `${officialOnnx('eonss')}: ${ONNX_INSTALL_HINT}`, r.stderr);
});

