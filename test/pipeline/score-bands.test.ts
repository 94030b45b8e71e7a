/**
 * Large images in `score`: above the whole-image size they are scored a band of crop rows at a
 * time (bounded memory) with exactly the crops of a whole decode; above --max-pixels they are
 * refused from the header, before anything is decoded. Decompression bombs run in a child under
 * a memory cap.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../../src/core/model.js';
import { cropGrid } from '../../src/core/grid.js';
import { serializeModel } from '../../src/core/weights.js';
import { decodeImage, decodeImageRows } from '../../src/io/decode.js';
import { scoreFiles, type FileResult, type ScoreFilesOptions } from '../../src/pipeline/score-files.js';
import { runCliCapped } from '../capped-cli.js';
import { rng, texture } from '../helpers.js';
import { constantPng } from '../io/png-bomb.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-score-bands-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const r = rng(11);
const model = createModel({
  kernels: 2,
  pooling: 'min-max',
  scale: 'z-level',
  convWeight: Array.from({ length: 2 * 147 }, () => (r() - 0.5) * 0.4),
  convBias: [0.1, -0.2],
  fcWeight: [1.5, -0.7, 0.3, 0.9],
  fcBias: -0.6,
  provenance: { source: 'test: random' },
});
const weights = join(dir, 'model.json');
writeFileSync(weights, serializeModel(model));

// 2,500 wide: 18 crop columns, so bands are cut into two compute chunks (16 + 2 columns).
const W = 2500, H = 800;
const files = {
  rgb: join(dir, 'rgb.png'),
  rgba16: join(dir, 'rgba16.png'),
  grey: join(dir, 'grey.tif'),
};
const made = Promise.all([
  sharp(texture(W, H, 1, 3), { raw: { width: W, height: H, channels: 3 } }).png().toFile(files.rgb),
  sharp(texture(W, H, 2, 4), { raw: { width: W, height: H, channels: 4 } }).toColourspace('rgb16').png().toFile(files.rgba16),
  sharp(texture(W, H, 3, 1), { raw: { width: W, height: H, channels: 1 } }).tiff({ tile: true, tileWidth: 256, tileHeight: 256 }).toFile(files.grey),
]);

async function scoreAll(list: string[], options: ScoreFilesOptions): Promise<FileResult[]> {
  const out: FileResult[] = [];
  for await (const res of scoreFiles(list, model, options)) out.push(res);
  return out;
}

test('decodeImageRows gives exactly those rows of a whole decode (8/16-bit, alpha, grey, tiled TIFF)', async () => {
  await made;
  for (const file of Object.values(files)) {
    const whole = await decodeImage(file);
    const band = await decodeImageRows(file, 300, 235);
    assert.equal(band.width, W);
    assert.equal(band.height, 235);
    assert.deepEqual(band.data, whole.data.subarray(300 * W * 3, (300 + 235) * W * 3), file);
  }
  await assert.rejects(decodeImageRows(files.rgb, 700, 235), /rgb\.png: cannot decode image \(rows 700\.\.935 lie outside the 2500x800 image\)/);
});

test('banded scoring equals whole-image scoring crop for crop, on one thread and on two', async () => {
  await made;
  const list = Object.values(files);
  const whole = await scoreAll(list, { threads: 1 });
  // 400-row bands: two crop rows (363 rows) per band, three bands for the five crop rows.
  for (const threads of [1, 2]) {
    const banded = await scoreAll(list, { threads, wholeImagePixels: 1000, bandPixels: W * 400 });
    for (let i = 0; i < list.length; i++) {
      const a = whole[i]!, b = banded[i]!;
      assert.ok(a.ok && b.ok, `${list[i]}: ${JSON.stringify(b)}`);
      assert.deepEqual([b.rows, b.cols, b.width, b.height, b.xs, b.ys], [a.rows, a.cols, a.width, a.height, a.xs, a.ys]);
      assert.equal(b.crops.length, 5 * 18);
      assert.deepEqual(Array.from(b.crops), Array.from(a.crops), `${list[i]}, ${threads} thread(s)`);
      assert.equal(b.score, a.score);
    }
  }
  // The z-level rule is exercised: some crops are clamped at 0, so the image score needs the raw outputs.
  const all = whole.flatMap((x) => (x.ok ? Array.from(x.crops) : []));
  assert.ok(all.some((v) => v === 0) && all.some((v) => v > 0), `crop scores ${all.slice(0, 8).join(', ')}...`);
});

test('resampled to the model\'s resolution, banded scoring equals whole-image scoring crop for crop', async () => {
  await made;
  const list = [files.rgb, files.grey];
  // A 0.5 µm/px model on images given as 0.25 (shrink 2x: 1250x400) and as 0.8 (enlarge 1.6x: 4000x1280).
  for (const [mpp, modelMpp, w, h] of [[0.25, 0.5, 1250, 400], [0.8, 0.5, 4000, 1280]] as const) {
    const whole = await scoreAll(list, { threads: 1, mpp, modelMpp });
    const banded = await scoreAll(list, { threads: 2, mpp, modelMpp, wholeImagePixels: 1000, bandPixels: 4000 * 300 });
    for (let i = 0; i < list.length; i++) {
      const a = whole[i]!, b = banded[i]!;
      assert.ok(a.ok && b.ok, `${list[i]}: ${JSON.stringify(b)}`);
      const grid = cropGrid(w, h, 235, 128);
      assert.deepEqual([a.rows, a.cols, a.width, a.height, a.factor, a.mpp, a.scoredMpp], [grid.rows, grid.cols, W, H, modelMpp / mpp, mpp, modelMpp]);
      // Origins in the image's pixels.
      assert.deepEqual(a.xs, grid.xs.map((x) => Math.round((x * modelMpp) / mpp)));
      assert.deepEqual([b.xs, b.ys, b.cropPx], [a.xs, a.ys, a.cropPx]);
      assert.deepEqual(Array.from(b.crops), Array.from(a.crops), `${list[i]} at ${mpp} µm/px`);
      assert.equal(b.score, a.score);
    }
  }
});

test('--max-pixels refuses from the header; images smaller than a crop still say so', async () => {
  await made;
  const [big, small] = await scoreAll([files.rgb, files.grey], { threads: 1, maxPixels: W * H - 1 });
  assert.ok(!big!.ok && !small!.ok);
  assert.match(big!.error, /rgb\.png: image is 2500x800 \(2\.00 MP\), more than the 2\.00 MP limit; raise --max-pixels to score it in row bands .* or use `focuslite slide`/);
  const tiny = join(dir, 'tiny.png');
  await sharp(texture(300, 200, 4, 3), { raw: { width: 300, height: 200, channels: 3 } }).png().toFile(tiny);
  const [t] = await scoreAll([tiny], { threads: 1 });
  assert.ok(!t!.ok && /tiny\.png: image is 300x200, smaller than one 235x235 crop/.test(t!.error));
});

test('a 30000x30000 PNG bomb (3 MB) is refused in one line far below 1 GB; --max-pixels scores it in bands', async (t) => {
  const bomb = join(dir, 'bomb.png');
  writeFileSync(bomb, await constantPng(30000, 30000, [210, 160, 200]));
  const res = runCliCapped(['score', bomb, '-w', weights, '-f', 'jsonl']);
  assert.equal(res.signal, null, res.stderr);
  assert.equal(res.code, 1, res.stderr);
  assert.equal(res.stdout, '');
  const lines = res.stderr.trim().split('\n');
  assert.match(lines[0]!, /^focuslite: .*bomb\.png: image is 30000x30000 \(900 MP\), more than the 268 MP limit; raise --max-pixels/);
  assert.match(lines[1]!, /^focuslite: 1 input\(s\) failed, 0 scored$/);
  assert.equal(lines.length, 2);
  assert.ok(res.maxRssMb! < 1024, `peak RSS ${res.maxRssMb} MB`);
  // A wide bomb above the whole-image size is scored in bands (and all its crops are equal).
  const wide = join(dir, 'wide.png');
  writeFileSync(wide, await constantPng(20000, 1200, [210, 160, 200]));
  const ok = runCliCapped(['score', wide, '-w', weights, '-f', 'jsonl', '--grid', '-t', '2']);
  assert.equal(ok.code, 0, ok.stderr);
  const rec = JSON.parse(ok.stdout) as { crops: number; rows: number; cols: number; grid: number[][] };
  assert.deepEqual([rec.rows, rec.cols, rec.crops], [8, 155, 8 * 155]);
  const values = new Set(rec.grid.flat());
  assert.equal(values.size, 1, 'a constant image gives one crop score everywhere');
  assert.ok(ok.maxRssMb! < 1024, `peak RSS ${ok.maxRssMb} MB`);
  t.diagnostic(`bomb refused at ${res.maxRssMb!.toFixed(0)} MB peak RSS; 20000x1200 scored in bands at ${ok.maxRssMb!.toFixed(0)} MB`);
});
