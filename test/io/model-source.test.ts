import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { parameterCount } from '../../src/core/model.js';
import { DEFAULT_MODEL, DEFAULT_MODELS, defaultModelPath, resolveModel } from '../../src/io/model-source.js';
import { loadModel } from '../../src/io/weights-file.js';

const expected: Record<keyof typeof DEFAULT_MODELS, { kernels: number; scale: string; params: number }> = {
  '1k': { kernels: 1, scale: 'relative', params: 148 },
  '2k': { kernels: 2, scale: 'relative', params: 299 },
  '10k': { kernels: 10, scale: 'relative', params: 1491 },
  '1k-zlevel': { kernels: 1, scale: 'z-level', params: 148 },
};

test('every built-in model is committed, loads, and records how it was made and how it scored held out', async () => {
  for (const [name, want] of Object.entries(expected) as Array<[keyof typeof DEFAULT_MODELS, (typeof expected)['1k']]>) {
    const path = defaultModelPath(name);
    assert.ok(existsSync(path), `${path} missing`);
    const model = await loadModel(path);
    assert.equal(model.kernels, want.kernels, name);
    assert.equal(model.scale, want.scale, name);
    assert.equal(parameterCount(model), want.params, name);
    const p = model.provenance as Record<string, any>;
    assert.match(p.source, /trained by focuslite/);
    assert.equal(p.seed, 1);
    assert.match(p.trainingManifestHash, /^[0-9a-f]{64}$/);
    assert.ok(Array.isArray(p.commands) && p.commands.length === 4);
    assert.ok(!JSON.stringify(p).includes('/tmp/'), 'provenance holds no machine-specific paths');
    assert.ok(p.heldOut.srcc > 0.8 && p.heldOut.srcc <= 1, `${name} held-out SRCC ${p.heldOut.srcc}`);
  }
});

test('resolveModel falls back to the one built-in default, the 1-kernel z-level model, and names a missing --weights file', async () => {
  assert.equal(DEFAULT_MODEL, '1k-zlevel');
  const { model, path, label } = await resolveModel();
  assert.equal(path, defaultModelPath('1k-zlevel'));
  assert.equal(defaultModelPath(), path);
  assert.equal(label, 'built-in focuslite-1k-zlevel.json');
  assert.deepEqual([model.kernels, model.scale], [1, 'z-level']);
  const given = await resolveModel(defaultModelPath('1k'));
  assert.deepEqual([given.path, given.label, given.model.scale], [defaultModelPath('1k'), defaultModelPath('1k'), 'relative']);
  await assert.rejects(resolveModel('/nonexistent/model.json'), /\/nonexistent\/model\.json: file not found/);
});
