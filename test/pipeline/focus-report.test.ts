/** focus.json validation, settings differences, output names and the batch exit code (pure parts of resume). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFocusReport, settingsChanges, type FocusReportSettings } from '../../src/pipeline/focus-report.js';
import { assignNames, decideResume } from '../../src/pipeline/slide-resume.js';
import { batchExitCode, type SlideSummaryRow } from '../../src/pipeline/slide-batch.js';

test('parseFocusReport: empty, truncated, foreign, newer and older files each say why', () => {
  assert.deepEqual(parseFocusReport(''), { kind: 'corrupt', reason: 'empty file' });
  const t = parseFocusReport('{"format": "focuslite-slide-focus", "vers');
  assert.equal(t.kind, 'corrupt');
  assert.match(t.kind === 'corrupt' ? t.reason : '', /^not valid JSON \(.+\)$/);
  assert.deepEqual(parseFocusReport('[1]'), { kind: 'corrupt', reason: 'not a focuslite focus.json (format undefined)' });
  assert.deepEqual(parseFocusReport('{"format":"focuslite-slide-focus","version":9}'), { kind: 'corrupt', reason: 'unknown format version 9' });
  assert.deepEqual(parseFocusReport('{"format":"focuslite-slide-focus","version":1,"slide":"/s/a.svs"}'),
    { kind: 'outdated', slide: '/s/a.svs', reason: 'written by an older focuslite (format version 1: no slide identity or settings recorded)' });
  assert.deepEqual(parseFocusReport('{"format":"focuslite-slide-focus","version":2,"slide":"a","name":"a"}'), { kind: 'corrupt', reason: 'field identity.path is missing or invalid' });
});

const settings: FocusReportSettings = {
  score: { model: 'a'.repeat(64), mpp: null, modelMpp: 0.25, cropSize: 235, stride: 128, minTissue: 0.5, thumbnailSize: 1024, backend: 'auto' },
  verdict: { threshold: 3, maxBlurShare: 0.1 },
  output: { geojsonCells: false },
};

test('settingsChanges sorts differences by what they change; model hashes are shortened', () => {
  assert.deepEqual(settingsChanges(settings, settings), { score: [], verdict: [], output: [] });
  const now = { score: { ...settings.score, model: 'b'.repeat(64), mpp: 0.5 }, verdict: { threshold: 4, maxBlurShare: 0.1 }, output: { geojsonCells: true } };
  assert.deepEqual(settingsChanges(settings, now), {
    score: [`model ${'a'.repeat(12)} → ${'b'.repeat(12)}`, 'mpp null → 0.5'],
    verdict: ['threshold 3 → 4'],
    output: ['geojsonCells false → true'],
  });
});

test('decideResume: none, corrupt, force, and (with no stored report) scoring', () => {
  const id = { path: '/s/a.svs', kind: 'file' as const, size: 1, mtimeMs: 1, sha256: 'x' };
  assert.deepEqual(decideResume(null, '/o/a.focus.json', id, settings, false), { action: 'score', reason: null });
  assert.deepEqual(decideResume({ kind: 'corrupt', reason: 'empty file' }, '/o/a.focus.json', id, settings, true),
    { action: 'score', reason: '/o/a.focus.json: corrupt focus.json (empty file); scoring the slide again' });
});

test('assignNames: a slide keeps the name it owns; others take the next free one', () => {
  assert.deepEqual(assignNames(['/a/s1.svs', '/b/s1.tif', '/c/s2.ndpi'], new Map()), ['s1', 's1-2', 's2']);
  // The folder already holds /b/s1.tif as "s1": /a/s1.svs must not take it.
  assert.deepEqual(assignNames(['/a/s1.svs', '/b/s1.tif'], new Map([['s1', '/b/s1.tif']])), ['s1-2', 's1']);
  assert.deepEqual(assignNames(['/b/s1.tif'], new Map([['s1', '/a/s1.svs'], ['s1-2', '/b/s1.tif']])), ['s1-2']);
});

test('batchExitCode: 1 wins over 3; no verdict is not a pass', () => {
  const row = (o: Partial<SlideSummaryRow>) => ({ status: 'ok', pass: true, ...o }) as SlideSummaryRow;
  assert.equal(batchExitCode([row({}), row({ status: 'skipped' }), row({ status: 'recomputed' })]), 0);
  assert.equal(batchExitCode([row({}), row({ pass: false })]), 3);
  assert.equal(batchExitCode([row({}), row({ pass: null })]), 3);
  assert.equal(batchExitCode([row({ pass: false }), row({ status: 'error', pass: null })]), 1);
  assert.equal(batchExitCode([row({})], 1), 1, 'an input that matched nothing');
});
