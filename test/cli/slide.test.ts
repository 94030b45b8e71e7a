/** `focuslite slide` end to end on a small generated slide and a corrupt one (no ../shared needed). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel, type ScoreScale } from '../../src/core/model.js';
import { serializeModel } from '../../src/core/weights.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot, rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-slide-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeModel(name: string, scale: ScoreScale): string {
  const r = rng(11);
  // Mean-subtracted random kernel plus a bias: crop scores spread on both sides of 3.
  const w = Array.from({ length: 147 }, () => (r() - 0.5) * 0.5);
  const path = join(dir, name);
  writeFileSync(path, serializeModel(createModel({ kernels: 1, scale, convWeight: w, convBias: [3], provenance: { source: 'test: random' } })));
  return path;
}
const zModel = writeModel('z-model.json', 'z-level');
const relModel = writeModel('relative-model.json', 'relative');

const slidesDir = join(dir, 'slides');
const good = join(slidesDir, 'tissue.tif');
const bad = join(slidesDir, 'broken.svs');
const made = (async () => {
  mkdirSync(slidesDir);
  const t = makeTissueLikeImage(700, 560, 5);
  const tissue = await sharp(t.data, { raw: { width: t.width, height: t.height, channels: 3 } }).png().toBuffer();
  await sharp({ create: { width: 1100, height: 900, channels: 3, background: { r: 244, g: 243, b: 246 } } })
    .composite([{ input: tissue, left: 200, top: 170 }])
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90 })
    .toFile(good);
  writeFileSync(bad, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(40, 0x5a)]));
})();

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const outputs = (out: string, name: string) => ['focus.json', 'tiles.csv', 'geojson', 'heatmap.png', 'mask.png'].map((ext) => join(out, `${name}.${ext}`));

test('slide on a folder with a good and a corrupt slide: exit 1, outputs for the good one, summary.csv, errors.txt', async () => {
  await made;
  const out = join(dir, 'qc');
  const res = run('slide', slidesDir, '-o', out, '-w', zModel, '-t', '1', '--thumbnail', '512');
  assert.equal(res.code, 1, res.stderr);
  for (const f of outputs(out, 'tissue')) assert.ok(existsSync(f), `missing ${f}`);
  for (const f of outputs(out, 'broken')) assert.ok(!existsSync(f), `unexpected ${f}`);
  const summary = readFileSync(join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(summary[0], 'slide,name,status,crops,tissue_mm2,mean,median,p90,blur_share,qc,seconds,error,warning,threshold,max_blur_share,scored_at');
  assert.equal(summary.length, 3);
  // Folder contents are sorted: broken.svs first.
  assert.ok(summary[1]!.startsWith(`${bad},broken,error,0,`));
  assert.ok(summary[2]!.startsWith(`${good},tissue,ok,`));
  const okRow = summary[2]!.split(',');
  const crops = Number(okRow[3]);
  assert.ok(crops > 5, `${crops} crops`);
  assert.match(okRow[9]!, /^(pass|fail)$/);
  const errors = readFileSync(join(out, 'errors.txt'), 'utf8').trimEnd().split('\n');
  assert.equal(errors.length, 1);
  assert.ok(errors[0]!.includes(`\t${bad}: `));

  const focus = JSON.parse(readFileSync(join(out, 'tissue.focus.json'), 'utf8'));
  assert.deepEqual(focus.dimensions, { width: 1100, height: 900 });
  assert.equal(focus.cropsScored, crops);
  assert.equal(readFileSync(join(out, 'tissue.tiles.csv'), 'utf8').trimEnd().split('\n').length, 1 + crops);
  assert.equal(focus.blur.threshold, 3, 'default threshold of a z-level model');
  assert.equal(focus.model.file, zModel);
  // Tiles stay on the tissue rectangle (200..900 x 170..730) by at least half their area.
  for (const line of readFileSync(join(out, 'tissue.tiles.csv'), 'utf8').trimEnd().split('\n').slice(1)) {
    const [x, y, w, h] = line.split(',').map(Number) as [number, number, number, number];
    const ox = Math.max(0, Math.min(x + w, 900) - Math.max(x, 200)), oy = Math.max(0, Math.min(y + h, 730) - Math.max(y, 170));
    assert.ok((ox * oy) / (w * h) > 0.4, `tile ${x},${y}`);
  }

  const err = res.stderr.trimEnd().split('\n');
  assert.ok(err.some((l) => l.startsWith(`failed  ${bad}: `)), res.stderr);
  assert.ok(err.some((l) => l.startsWith(`scored  ${good}: ${crops} crops`)), res.stderr);
  assert.match(err[err.length - 1]!, /^focuslite: 1 slide\(s\) scored, 0 skipped \(outputs up to date; --force to redo\), 0 verdict\(s\) recomputed from stored scores, 1 failed, [01] fail QC, 0 without a verdict; summary in /);

  // A second run skips the finished slide (its focus.json untouched) and retries the failed one.
  const mtime = statSync(join(out, 'tissue.focus.json')).mtimeMs;
  const again = run('slide', good, bad, '-o', out, '-w', zModel, '-t', '1', '--thumbnail', '512');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /focuslite: 0 slide\(s\) scored, 1 skipped .*, 1 failed/);
  assert.equal(statSync(join(out, 'tissue.focus.json')).mtimeMs, mtime);
  assert.equal(readFileSync(join(out, 'errors.txt'), 'utf8').trimEnd().split('\n').length, 2);
  // --force on the good slide alone: exit 0.
  const forced = run('slide', good, '-o', out, '-w', zModel, '-t', '2', '--thumbnail', '512', '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /focuslite: 1 slide\(s\) scored, 0 skipped .*, 0 failed/);
  const summary2 = readFileSync(join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');
  // summary.csv covers the folder: the broken slide's row (from the earlier runs) stays.
  assert.equal(summary2.length, 3);
  assert.ok(summary2[1]!.startsWith(`${bad},broken,error,`));
  assert.equal(Number(summary2[2]!.split(',')[3]), crops, 'same crops with 2 threads');
});

test('a relative-scale model without --threshold is a clear one-line error; with --threshold it runs', async () => {
  await made;
  const out = join(dir, 'qc-relative');
  const res = run('slide', good, '-o', out, '-w', relModel, '-t', '1');
  assert.equal(res.code, 1);
  assert.equal(res.stderr, `focuslite: ${relModel}: relative-scale model (PLCC-trained) carries no threshold and has no absolute blur level; pass --threshold <score>\n`);
  assert.ok(!existsSync(out), 'nothing written');
  const ok = run('slide', good, '-o', out, '-w', relModel, '-t', '1', '--thumbnail', '512', '--threshold', '0.5');
  // Relative scores of this model lie above 0.5 everywhere: the slide fails QC, exit code 3.
  assert.equal(ok.code, 3, ok.stderr);
  assert.match(ok.stderr, /, 1 fail QC, /);
  const focus = JSON.parse(readFileSync(join(out, 'tissue.focus.json'), 'utf8'));
  assert.equal(focus.blur.threshold, 0.5);
  assert.equal(focus.model.scale, 'relative');
});

test('--geojson-cells: the GeoJSON holds the non-overlapping map cells, whose tissue areas add up to the blur denominator', async () => {
  await made;
  const out = join(dir, 'qc-cells');
  const res = run('slide', good, '-o', out, '-w', zModel, '-t', '1', '--thumbnail', '512', '--geojson-cells');
  assert.equal(res.code, 0, res.stderr);
  const focus = JSON.parse(readFileSync(join(out, 'tissue.focus.json'), 'utf8'));
  assert.equal(focus.maps.geojson, 'cells');
  const geo = JSON.parse(readFileSync(join(out, 'tissue.geojson'), 'utf8'));
  assert.equal(geo.focuslite.polygons, 'cells');
  assert.equal(geo.features.length, focus.cropsScored);
  const rows = readFileSync(join(out, 'tissue.tiles.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',').map(Number));
  let tissueArea = 0;
  geo.features.forEach((f: { geometry: { coordinates: number[][][] }; properties: { measurements: Record<string, number> } }, i: number) => {
    const ring = f.geometry.coordinates[0]!;
    const [x0, y0] = ring[0]!, [x1, y1] = ring[2]!;
    const row = rows[i]!;
    assert.deepEqual([x0, y0, x1 - x0!, y1! - y0!], row.slice(6, 10), 'polygon = the tile\'s cell in tiles.csv');
    assert.ok(Math.abs(f.properties.measurements['Tissue fraction']! - row[10]!) < 1e-6);
    tissueArea += (x1! - x0!) * (y1! - y0!) * row[10]!;
  });
  assert.ok(Math.abs(tissueArea - focus.blur.denominator) / focus.blur.denominator < 1e-5, `${tissueArea} vs ${focus.blur.denominator}`);
});

test('option errors: --threads 0, --min-tissue out of range, missing -o, no slides found', async () => {
  await made;
  const t = run('slide', good, '-o', join(dir, 'x'), '-w', zModel, '--threads', '0');
  assert.notEqual(t.code, 0);
  assert.match(t.stderr, /Expected integer between 1 and 256 for threads but received 0/);
  const m = run('slide', good, '-o', join(dir, 'x'), '-w', zModel, '--min-tissue', '2');
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /Expected number between 0 and 1 for min-tissue but received 2/);
  const o = run('slide', good, '-w', zModel);
  assert.notEqual(o.code, 0);
  assert.match(o.stderr, /required option '-o, --output <dir>' not specified/);
  const none = run('slide', join(dir, 'no-such-slide.svs'), '-o', join(dir, 'x'), '-w', zModel);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no-such-slide\.svs: file not found/);
  assert.match(none.stderr, /no slides to process/);
  assert.ok(!existsSync(join(dir, 'x')));
});
