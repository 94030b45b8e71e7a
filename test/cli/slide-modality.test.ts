/**
 * `focuslite slide --modality` end to end on generated slides (no ../shared needed): a
 * fluorescence-like slide (the synthetic tissue as blue emission on black) is reported as
 * unsupported under auto and mapped under --modality fluorescence; a blank slide says "no tissue
 * found"; both exit 3 (no verdict), counted apart.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-modality-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const slides = join(dir, 'slides');
const fluo = join(slides, 'dapi-like.tif');
const blank = join(slides, 'blank.tif');
const TIFF = { tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90 } as const;
const made = (async () => {
  mkdirSync(slides);
  // Absorbance of the synthetic H&E as emission in the blue channel, on a black slide.
  const t = makeTissueLikeImage(700, 560, 5);
  const em = new Uint8Array(t.width * t.height * 3);
  for (let i = 0; i < t.width * t.height; i++) em[i * 3 + 2] = 255 - Math.min(t.data[i * 3]!, t.data[i * 3 + 1]!, t.data[i * 3 + 2]!);
  const tissue = await sharp(em, { raw: { width: t.width, height: t.height, channels: 3 } }).png().toBuffer();
  await sharp({ create: { width: 1100, height: 900, channels: 3, background: { r: 1, g: 1, b: 3 } } })
    .composite([{ input: tissue, left: 200, top: 170 }]).tiff(TIFF).toFile(fluo);
  await sharp({ create: { width: 1100, height: 900, channels: 3, background: { r: 250, g: 250, b: 250 } } }).tiff(TIFF).toFile(blank);
})();

function run(...args: string[]): { code: number | null; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: res.status, stderr: res.stderr };
}
const csvRows = (out: string) => readFileSync(join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');

test('auto: the fluorescence slide is "unsupported modality", the blank one "no tissue found"; exit 3, counted apart', async () => {
  await made;
  const out = join(dir, 'auto');
  const res = run('slide', slides, '-o', out, '-t', '1', '--thumbnail', '512');
  // No verdict is not a failed input: exit 3 (look at these slides), as for a QC failure.
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /^not scored .*dapi-like\.tif: unsupported modality \(fluorescence\)$/m);
  assert.match(res.stderr, /^scored  .*blank\.tif: 0 crops, mean -, blur share -, QC no tissue found/m);
  assert.match(res.stderr, /focuslite: 1 slide\(s\) scored, 0 skipped \(outputs up to date; --force to redo\), 0 verdict\(s\) recomputed from stored scores, 0 failed, 0 fail QC, 2 without a verdict \(1 no tissue found, 1 unsupported modality \(fluorescence; --modality fluorescence maps them\)\); summary in /);
  const rows = csvRows(out);
  assert.match(rows.find((r) => r.includes('blank.tif'))!, /,no tissue found,/);
  assert.match(rows.find((r) => r.includes('dapi-like.tif'))!, /,unsupported modality \(fluorescence\),/);
  const doc = JSON.parse(readFileSync(join(out, 'dapi-like.focus.json'), 'utf8'));
  // A generic TIFF has no channel metadata: the thumbnail alone decides.
  assert.deepEqual([doc.verdict, doc.modality.detected, doc.modality.basis, doc.cropsScored], ['unsupported-modality', 'fluorescence', 'thumbnail', 0]);
});

test('--modality fluorescence: needs --threshold; maps the slide with hvs-maxpol-1 on the inverted tissue mask', async () => {
  await made;
  const out = join(dir, 'fluorescence');
  const refused = run('slide', fluo, '-o', out, '--modality', 'fluorescence');
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'focuslite: --modality fluorescence scores with hvs-maxpol-1, a relative scale: pass --threshold <score> (on a DAPI slide in focus, crops score about 2.3-2.6 and a Gaussian blur of 1 px gives about 4)\n');
  assert.ok(!existsSync(out), 'nothing written');
  const bad = run('slide', fluo, '-o', out, '--modality', 'uv');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /modality/);

  const res = run('slide', fluo, '-o', out, '-t', '1', '--thumbnail', '512', '--modality', 'fluorescence', '--threshold', '4.5');
  assert.ok(res.code === 0 || res.code === 3, res.stderr);
  const doc = JSON.parse(readFileSync(join(out, 'dapi-like.focus.json'), 'utf8'));
  assert.deepEqual([doc.modality.mode, doc.modality.used, doc.model.method, doc.tissue.method], ['fluorescence', 'fluorescence', 'hvs-maxpol-1', 'fluorescence-threshold']);
  // The tissue patch is 700x560 of 1100x900 (40%); the mask finds it, and its crops are scored.
  assert.ok(doc.tissue.fractionOfSlide > 0.3 && doc.tissue.fractionOfSlide < 0.55, `tissue ${doc.tissue.fractionOfSlide}`);
  assert.ok(doc.cropsScored >= 6, `${doc.cropsScored} crops`);
  assert.ok(Number.isFinite(doc.score.mean));
  assert.ok(doc.verdict === 'pass' || doc.verdict === 'fail');
  assert.match(csvRows(out)[1]!, /,(pass|fail),/);
});
