/**
 * Resume that never reports another slide's or another setting's result (runSlideBatch on small
 * generated slides, no ../shared needed): slide identity, score-changing vs verdict-only
 * settings, corrupt focus.json files, and summary.csv built from the whole output folder.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel, type FocusLiteModel } from '../../src/core/model.js';
import { createComputeEngine, type ComputeEngine } from '../../src/runtime/compute-engine.js';
import { outputPaths, runSlideBatch, type BatchEvents, type SlideQcOptions, type SlideSummaryRow } from '../../src/pipeline/slide-batch.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A random mean-free kernel plus a bias: crop scores on both sides of 3 (z-level, clamped at 0). */
function randomModel(bias: number): FocusLiteModel {
  const r = rng(11);
  return createModel({ kernels: 1, scale: 'z-level', convWeight: Array.from({ length: 147 }, () => (r() - 0.5) * 0.5), convBias: [bias], provenance: { source: 'test: random' } });
}
const model = randomModel(3);

async function makeSlide(path: string, seed: number): Promise<void> {
  const t = makeTissueLikeImage(700, 560, seed);
  const tissue = await sharp(t.data, { raw: { width: t.width, height: t.height, channels: 3 } }).png().toBuffer();
  await sharp({ create: { width: 1100, height: 900, channels: 3, background: { r: 244, g: 243, b: 246 } } })
    .composite([{ input: tissue, left: 200, top: 170 }])
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90 })
    .toFile(path);
}

const A = join(dir, 'a', 'x.tif');
const B = join(dir, 'b', 'x.tif');
const C = join(dir, 'c', 'other.tif');
const made = (async () => {
  for (const d of ['a', 'b', 'c']) mkdirSync(join(dir, d));
  await makeSlide(A, 5);
  await makeSlide(B, 6);
  await makeSlide(C, 7);
})();

/** The real engine, counting the crops it scores (so a test can tell a rescoring from a recomputed verdict). */
function countingEngine(m: FocusLiteModel): ComputeEngine & { crops: number } {
  const inner = createComputeEngine(m, 1);
  const engine = {
    crops: 0,
    get threads() { return inner.threads; },
    get measure() { return inner.measure; },
    async run(task: Parameters<ComputeEngine['run']>[0]) {
      engine.crops += task.xs?.length ?? 0;
      return inner.run(task);
    },
    close: () => inner.close(),
  };
  return engine;
}

async function batch(files: string[], o: Partial<SlideQcOptions> & { outDir: string }, m = model, events: BatchEvents = {}): Promise<{ rows: SlideSummaryRow[]; crops: number; notes: string[] }> {
  const engine = countingEngine(m);
  const notes: string[] = [];
  try {
    const rows = await runSlideBatch(files, m, engine, { threshold: 3, maxBlurShare: 0.1, minTissue: 0.5, thumbnailSize: 256, modelLabel: 'random.json', ...o }, { onNote: (l) => notes.push(l), ...events });
    return { rows, crops: engine.crops, notes };
  } finally {
    await engine.close();
  }
}

function parseCsv(text: string): Array<Record<string, string>> {
  const fields = (line: string): string[] => {
    const out: string[] = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let v = '';
        i++;
        while (i < line.length) {
          if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++];
        }
        out.push(v);
        i++;
      } else {
        const end = line.indexOf(',', i);
        out.push(line.slice(i, end < 0 ? line.length : end));
        i = end < 0 ? line.length + 1 : end + 1;
      }
    }
    return out;
  };
  const [head, ...lines] = text.trimEnd().split('\n');
  const keys = fields(head!);
  return lines.map((l) => Object.fromEntries(fields(l).map((v, i) => [keys[i], v])));
}
const summary = (out: string) => parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'));
const focus = (out: string, name: string) => JSON.parse(readFileSync(outputPaths(out, name).focusJson, 'utf8'));
const stamp = (p: string) => { const s = statSync(p); return `${s.ino}:${s.mtimeMs}`; };

test('a/x.tif and b/x.tif: resume keys on the slide, so rerunning b alone reports b, never a', async () => {
  await made;
  const out = join(dir, 'same-name');
  const first = await batch([A, B], { outDir: out });
  assert.deepEqual(first.rows.map((r) => [r.name, r.status]), [['x', 'ok'], ['x-2', 'ok']]);
  assert.notEqual(first.rows[0]!.mean, first.rows[1]!.mean, 'two different slides');
  const aFocus = stamp(outputPaths(out, 'x').focusJson);

  // b alone: in a fresh batch its stem would be "x" (a's outputs); it keeps its own "x-2".
  const onlyB = await batch([B], { outDir: out });
  assert.deepEqual(onlyB.rows.map((r) => [r.slide, r.name, r.status]), [[B, 'x-2', 'skipped']]);
  assert.equal(onlyB.rows[0]!.mean, first.rows[1]!.mean);
  assert.equal(onlyB.crops, 0);
  assert.equal(stamp(outputPaths(out, 'x').focusJson), aFocus, "a's outputs untouched");
  // Both slides stay in summary.csv (built from the folder, not from this run's list).
  assert.deepEqual(summary(out).map((r) => [r.slide, r.name]), [[A, 'x'], [B, 'x-2']]);

  // A new slide with the same stem takes the next free name, never an existing one.
  const cAsX = join(dir, 'c', 'x.tif');
  copyFileSync(C, cAsX);
  const third = await batch([cAsX], { outDir: out });
  assert.deepEqual(third.rows.map((r) => [r.name, r.status]), [['x-3', 'ok']]);
  rmSync(cAsX);

  // b replaced by another slide under the same path: scored again, with the reason.
  copyFileSync(C, B);
  const changed = await batch([B], { outDir: out });
  assert.equal(changed.rows[0]!.status, 'ok');
  assert.match(changed.rows[0]!.note!, /^slide (size changed|modified|content changed).* since .*x-2\.focus\.json was written$/);
  assert.ok(changed.crops > 0);
  const fresh = await batch([C], { outDir: join(dir, 'fresh-c') });
  assert.equal(changed.rows[0]!.mean, fresh.rows[0]!.mean, "b's row now holds the new content's scores");
  assert.equal(focus(out, 'x-2').identity.size, statSync(C).size);
});

test('settings: score-changing ones rescore; threshold and max blur share recompute the verdict from the stored scores', async () => {
  await made;
  const out = join(dir, 'settings');
  const paths = outputPaths(out, 'other');
  const base = await batch([C], { outDir: out });
  assert.equal(base.rows[0]!.status, 'ok');
  const tiles0 = readFileSync(paths.tilesCsv, 'utf8'), tilesStamp = stamp(paths.tilesCsv);
  const scoredAt = focus(out, 'other').scoredAt;
  assert.equal((await batch([C], { outDir: out })).rows[0]!.status, 'skipped', 'same settings: skipped');

  // --threshold: verdict from stored tile scores, no crop scored, maps redrawn with the new threshold.
  const t = 2.3;
  const recomputed = await batch([C], { outDir: out, threshold: t });
  const row = recomputed.rows[0]!;
  assert.equal(row.status, 'recomputed');
  assert.equal(row.note, 'threshold 3 → 2.3');
  assert.equal(recomputed.crops, 0, 'no crop scored');
  assert.equal(readFileSync(paths.tilesCsv, 'utf8'), tiles0);
  assert.equal(stamp(paths.tilesCsv), tilesStamp, 'tiles.csv not rewritten');
  const doc = focus(out, 'other');
  assert.equal(doc.scoredAt, scoredAt);
  assert.deepEqual([doc.blur.threshold, doc.settings.verdict.threshold], [t, t]);
  assert.notEqual(doc.blur.shareOfTissueAbove, base.rows[0]!.blurShare, 'the share moved with the threshold');
  // The same as scoring afresh at that threshold (stored scores are 6-decimal: same verdict, share to 1e-6).
  const freshOut = join(dir, 'settings-fresh');
  const fresh = await batch([C], { outDir: freshOut, threshold: t });
  assert.equal(row.pass, fresh.rows[0]!.pass);
  assert.ok(Math.abs(row.blurShare! - fresh.rows[0]!.blurShare!) < 1e-6, `${row.blurShare} vs ${fresh.rows[0]!.blurShare}`);
  assert.deepEqual(readFileSync(paths.mask), readFileSync(outputPaths(freshOut, 'other').mask), 'mask redrawn as a fresh run draws it');
  assert.deepEqual(doc.maps, focus(freshOut, 'other').maps);
  const classes = (p: string) => JSON.parse(readFileSync(p, 'utf8')).features.map((f: { properties: { classification: { name: string } } }) => f.properties.classification.name);
  assert.deepEqual(classes(paths.geojson), classes(outputPaths(freshOut, 'other').geojson));
  const sum = summary(out);
  assert.deepEqual([sum[0]!.threshold, sum[0]!.qc], [String(t), row.pass ? 'pass' : 'fail'], 'summary says this run\'s threshold');

  // --max-blur-share: only the verdict; the maps stay as they are.
  const heat = stamp(paths.heatmap);
  const share = await batch([C], { outDir: out, threshold: t, maxBlurShare: 0.99 });
  assert.deepEqual([share.rows[0]!.status, share.rows[0]!.note, share.rows[0]!.pass, share.crops], ['recomputed', 'maxBlurShare 0.1 → 0.99', true, 0]);
  assert.equal(stamp(paths.heatmap), heat);
  assert.equal(focus(out, 'other').qc.maxBlurShare, 0.99);

  // Settings that change the scores: rescored, each saying which.
  const minTissue = await batch([C], { outDir: out, threshold: t, maxBlurShare: 0.99, minTissue: 0.8 });
  assert.equal(minTissue.rows[0]!.status, 'ok');
  assert.match(minTissue.rows[0]!.note!, /^settings that change the scores differ: minTissue 0\.5 → 0\.8$/);
  assert.ok(minTissue.crops > 0 && minTissue.rows[0]!.crops < base.rows[0]!.crops);
  const other = await batch([C], { outDir: out, threshold: t, maxBlurShare: 0.99, minTissue: 0.8 }, randomModel(2));
  assert.equal(other.rows[0]!.status, 'ok');
  assert.match(other.rows[0]!.note!, /^settings that change the scores differ: model [0-9a-f]{12} → [0-9a-f]{12}$/);
  const mpp = await batch([C], { outDir: out, threshold: t, maxBlurShare: 0.99, minTissue: 0.8, mpp: 1 }, randomModel(2));
  assert.match(mpp.rows[0]!.note!, /mpp null → 1/);
  // The same weights under another label (path) are the same model.
  assert.equal((await batch([C], { outDir: out, threshold: t, maxBlurShare: 0.99, minTissue: 0.8, mpp: 1, modelLabel: 'copy.json' }, randomModel(2))).rows[0]!.status, 'skipped');
});

test('a corrupt focus.json: reported with its path and reason, that slide redone, the batch goes on', async () => {
  await made;
  const out = join(dir, 'corrupt');
  await batch([A, C], { outDir: out });
  const broken = outputPaths(out, 'x').focusJson;
  const text = readFileSync(broken, 'utf8');
  writeFileSync(broken, text.slice(0, text.length >> 1));
  const r = await batch([A, C], { outDir: out });
  assert.deepEqual(r.rows.map((x) => x.status), ['ok', 'skipped']);
  assert.match(r.rows[0]!.note!, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt focus\\.json \\(not valid JSON \\(.+\\)\\); scoring the slide again$`));
  assert.equal(focus(out, 'x').identity.path, A);

  // One not in this run: reported once, left out of summary.csv, the run carries on.
  writeFileSync(broken, '{"format": "focuslite-slide-focus", "version": 2}');
  const other = await batch([C], { outDir: out });
  assert.equal(other.rows[0]!.status, 'skipped');
  assert.deepEqual(other.notes, [`${broken}: corrupt focus.json: field slide is missing or invalid; not in summary.csv until its slide is run again`]);
  assert.deepEqual(summary(out).map((x) => x.slide), [C]);
  // An older format (version 1) is rescored too.
  writeFileSync(broken, JSON.stringify({ ...JSON.parse(text), version: 1 }));
  const v1 = await batch([A], { outDir: out });
  assert.match(v1.rows[0]!.note!, /written by an older focuslite \(format version 1: no slide identity or settings recorded\); scoring the slide again$/);

  // Stored tile scores that are not the ones focus.json was written with: rescored, not trusted.
  writeFileSync(outputPaths(out, 'x').tilesCsv, readFileSync(outputPaths(out, 'other').tilesCsv));
  const t = await batch([A], { outDir: out, threshold: 2 });
  assert.equal(t.rows[0]!.status, 'ok');
  assert.match(t.rows[0]!.note!, /^stored tile scores not usable: .*x\.tiles\.csv: not the tile scores .*x\.focus\.json was written with$/);
});

test('a failed slide stays in summary.csv when a later run covers other slides; fixed, it is scored', async () => {
  await made;
  const out = join(dir, 'failures');
  const bad = join(dir, 'c', 'broken.svs');
  writeFileSync(bad, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(40, 0x5a)]));
  const first = await batch([bad, C], { outDir: out });
  assert.deepEqual(first.rows.map((r) => r.status), ['error', 'ok']);
  await batch([A], { outDir: out });
  assert.deepEqual(summary(out).map((r) => [r.slide, r.status]), [[A, 'ok'], [bad, 'error'], [C, 'ok']]);
  assert.ok(summary(out)[1]!.error.startsWith(`${bad}: `));
  // The file fixed (now a real slide): scored, and its row is ok.
  copyFileSync(A, bad);
  const later = new Date(Date.now() + 5000);
  utimesSync(bad, later, later);
  const fixed = await batch([bad], { outDir: out });
  assert.equal(fixed.rows[0]!.status, 'ok');
  assert.deepEqual(summary(out).map((r) => r.status), ['ok', 'ok', 'ok']);
});
