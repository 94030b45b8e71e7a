/**
 * `npm run bench:slide`: whole-slide scoring speed.
 *  1. builds (once, cached in the temp folder) a 25,000 x 25,000 JPEG-tiled pyramidal TIFF from a real
 *     tissue tile (sharp writes it), then scores EVERY crop of level 0 with the 1-kernel model;
 *  2. scores cmu-1-small-region.svs from ../shared (tissue crops, then every crop).
 * Prints seconds per slide, MP/s, peak RSS and the time split (read/decode, compute, waiting).
 * BENCH_SLIDE_SIZE=n changes the generated slide's side.
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../src/core/model.js';
import { openSlide } from '../src/io/slide/index.js';
import { createComputeEngine } from '../src/runtime/compute-engine.js';
import { scoreSlide } from '../src/pipeline/slide-score.js';

const SIDE = Number(process.env.BENCH_SLIDE_SIZE ?? 25000);
const shared = resolve(process.cwd(), '..', 'shared', 'data');

async function buildSlide(path: string): Promise<void> {
  const tilePath = join(shared, 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png');
  let tile: Buffer;
  if (existsSync(tilePath)) {
    tile = await sharp(tilePath).removeAlpha().extract({ left: 0, top: 0, width: 1024, height: 1024 }).png().toBuffer();
  } else {
    const { makeTissueLikeImage } = await import('../src/synth/tissue-image.js');
    const img = makeTissueLikeImage(1024, 1024, 1);
    tile = await sharp(img.data, { raw: { width: 1024, height: 1024, channels: 3 } }).png().toBuffer();
  }
  // Mirror the tile 2x2 so repeats join seamlessly, then repeat it over the whole slide.
  const quad = await sharp(tile)
    .extend({ right: 1024, bottom: 1024, extendWith: 'mirror' })
    .png()
    .toBuffer();
  const t0 = performance.now();
  await sharp({ create: { width: SIDE, height: SIDE, channels: 3, background: '#ffffff' }, limitInputPixels: false })
    .composite([{ input: quad, tile: true, left: 0, top: 0 }])
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 85 })
    .toFile(path);
  console.log(`built ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function model1k() {
  // A fixed 1-kernel model: speed does not depend on the weights' values.
  return createModel({ kernels: 1, convWeight: Array.from({ length: 147 }, (_, i) => Math.sin(i) * 0.1), convBias: [0.05], scale: 'z-level' });
}

async function run(label: string, path: string, allCrops: boolean): Promise<void> {
  const reader = await openSlide(path);
  const engine = createComputeEngine(model1k(), availableParallelism());
  const t0 = performance.now();
  const res = await scoreSlide(reader, engine, { allCrops, chunkCrops: Number(process.env.BENCH_CHUNK ?? 16) });
  const s = (performance.now() - t0) / 1000;
  await engine.close();
  await reader.close();
  const l0 = reader.info.levels[0]!;
  const mp = (l0.width * l0.height) / 1e6;
  const t = res.timings;
  console.log(
    `${label}: ${l0.width}x${l0.height} via ${reader.info.reader}, ${res.tiles.length} crops ${allCrops ? '(every crop)' : '(tissue crops)'}: ` +
      `${s.toFixed(2)} s, ${(mp / s).toFixed(0)} MP/s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n` +
      `    split: thumbnail ${(t.thumbnailMs / 1000).toFixed(2)} s, tissue ${(t.tissueMs / 1000).toFixed(2)} s, ` +
      `read+decode ${(t.readMs / 1000).toFixed(2)} s (summed over concurrent reads), compute ${(t.computeMs / 1000).toFixed(2)} s (summed over ${engine.threads} threads), ` +
      `scheduler waiting ${(t.waitMs / 1000).toFixed(2)} s`,
  );
}

async function main(): Promise<void> {
  const path = join(tmpdir(), `focuslite-bench-slide-${SIDE}.tif`);
  if (!existsSync(path)) await buildSlide(path);
  await run(`generated ${SIDE}^2 JPEG-tiled pyramidal TIFF`, path, true);
  const cmu = join(shared, 'slides', 'cmu-1-small-region.svs');
  if (existsSync(cmu)) {
    await run('cmu-1-small-region.svs', cmu, false);
    await run('cmu-1-small-region.svs', cmu, true);
  } else {
    console.log('cmu-1-small-region.svs: ../shared not found, skipped');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
