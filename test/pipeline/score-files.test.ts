/**
 * scoreFiles: many image files scored in input order, inline (1 thread) or on worker threads,
 * failures reported per file, the crop grid, custom crop/stride, and parity with the official
 * implementation on the TCGA@Focus patches.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { cropGrid } from '../../src/core/grid.js';
import { createModel, type FocusLiteModel } from '../../src/core/model.js';
import { scoreRgbImage } from '../../src/core/score.js';
import { resolveKernel } from '../../src/core/kernels/index.js';
import { decodeImage } from '../../src/io/decode.js';
import { loadModel } from '../../src/io/weights-file.js';
import { scoreFiles, type FileResult, type FileScore, type ScoreFilesOptions } from '../../src/pipeline/score-files.js';
import { rng, sharedOnly, sharedPath, texture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-score-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A 2-kernel min-max model with random weights: every crop gets a distinct score. */
function testModel(): FocusLiteModel {
  const r = rng(42);
  return createModel({
    kernels: 2,
    pooling: 'min-max',
    convWeight: Array.from({ length: 2 * 147 }, () => (r() - 0.5) * 0.4),
    convBias: [0.1, -0.2],
    fcWeight: [1.5, -0.7, 0.3, 0.9],
    fcBias: 0.25,
    provenance: { source: 'test: random' },
  });
}
const model = testModel();

/** Textured RGB pixels: stripes, blobs and noise, different per seed. */
const W = 620, H = 500;
const rgbA = texture(W, H, 1);
const rgbB = texture(W, H, 2);
const greyPixels = texture(W, H, 3, 1);

const files = {
  png: join(dir, 'a.png'),
  jpeg: join(dir, 'b.jpg'),
  webp: join(dir, 'c-lossless.webp'),
  tiff: join(dir, 'd.tiff'),
  rgba: join(dir, 'e-rgba.png'),
  grey: join(dir, 'f-grey.png'),
  greyRgb: join(dir, 'f-grey-as-rgb.png'),
  png16: join(dir, 'g-16bit.png'),
  pngB: join(dir, 'h.png'),
  corrupt: join(dir, 'corrupt.png'),
  small: join(dir, 'small.png'),
};

const raw3 = (data: Uint8Array, w = W, h = H) => sharp(data, { raw: { width: w, height: h, channels: 3 } });

const made = (async () => {
  await raw3(rgbA).png().toFile(files.png);
  await raw3(rgbA).jpeg({ quality: 90 }).toFile(files.jpeg);
  await raw3(rgbA).webp({ lossless: true }).toFile(files.webp);
  await raw3(rgbA).tiff({ compression: 'lzw' }).toFile(files.tiff);
  // RGBA with a varying alpha: alpha is dropped, not composited, so the RGB values score as a.png.
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    rgba.set(rgbA.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 40 + (i % 200);
  }
  await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(files.rgba);
  await sharp(greyPixels, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toFile(files.grey);
  const greyRgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) greyRgb[i * 3] = greyRgb[i * 3 + 1] = greyRgb[i * 3 + 2] = greyPixels[i]!;
  await raw3(greyRgb).png().toFile(files.greyRgb);
  // 16-bit PNG holding v * 257: reduces to exactly v.
  const wide = new Uint16Array(W * H * 3);
  for (let i = 0; i < wide.length; i++) wide[i] = rgbB[i]! * 257;
  await sharp(wide, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toFile(files.png16);
  await raw3(rgbB).png().toFile(files.pngB);
  writeFileSync(files.corrupt, Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
  await raw3(texture(200, 300, 4), 200, 300).png().toFile(files.small);
})();

async function collect(list: readonly string[], opts: ScoreFilesOptions): Promise<FileResult[]> {
  const out: FileResult[] = [];
  for await (const r of scoreFiles(list, model, opts)) out.push(r);
  return out;
}

function ok(r: FileResult | undefined): FileScore {
  assert.ok(r, 'missing result');
  assert.ok(r.ok, `expected a score, got: ${r.ok ? '' : r.error}`);
  return r;
}

const GOOD = () => [files.png, files.jpeg, files.webp, files.tiff, files.rgba, files.grey, files.greyRgb, files.png16, files.pngB];

test('the sample files have the intended formats', async () => {
  await made;
  const meta = async (f: string) => sharp(f).metadata();
  assert.equal((await meta(files.jpeg)).format, 'jpeg');
  assert.equal((await meta(files.webp)).format, 'webp');
  assert.equal((await meta(files.tiff)).format, 'tiff');
  assert.equal((await meta(files.rgba)).channels, 4);
  assert.equal((await meta(files.grey)).channels, 1);
  assert.equal((await meta(files.png16)).depth, 'ushort');
});

test('threads=1 and threads=2 give the same scores, in input order, for every format', async () => {
  await made;
  const list = GOOD();
  const one = await collect(list, { threads: 1 });
  const two = await collect(list, { threads: 2 });
  assert.deepEqual(one.map((r) => r.file), list);
  assert.deepEqual(two.map((r) => r.file), list);
  for (let i = 0; i < list.length; i++) {
    const a = ok(one[i]), b = ok(two[i]);
    assert.ok(Number.isFinite(a.score));
    assert.ok(Math.abs(a.score - b.score) <= 1e-9, `${list[i]}: ${a.score} vs ${b.score}`);
    assert.equal(a.crops.length, b.crops.length);
    for (let k = 0; k < a.crops.length; k++) assert.ok(Math.abs(a.crops[k]! - b.crops[k]!) <= 1e-9);
    assert.deepEqual([a.width, a.height], [W, H]);
    // The image score is the plain mean of the crop scores (relative scale: no clamp).
    const mean = a.crops.reduce((s, v) => s + v, 0) / a.crops.length;
    assert.ok(Math.abs(a.score - mean) < 1e-12);
  }
  // Reversed input order: results follow it.
  const rev = await collect([...list].reverse(), { threads: 2 });
  assert.deepEqual(rev.map((r) => r.file), [...list].reverse());
  rev.forEach((r, i) => assert.ok(Math.abs(ok(r).score - ok(one[list.length - 1 - i]).score) <= 1e-9));
});

test('lossless encodings of the same pixels score the same; alpha dropped, grey replicated, 16-bit reduced', async () => {
  await made;
  const res = new Map((await collect(GOOD(), { threads: 2 })).map((r) => [r.file, ok(r)]));
  const s = (f: string) => res.get(f)!.score;
  const direct = scoreRgbImage(model, resolveKernel(), { width: W, height: H, data: rgbA }).score;
  assert.ok(Math.abs(s(files.png) - direct) < 1e-9, 'file score equals scoring the pixels directly');
  for (const f of [files.webp, files.tiff, files.rgba]) assert.ok(Math.abs(s(f) - s(files.png)) < 1e-9, basename(f));
  assert.ok(Math.abs(s(files.grey) - s(files.greyRgb)) < 1e-9);
  assert.ok(Math.abs(s(files.png16) - s(files.pngB)) < 1e-9, '16-bit v*257 decodes to v');
  // JPEG is lossy: close to, but not the same as, the PNG.
  assert.notEqual(s(files.jpeg), s(files.png));
  assert.notEqual(s(files.png), s(files.pngB), 'different images get different scores');
});

test('a corrupt file and a too-small image fail naming the file; the other files still score', async () => {
  await made;
  const list = [files.png, files.corrupt, files.pngB, files.small, join(dir, 'missing.png'), files.tiff];
  for (const threads of [1, 2]) {
    const res = await collect(list, { threads });
    assert.deepEqual(res.map((r) => r.file), list);
    assert.deepEqual(res.map((r) => r.ok), [true, false, true, false, false, true]);
    const err = (i: number): string => {
      const r = res[i]!;
      assert.ok(!r.ok);
      return r.error;
    };
    assert.match(err(1), new RegExp(`^${files.corrupt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot decode image \\(`));
    assert.equal(err(3), `${files.small}: image is 200x300, smaller than one 235x235 crop`);
    assert.ok(err(4).startsWith(`${join(dir, 'missing.png')}: `));
    for (const e of [err(1), err(3), err(4)]) assert.equal(e.split('\n').length, 1, 'one-line error');
    assert.ok(Number.isFinite(ok(res[0]).score) && Number.isFinite(ok(res[2]).score) && Number.isFinite(ok(res[5]).score));
  }
});

test('the grid (rows, cols, xs, ys) matches cropGrid, y outer and x inner', async () => {
  await made;
  const [r] = await collect([files.png], { threads: 1 });
  const s = ok(r);
  const g = cropGrid(W, H, 235, 128);
  assert.deepEqual([s.rows, s.cols, s.xs, s.ys], [g.rows, g.cols, [...g.xs], [...g.ys]]);
  assert.deepEqual([s.rows, s.cols, s.xs, s.ys], [3, 4, [0, 128, 256, 384], [0, 128, 256]]);
  assert.equal(s.crops.length, 12);
  // Crop (row 1, col 2) is the crop at x = 256, y = 128.
  const crop = new Uint8Array(235 * 235 * 3);
  for (let y = 0; y < 235; y++) crop.set(rgbA.subarray(((128 + y) * W + 256) * 3, ((128 + y) * W + 256 + 235) * 3), y * 235 * 3);
  const single = scoreRgbImage(model, resolveKernel(), { width: 235, height: 235, data: crop });
  assert.ok(Math.abs(s.crops[1 * 4 + 2]! - single.score) < 1e-9);
});

test('custom crop size and stride', async () => {
  await made;
  for (const threads of [1, 2]) {
    const [r] = await collect([files.pngB], { threads, cropSize: 100, stride: 60 });
    const s = ok(r);
    const g = cropGrid(W, H, 100, 60);
    assert.deepEqual([s.rows, s.cols, s.xs, s.ys], [g.rows, g.cols, [...g.xs], [...g.ys]]);
    assert.equal(s.cols, 9); // 0, 60, ..., 480 <= 520
    assert.equal(s.rows, 7); // 0, 60, ..., 360 <= 400
    const decoded = await decodeImage(files.pngB);
    const direct = scoreRgbImage(model, resolveKernel(), decoded, { cropSize: 100, stride: 60 });
    assert.ok(Math.abs(s.score - direct.score) < 1e-9);
  }
  // The crop size applies to the too-small check.
  const [big] = await collect([files.png], { threads: 1, cropSize: 501 });
  assert.ok(big && !big.ok);
  assert.equal(big.error, `${files.png}: image is ${W}x${H}, smaller than one 501x501 crop`);
});

test('invalid thread counts are refused with the threads message', async () => {
  for (const threads of [0, 257, 2.5]) {
    await assert.rejects(collect([files.png], { threads }), { message: `Expected integer between 1 and 256 for threads but received ${threads}` });
  }
});

test('an unknown kernel fails clearly with worker threads too: every file fails or the run is refused (no hang, no silent success)', async () => {
  await made;
  const list = [files.png, files.pngB, files.tiff, files.webp, files.grey, files.rgba, files.jpeg];
  await assert.rejects(collect(list, { threads: 1, kernel: 'no-such-kernel' }), /Unknown kernel "no-such-kernel"/);
  let res: FileResult[] | null = null;
  try {
    res = await collect(list, { threads: 3, kernel: 'no-such-kernel' });
  } catch (err) {
    // The engine may check the kernel up front...
    assert.match((err as Error).message, /Unknown kernel "no-such-kernel"/);
  }
  if (res) {
    // ...or its workers fail at start-up: then every file is reported, none is silently dropped.
    assert.deepEqual(res.map((r) => r.file), list);
    for (const r of res) {
      assert.ok(!r.ok);
      assert.match(r.error, /Unknown kernel "no-such-kernel"/);
    }
  }
});

const TCGA = sharedPath('data', 'tcga-focus');
const OFFICIAL: Array<[string, number]> = [
  ['out-of-focus_patch_i_9651_j_81514.png', -1.548026],
  ['in-focus_patch_i_32381_j_37784.png', -5.203037],
];

test('parity: official 1-kernel checkpoint on the TCGA@Focus patches, 1 and 2 threads', sharedOnly(), async () => {
  const official = await loadModel(sharedPath('reference', 'official-checkpoints', 'focuslitenn-1kernel.pt'));
  const list = OFFICIAL.map(([f]) => join(TCGA, f));
  for (const threads of [1, 2]) {
    const res: FileResult[] = [];
    for await (const r of scoreFiles(list, official, { threads })) res.push(r);
    assert.deepEqual(res.map((r) => r.file), list);
    res.forEach((r, i) => {
      const s = ok(r);
      assert.ok(Math.abs(s.score - OFFICIAL[i]![1]) < 1e-4, `${OFFICIAL[i]![0]} (${threads} threads): ${s.score} vs official ${OFFICIAL[i]![1]}`);
      assert.deepEqual([s.width, s.height, s.rows, s.cols, s.crops.length], [1025, 1025, 7, 7, 49]);
    });
  }
});
