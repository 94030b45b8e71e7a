/** What scores a slide: models and measures behind one SlideScorer (label, fingerprint, legend, threshold). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/core/measures/register-builtin.js';
import { getMeasure } from '../../src/core/measures/registry.js';
import { createModel } from '../../src/core/model.js';
import { measureInfo } from '../../src/runtime/measure-engine.js';
import { colourRange } from '../../src/pipeline/slide-outputs.js';
import { measureScorer, modelScorer, scorerOf, scorerThreshold } from '../../src/pipeline/slide-scorer.js';

const weights = { convWeight: Array.from({ length: 147 }, (_, i) => ((i % 7) - 3) / 50), convBias: [1] };

test('a model: its weights are the fingerprint (not its label), its scale and carried threshold rule', () => {
  const m = createModel({ kernels: 1, scale: 'z-level', ...weights, provenance: { source: 'test' } });
  const a = modelScorer(m, 'a.json'), b = modelScorer(m, 'elsewhere/b.json');
  assert.equal(a.fingerprint, b.fingerprint, 'the same weights from another path are the same model');
  const other = modelScorer(createModel({ kernels: 1, scale: 'z-level', ...weights, convBias: [2], provenance: { source: 'test' } }), 'a.json');
  assert.notEqual(other.fingerprint, a.fingerprint);
  assert.deepEqual([a.label, a.scale, a.mapLabel, a.report.file, scorerThreshold(a)], ['a.json', 'z-level', undefined, 'a.json', 3]);
  assert.equal(scorerOf(m, 'x').fingerprint, a.fingerprint, 'a bare model is wrapped');
  assert.equal(scorerOf(a, 'ignored'), a);
});

test('a registered measure: named fingerprint, relative scale with no default threshold, its name on the legend', () => {
  const info = measureInfo(getMeasure('laplacian-variance'));
  const s = measureScorer(info, { type: 'registered', name: 'laplacian-variance' }, 'laplacian-variance');
  assert.deepEqual([s.fingerprint, s.scale, s.mpp, scorerThreshold(s), s.mapLabel], ['measure:laplacian-variance', 'relative', null, null, 'laplacian-variance']);
  assert.deepEqual([s.report.method, s.report.kind, s.report.parameters], ['laplacian-variance', 'knowledge-based', 0]);
  const tiles = [{ x: 0, y: 0, w: 10, h: 10, score: -0.1, tissue: 1 }, { x: 10, y: 0, w: 10, h: 10, score: -0.02, tissue: 1 }];
  assert.match(colourRange(tiles, { scale: 'relative', scoreLabel: s.mapLabel }).legend, /\(laplacian-variance\)/);
  assert.match(colourRange(tiles, { scale: 'relative' }).legend, /\(PLCC model\)/);
});
