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

/** Pooled SRCC of the published 10-kernel checkpoint on the held-out series (README, Built-in models). */
const PUBLISHED_10K = { gaussian: 0.955, defocus: 0.943, annular: 0.932, motion: 0.670 };

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
    assert.ok(!JSON.stringify(p).includes('/tmp/') && !JSON.stringify(p).includes('/work/'), 'provenance holds no machine-specific paths');
    if (model.mpp === null) {
      // the earlier built-ins (PLCC): one synth run at an unknown resolution
      assert.match(p.trainingManifestHash, /^[0-9a-f]{64}$/);
      assert.ok(Array.isArray(p.commands) && p.commands.length === 4);
      assert.ok(p.heldOut.srcc > 0.8 && p.heldOut.srcc <= 1, `${name} held-out SRCC ${p.heldOut.srcc}`);
      continue;
    }
    // trained at a known resolution by npm run train:defaults: the synth runs, their merge and the training
    assert.equal(model.mpp, 0.5, name);
    assert.ok(p.trainingManifestHashes.length >= 1 && p.trainingManifestHashes.every((h: string) => /^[0-9a-f]{64}$/.test(h)));
    // synth runs, merge, [the training of the model it was fine-tuned from,] training
    assert.equal(p.commands.length, p.trainingManifestHashes.length + (p.initialisedFrom ? 3 : 2));
    assert.ok(p.heldOutTiles.length >= 7 && p.heldOutTiles.every((t: string) => !JSON.stringify(p.trainingTiles).includes(t)), 'no held-out tile was trained on');
    // a z-level model carries its held-out threshold; a relative (PLCC) one only records it
    const t = model.scale === 'z-level' ? model.threshold : p.heldOut.derivedThreshold;
    assert.ok(t && t.inFocusAbove === '0 of 14' && /^0 of /.test(String(t.heldOutInFocusAbove)), `${name}: ${JSON.stringify(t)}`);
    if (model.scale === "relative") assert.ok(!model.threshold, `${name}: a relative scale carries no default threshold`);
    for (const [family, published] of Object.entries(PUBLISHED_10K)) {
      assert.ok(p.heldOut[family].srcc >= published, `${name} ${family}: ${p.heldOut[family].srcc} < published 10-kernel ${published}`);
    }
  }
});

test('the default model: trained at 0.5 µm/px, defocus in µm, a threshold from held-out data that puts the real TCGA@Focus pair on the right sides', async () => {
  const model = await loadModel(defaultModelPath());
  assert.deepEqual([model.mpp, model.unit, model.scale], [0.5, 'um', 'z-level']);
  const t = model.threshold!;
  assert.ok(t.value > 1 && t.value < 4, `threshold ${t.value}`);
  // it separates the held-out in-focus images from the clearly defocused ones
  assert.ok((t.maxInFocus as number) < t.value && t.value < (t.minDefocused as number), JSON.stringify(t));
  const held = (model.provenance as Record<string, any>).heldOut;
  for (const family of Object.keys(PUBLISHED_10K)) {
    assert.ok(held[family].lo <= held[family].srcc && held[family].srcc <= held[family].hi, `${family}: CI ${JSON.stringify(held[family])}`);
  }
  // the real TCGA@Focus pair at both resolutions: in focus below the threshold, out of focus above
  const tcga = held.tcgaFocus;
  for (const at of ['0.25', '0.5']) {
    assert.ok(tcga[`in@${at}`] < t.value && tcga[`out@${at}`] > t.value, `TCGA@Focus at ${at} µm/px: ${JSON.stringify(tcga)}`);
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
