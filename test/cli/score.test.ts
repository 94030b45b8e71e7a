/** `focuslite score` end to end: formats, the per-crop grid, failures, heat maps, option errors. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../../src/core/model.js';
import { serializeModel } from '../../src/core/weights.js';
import { imageFactor, scoreFiles, type FileResult } from '../../src/pipeline/score-files.js';
import { resampleToMpp } from '../../src/core/resample.js';
import { scoreRgbImage } from '../../src/core/score.js';
import { resolveKernel } from '../../src/core/kernels/index.js';
import { mppFromDensity } from '../../src/io/decode.js';
import { projectRoot, rng, sharedOnly, sharedPath, texture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-score-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const r = rng(7);
const model = createModel({
  kernels: 1,
  scale: 'relative',
  convWeight: Array.from({ length: 147 }, () => (r() - 0.5) * 0.3),
  convBias: [0.05],
  provenance: { source: 'test: random' },
});
const weights = join(dir, 'model.json');
writeFileSync(weights, serializeModel(model));

const good1 = join(dir, 'patch one.png'); // a space in the name: still one CSV field
const good2 = join(dir, 'patch2.jpg');
const bad = join(dir, 'broken.png');
const made = (async () => {
  await sharp(texture(600, 500, 1), { raw: { width: 600, height: 500, channels: 3 } }).png().toFile(good1);
  await sharp(texture(400, 300, 2), { raw: { width: 400, height: 300, channels: 3 } }).jpeg({ quality: 92 }).toFile(good2);
  writeFileSync(bad, 'not an image at all');
})();

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

let expected: Map<string, Extract<FileResult, { ok: true }>> | null = null;
async function direct(): Promise<Map<string, Extract<FileResult, { ok: true }>>> {
  await made;
  if (!expected) {
    expected = new Map();
    for await (const res of scoreFiles([good1, good2], model, { threads: 1 })) {
      assert.ok(res.ok);
      expected.set(res.file, res);
    }
  }
  return expected;
}

interface Rec { file: string; score: number; crops: number; rows: number; cols: number; width: number; height: number; model: string; scale: string; grid?: number[][]; xs?: number[]; ys?: number[] }

test('--format json: an array of records in input order, scores as the library computes them', async () => {
  const exp = await direct();
  const res = run('score', good1, good2, '-w', weights, '--format', 'json', '-t', '2');
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stderr, '');
  const recs = JSON.parse(res.stdout) as Rec[];
  assert.deepEqual(recs.map((x) => x.file), [good1, good2]);
  for (const rec of recs) {
    const e = exp.get(rec.file)!;
    assert.ok(Math.abs(rec.score - e.score) <= 5e-7, `${rec.file}: ${rec.score} vs ${e.score}`);
    assert.deepEqual([rec.crops, rec.rows, rec.cols, rec.width, rec.height], [e.crops.length, e.rows, e.cols, e.width, e.height]);
    assert.equal(rec.grid, undefined);
  }
  assert.deepEqual([recs[0]!.rows, recs[0]!.cols, recs[1]!.rows, recs[1]!.cols], [3, 3, 1, 2]);
});

test('--format jsonl: one object per line with file, score, crops', async () => {
  const exp = await direct();
  const res = run('score', good1, good2, '-w', weights, '-f', 'jsonl', '-t', '1');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  const recs = lines.map((l) => JSON.parse(l) as Rec);
  assert.deepEqual(recs.map((x) => x.file), [good1, good2]);
  for (const rec of recs) {
    assert.deepEqual(Object.keys(rec), ['file', 'score', 'crops', 'rows', 'cols', 'width', 'height', 'model', 'scale']);
    assert.deepEqual([rec.model, rec.scale], [weights, 'relative']);
    assert.ok(Math.abs(rec.score - exp.get(rec.file)!.score) <= 5e-7);
    assert.equal(rec.crops, exp.get(rec.file)!.crops.length);
  }
});

test('--format csv: header and one row per image; --grid: one row per crop', async () => {
  const exp = await direct();
  const res = run('score', good1, good2, '-w', weights, '-f', 'csv', '-t', '1');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  // The original columns keep their positions; the model and its scale are appended.
  assert.equal(lines[0], 'file,score,crops,rows,cols,width,height,model,scale');
  assert.equal(lines.length, 3);
  const row1 = lines[1]!.split(',');
  assert.equal(row1[0], good1);
  assert.ok(Math.abs(Number(row1[1]) - exp.get(good1)!.score) <= 5e-7);
  assert.deepEqual(row1.slice(2, 7).map(Number), [9, 3, 3, 600, 500]);
  assert.deepEqual(row1.slice(7), [weights, 'relative']);
  assert.deepEqual(lines[2]!.split(',').slice(2, 7).map(Number), [2, 1, 2, 400, 300]);

  const grid = run('score', good1, good2, '-w', weights, '-f', 'csv', '--grid', '-t', '1');
  assert.equal(grid.code, 0, grid.stderr);
  const g = grid.stdout.trimEnd().split('\n');
  assert.equal(g[0], 'file,row,col,x,y,crop_score,image_score,model,scale');
  assert.ok(g.slice(1).every((l) => l.endsWith(`,${weights},relative`)));
  assert.equal(g.length, 1 + 9 + 2);
  const crops1 = g.slice(1, 10).map((l) => l.split(','));
  assert.deepEqual(crops1.map((c) => [c[0], Number(c[1]), Number(c[2]), Number(c[3]), Number(c[4])]), [
    [good1, 0, 0, 0, 0], [good1, 0, 1, 128, 0], [good1, 0, 2, 256, 0],
    [good1, 1, 0, 0, 128], [good1, 1, 1, 128, 128], [good1, 1, 2, 256, 128],
    [good1, 2, 0, 0, 256], [good1, 2, 1, 128, 256], [good1, 2, 2, 256, 256],
  ]);
  crops1.forEach((c, i) => assert.ok(Math.abs(Number(c[5]) - exp.get(good1)!.crops[i]!) <= 5e-7));
});

test('--grid in JSON: rows x cols scores with x and y origins', async () => {
  const exp = await direct();
  const res = run('score', good1, good2, '-w', weights, '-f', 'json', '--grid', '--crop', '200', '--stride', '100');
  assert.equal(res.code, 0, res.stderr);
  const [a, b] = JSON.parse(res.stdout) as Rec[];
  assert.deepEqual([a!.rows, a!.cols, a!.xs, a!.ys], [4, 5, [0, 100, 200, 300, 400], [0, 100, 200, 300]]);
  assert.equal(a!.grid!.length, 4);
  assert.ok(a!.grid!.every((row) => row.length === 5));
  assert.equal(a!.crops, 20);
  const mean = a!.grid!.flat().reduce((s, v) => s + v, 0) / 20;
  assert.ok(Math.abs(mean - a!.score) < 1e-5);
  assert.deepEqual([b!.rows, b!.cols, b!.xs, b!.ys], [2, 3, [0, 100, 200], [0, 100]]);
  // Default crop and stride give different values from the library's 235/128 result.
  assert.notEqual(a!.score, Number(exp.get(good1)!.score.toFixed(6)));
});

test('table format (default): a header and one line per image', async () => {
  await made;
  const res = run('score', good1, '-w', weights, '--grid', '-t', '1');
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `model: ${weights}; scale: relative (PLCC-trained: only the ranking of scores is meaningful)`);
  assert.match(lines[1]!, /^\s+score\s+crops\s+size\s+file$/);
  assert.match(lines[2]!, new RegExp(`^\\s+-?\\d+\\.\\d{4}\\s+9\\s+600x500\\s+${good1}$`));
  assert.match(lines[3]!, /per-crop grid 3x3 \(rows = y origins 0,128,256; cols = x origins 0,128,256\)/);
  assert.equal(lines.length, 3 + 1 + 3);
});

test('a bad input: exit 1, one stderr line naming it, the good images are still printed', async () => {
  await made;
  const missing = join(dir, 'missing.png');
  const res = run('score', good1, bad, good2, missing, '-w', weights, '-f', 'jsonl');
  assert.equal(res.code, 1);
  assert.deepEqual(res.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as Rec).file), [good1, good2]);
  const errLines = res.stderr.trimEnd().split('\n');
  const badLines = errLines.filter((l) => l.includes(bad));
  assert.equal(badLines.length, 1);
  assert.match(badLines[0]!, new RegExp(`^focuslite: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot decode image \\(.+\\)$`));
  assert.ok(errLines.includes(`focuslite: ${missing}: file not found`));
  assert.equal(errLines[errLines.length - 1], 'focuslite: 2 input(s) failed, 2 scored');
  assert.equal(errLines.length, 3);
});

test('--heatmap writes one PNG per image (thumbnail size with a legend)', async () => {
  await made;
  const out = join(dir, 'heat');
  const res = run('score', good1, good2, '-w', weights, '-f', 'jsonl', '--heatmap', out, '-t', '1');
  assert.equal(res.code, 0, res.stderr);
  for (const [name, w, h] of [['patch one', 600, 500], ['patch2', 400, 300]] as const) {
    const path = join(out, `${name}.heatmap.png`);
    assert.ok(existsSync(path), path);
    const meta = await sharp(path).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width! >= w && meta.height! >= h, `${meta.width}x${meta.height}`);
  }
});

test('option errors: bad --threads, bad --format, no inputs found', async () => {
  await made;
  const t0 = run('score', good1, '-w', weights, '--threads', '0');
  assert.notEqual(t0.code, 0);
  assert.match(t0.stderr, /Expected integer between 1 and 256 for threads but received 0/);
  assert.equal(t0.stdout, '');
  const f = run('score', good1, '-w', weights, '--format', 'xml');
  assert.notEqual(f.code, 0);
  assert.match(f.stderr, /Expected one of table, json, jsonl, csv for format but received xml/);
  const none = run('score', join(dir, 'nothing-*.png'), '-w', weights);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /pattern matched no files/);
  assert.match(none.stderr, /no images to score/);
});

test('without --weights, score uses the one default model (z-level, as slide does) and says so in every format', async () => {
  await made;
  const table = run('score', good1, '-t', '1');
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout.split('\n')[0], 'model: built-in focuslite-1k-zlevel.json; scale: z-level (MSE-trained: score estimates |z-level|, 0 = in focus)');
  const jsonl = JSON.parse(run('score', good1, '-t', '1', '-f', 'jsonl').stdout) as Rec;
  assert.deepEqual([jsonl.model, jsonl.scale], ['built-in focuslite-1k-zlevel.json', 'z-level']);
  assert.ok(jsonl.score >= 0, 'z-level scores are never below 0');
  const json = JSON.parse(run('score', good1, '-t', '1', '-f', 'json').stdout) as Rec[];
  assert.deepEqual([json[0]!.model, json[0]!.scale, json[0]!.score], [jsonl.model, jsonl.scale, jsonl.score]);
  const csv = run('score', good1, '-t', '1', '-f', 'csv').stdout.trimEnd().split('\n');
  assert.ok(csv[1]!.endsWith(',built-in focuslite-1k-zlevel.json,z-level'), csv[1]);
  // The same model as slide's default: one patch, one score (slide scores the same crops on tissue).
  const explicit = JSON.parse(run('score', good1, '-t', '1', '-f', 'jsonl', '-w', join(projectRoot, 'models', 'focuslite-1k-zlevel.json')).stdout) as Rec;
  assert.equal(explicit.score, jsonl.score);
});

test('score and slide give one tile the same crop scores by default (one default model)', sharedOnly(), () => {
  const tilePath = sharedPath('data', 'tiles', 'high-nuclei-score-level0.png');
  const out = join(dir, 'slide-out');
  const slide = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), 'slide', tilePath, '-o', out, '-t', '1'], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(slide.status, 0, slide.stderr);
  const [head, ...rows] = readFileSync(join(out, 'high-nuclei-score-level0.tiles.csv'), 'utf8').trimEnd().split('\n');
  const col = (name: string): number => head!.split(',').indexOf(name);
  const bySlide = new Map(rows.map((l) => l.split(',')).map((f) => [`${f[col('x')]},${f[col('y')]}`, Number(f[col('score')])]));
  const score = run('score', tilePath, '-f', 'csv', '--grid', '-t', '1');
  assert.equal(score.code, 0, score.stderr);
  let compared = 0;
  for (const line of score.stdout.trimEnd().split('\n').slice(1)) {
    const f = line.split(',');
    const want = bySlide.get(`${f[3]},${f[4]}`);
    if (want === undefined) continue; // a crop slide skipped (not enough tissue)
    assert.ok(Math.abs(Number(f[5]) - want) <= 1e-6, `crop at ${f[3]},${f[4]}: score ${f[5]}, slide ${want}`);
    compared++;
  }
  assert.ok(compared >= 4, `${compared} crops compared`);
});

test('--mpp: images are resampled to the model\'s training resolution; origins and heat maps stay in image pixels', async () => {
  await made;
  // The same random model, trained (so it says) at 0.5 µm/px.
  const at05 = createModel({ kernels: 1, scale: 'relative', convWeight: model.convWeight, convBias: model.convBias, mpp: 0.5, provenance: { source: 'test: random at 0.5' } });
  const w05 = join(dir, 'model-05.json');
  writeFileSync(w05, serializeModel(at05));
  const big = join(dir, 'at-025.png');
  await sharp(texture(1200, 1000, 3), { raw: { width: 1200, height: 1000, channels: 3 } }).png().toFile(big);
  const res = run('score', big, '-w', w05, '--mpp', '0.25', '-f', 'json', '--grid', '-t', '1', '--heatmap', join(dir, 'heat-mpp'));
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stderr, '');
  const [rec] = JSON.parse(res.stdout) as Array<Rec & { mpp: number; scoredMpp: number; cropPx: number }>;
  // 1200x1000 at 0.25 is 600x500 at 0.5: the 3x3 grid of the 600x500 image, origins doubled.
  assert.deepEqual([rec!.width, rec!.height, rec!.rows, rec!.cols, rec!.mpp, rec!.scoredMpp, rec!.cropPx], [1200, 1000, 3, 3, 0.25, 0.5, 470]);
  assert.deepEqual([rec!.xs, rec!.ys], [[0, 256, 512], [0, 256, 512]]);
  // The score is the model on the area-averaged image.
  const decoded = await sharp(big).raw().toBuffer({ resolveWithObject: true });
  const small = resampleToMpp({ width: 1200, height: 1000, data: new Uint8Array(decoded.data) }, 0.25, 0.5);
  const want = scoreRgbImage(at05, resolveKernel('reference'), small);
  assert.ok(Math.abs(rec!.score - want.score) < 1e-4, `${rec!.score} vs ${want.score}`);
  assert.ok(existsSync(join(dir, 'heat-mpp', 'at-025.heatmap.png')));
  // Without --mpp a PNG records no pixel size: scored as stored, with a note on stderr.
  const plain = run('score', big, '-w', w05, '-f', 'jsonl', '-t', '1');
  assert.equal(plain.code, 0, plain.stderr);
  const p = JSON.parse(plain.stdout) as Rec & { mpp?: number };
  assert.deepEqual([p.rows, p.cols, p.mpp], [6, 8, undefined]);
  assert.equal(plain.stderr, 'focuslite: 1 image(s) record no pixel size and were scored as stored; the model was trained at 0.5 µm/px (pass --mpp <µm/px> to resample them to it)\n');
  // A TIFF whose resolution tags give a microscope's pixel size (4000 px/mm = 0.25 µm/px) is resampled without --mpp.
  const tif = join(dir, 'at-025.tif');
  await sharp(big).tiff({ xres: 4000, yres: 4000, resolutionUnit: 'cm', compression: 'lzw' }).toFile(tif);
  const t = JSON.parse(run('score', tif, '-w', w05, '-f', 'jsonl', '-t', '1').stdout) as Rec & { mpp: number; scoredMpp: number };
  assert.deepEqual([t.rows, t.cols, t.mpp, t.scoredMpp], [3, 3, 0.25, 0.5]);
  assert.ok(Math.abs(t.score - rec!.score) < 1e-6);
  // A model of unknown resolution ignores --mpp (nothing to resample to).
  const u = JSON.parse(run('score', big, '-w', weights, '--mpp', '0.25', '-f', 'jsonl', '-t', '1').stdout) as Rec & { mpp: number; scoredMpp: number };
  assert.deepEqual([u.rows, u.cols, u.mpp, u.scoredMpp], [6, 8, 0.25, 0.25]);
});

test('mppFromDensity: only microscope resolutions count (print defaults are no information)', () => {
  assert.equal(mppFromDensity(101600), 0.25);
  assert.equal(mppFromDensity(72), null);
  assert.equal(mppFromDensity(300), null);
  assert.equal(mppFromDensity(undefined), null);
  assert.equal(mppFromDensity(0), null);
  assert.equal(mppFromDensity(2540), null, '10 µm/px is too coarse to be a scan');
  assert.equal(imageFactor(0.25, 0.5), 2);
  assert.equal(imageFactor(0.499, 0.5), 1, 'within 5%: as stored');
  assert.equal(imageFactor(null, 0.5), 1);
  assert.equal(imageFactor(0.25, null), 1);
});
