import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createModel } from '../../src/core/model.js';
import { parseWeights } from '../../src/core/weights.js';
import { loadModel, saveModel } from '../../src/io/weights-file.js';
import { focusLiteTensors, zipCheckpoint } from './torch-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-weights-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const model = createModel({
  kernels: 2,
  convWeight: Array.from({ length: 294 }, (_, i) => Math.fround(Math.sin(i) / 3)),
  convBias: [0.5, -0.25],
  fcWeight: [1.5, -2],
  fcBias: Math.fround(0.1),
  scale: 'z-level',
  provenance: { source: 'unit test' },
});

test('saveModel writes JSON atomically and loadModel reads it back exactly', async () => {
  const path = join(dir, 'model.json');
  writeFileSync(path, 'old contents');
  await saveModel(path, model);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left behind');
  assert.deepEqual(parseWeights(readFileSync(path, 'utf8')), model);
  assert.deepEqual(await loadModel(path), model);
});

test('saveModel: a missing folder or a directory target gives a one-line error naming the path', async () => {
  const missing = join(dir, 'no-such-folder', 'm.json');
  await assert.rejects(saveModel(missing, model), { message: `${missing}: cannot write (its folder does not exist)` });
  const sub = join(dir, 'a-directory');
  mkdirSync(sub);
  await assert.rejects(saveModel(sub, model), { message: `${sub}: cannot write (is a directory)` });
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('loadModel: missing file, directory, bad JSON', async () => {
  const missing = join(dir, 'nope.json');
  await assert.rejects(loadModel(missing), { message: `${missing}: file not found` });
  await assert.rejects(loadModel(dir), { message: `${dir}: is a directory, not a weights file` });
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"format": "something else"}');
  await assert.rejects(loadModel(bad), (err: Error) => err.message.startsWith(`${bad}: not a valid focuslite weights file`));
});

test('loadModel imports checkpoints by extension or by content, with the scale override', async () => {
  const bytes = zipCheckpoint(focusLiteTensors(2, 'module.'));
  const pt = join(dir, 'crafted-mse.pt');
  writeFileSync(pt, bytes);
  const byExt = await loadModel(pt);
  assert.equal(byExt.kernels, 2);
  assert.equal(byExt.scale, 'z-level', '"mse" in the file name');
  assert.equal(byExt.provenance.source, 'imported from crafted-mse.pt');
  assert.equal((await loadModel(pt, { scale: 'relative' })).scale, 'relative');
  const noExt = join(dir, 'checkpoint.bin');
  writeFileSync(noExt, bytes);
  assert.equal((await loadModel(noExt)).kernels, 2);
  const broken = join(dir, 'broken.pt');
  writeFileSync(broken, bytes.subarray(0, 100));
  await assert.rejects(loadModel(broken), (err: Error) => err.message.startsWith(`${broken}: `) && !err.message.includes('\n'));
});

test('mpp, unit and threshold round-trip; files without them read as unknown; bad values name the field', async () => {
  const withRes = createModel({
    kernels: 1, convWeight: new Array(147).fill(0.01), convBias: [0.2], scale: 'z-level',
    mpp: 0.5, unit: 'um', threshold: { value: 1.25, method: 'held-out tiles', falsePositiveRate: 0.01 }, provenance: { source: 'unit test' },
  });
  const path = join(dir, 'with-res.json');
  await saveModel(path, withRes);
  const text = readFileSync(path, 'utf8');
  const doc = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual([doc.mpp, doc.unit, doc.threshold], [0.5, 'um', { value: 1.25, method: 'held-out tiles', falsePositiveRate: 0.01 }]);
  assert.deepEqual(await loadModel(path), withRes);
  // A file written before focuslite recorded resolution: no mpp, no unit -> unknown.
  const old = { ...doc };
  delete old.mpp; delete old.unit; delete old.threshold;
  const m = parseWeights(JSON.stringify(old), 'old.json');
  assert.deepEqual([m.mpp, m.unit, m.threshold], [null, null, null]);
  // Relative models are written without a unit; unknown resolution as null.
  const rel = JSON.parse(readFileSync((await saveModel(join(dir, 'rel.json'), model), join(dir, 'rel.json')), 'utf8')) as Record<string, unknown>;
  assert.equal(rel.mpp, null);
  assert.equal('unit' in rel, true, 'the z-level test model carries a unit field (null)');
  const bad = (patch: Record<string, unknown>) => () => parseWeights(JSON.stringify({ ...doc, ...patch }), 'm.json');
  assert.throws(bad({ mpp: 0 }), { message: 'm.json: not a valid focuslite weights file: "mpp" must be null or a number between 0.01 and 100 (µm per pixel)' });
  assert.throws(bad({ mpp: '0.5' }), /"mpp" must be null or a number/);
  assert.throws(bad({ unit: 'microns' }), { message: 'm.json: not a valid focuslite weights file: "unit" must be null or one of "um", "focuspath-step"' });
  assert.throws(bad({ scale: 'relative' }), { message: 'm.json: not a valid focuslite weights file: "unit" is for z-level models only' });
  assert.throws(bad({ threshold: { value: 'x', method: 'm' } }), /"threshold" must be an object with a finite "value" and a "method" string/);
  assert.throws(() => createModel({ kernels: 1, convWeight: new Array(147).fill(0), convBias: [0], mpp: -1 }), /Expected number between 0.01 and 100 \(µm per pixel\) for mpp but received -1/);
});
