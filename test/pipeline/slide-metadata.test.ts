/**
 * focus.json's metadata block and warnings: a slide with MPP gets its areas in mm² and no
 * warning; a slide without MPP says so (mpp null, a warning) and leaves every mm² figure empty.
 * Two small generated tiled TIFFs (tissue-like texture on glass), scored with the built-in model.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { defaultModelPath } from '../../src/io/model-source.js';
import { loadModel } from '../../src/io/weights-file.js';
import { createComputeEngine } from '../../src/runtime/compute-engine.js';
import { runSlideBatch } from '../../src/pipeline/slide-batch.js';
import { NO_MPP_WARNING, slideMetadataReport } from '../../src/pipeline/slide-metadata.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-slide-meta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Pink/purple stained-looking texture in the middle of white glass. */
async function slideTiff(path: string, withMpp: boolean): Promise<void> {
  const w = 1400, h = 1000, tw = 900, th = 700;
  const px = Buffer.alloc(tw * th * 3);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = Math.sin(x / 3.1) * Math.cos(y / 2.7) * 0.5 + Math.sin((x + 2 * y) / 7) * 0.5;
      const o = (y * tw + x) * 3;
      px[o] = 180 + 50 * v;
      px[o + 1] = 90 + 60 * v;
      px[o + 2] = 160 + 40 * v;
    }
  }
  const tissue = await sharp(px, { raw: { width: tw, height: th, channels: 3 } }).png().toBuffer();
  const glass = sharp({ create: { width: w, height: h, channels: 3, background: { r: 245, g: 244, b: 246 } } }).composite([{ input: tissue, left: 250, top: 150 }]);
  const tiff = { tile: true, tileWidth: 256, tileHeight: 256, compression: 'jpeg', quality: 90 } as const;
  await (withMpp ? glass.tiff({ ...tiff, xres: 2000, yres: 2000, resolutionUnit: 'cm' }) : glass.tiff(tiff)).toFile(path);
}

test('focus.json: metadata and warnings; without MPP, mpp is null, a warning says so and mm² figures are empty', async () => {
  const withMpp = join(dir, 'with-mpp.tif'), noMpp = join(dir, 'no-mpp.tif');
  await slideTiff(withMpp, true);
  await slideTiff(noMpp, false);
  const model = await loadModel(defaultModelPath('1k-zlevel'));
  const engine = createComputeEngine(model, 1);
  const out = join(dir, 'qc');
  try {
    const rows = await runSlideBatch([withMpp, noMpp], model, engine, { outDir: out, threshold: 3, maxBlurShare: 0.1, modelLabel: 'built-in', thumbnailSize: 512 });
    assert.deepEqual(rows.map((r) => r.status), ['ok', 'ok']);
    const a = JSON.parse(readFileSync(join(out, 'with-mpp.focus.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(out, 'no-mpp.focus.json'), 'utf8'));

    assert.deepEqual(a.mpp, { x: 0.5, y: 0.5 });
    assert.equal(a.metadata.mppSource, 'tiff.XResolution/YResolution (centimeter)');
    assert.deepEqual(a.warnings, []);
    assert.ok(a.cropsScored > 0, 'the texture is detected as tissue and scored');
    assert.equal(typeof a.tissue.areaMm2, 'number');
    assert.equal(typeof a.blur.denominator_mm2, 'number');

    assert.equal(b.mpp, null);
    assert.deepEqual([b.metadata.mpp, b.metadata.mppSource], [null, null]);
    // the metadata's warning, then the scoring's: what was not resampled to the model's resolution
    assert.deepEqual(b.warnings, [NO_MPP_WARNING, b.scoring.warning]);
    assert.match(b.scoring.warning, /not resampled to the model's 0\.5 µm\/px/);
    assert.equal(b.tissue.areaMm2, null);
    assert.equal(b.blur.denominator_mm2, undefined);
    assert.equal(b.blur.numerator_mm2, undefined);
    assert.equal(b.scoring.mpp, null);
    assert.equal(rows[1]!.tissueMm2, null);
    const summary = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
    assert.equal(summary.find((l) => l.startsWith(`${noMpp},`))!.split(',')[4], '', 'summary.csv tissue_mm2 is empty without MPP');
  } finally {
    await engine.close();
  }
});

test('slideMetadataReport: reader warnings first, then the missing-MPP warning; metadata derived when a reader gives none', () => {
  const info = { path: 'x', reader: 'test', format: 'png', levels: [{ width: 10, height: 10, downsample: 1 }], mpp: null, objectivePower: null, associatedImages: [], properties: {}, warnings: ['read oddly'] };
  const r = slideMetadataReport(info);
  assert.deepEqual(r.warnings, ['read oddly', NO_MPP_WARNING]);
  assert.equal(r.metadata.mpp, null);
  const withMpp = slideMetadataReport({ ...info, mpp: { x: 0.5, y: 0.5 }, warnings: undefined });
  assert.deepEqual(withMpp.warnings, []);
  assert.equal(withMpp.metadata.mppSource, 'image density (PNG pHYs / JPEG JFIF)');
});
