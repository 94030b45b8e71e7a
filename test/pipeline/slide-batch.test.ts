/**
 * Batch whole-slide QC (runSlideBatch) on small generated slides: tiled pyramidal JPEG TIFFs made
 * from a real in-focus TCGA@Focus patch on glass (one with the right half of the tissue blurred),
 * a blank slide and a corrupt .svs. Scored with the official 1-kernel MSE checkpoint (z-level).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel, type FocusLiteModel } from '../../src/core/model.js';
import { applyScaleRule, scoreCrops } from '../../src/core/score.js';
import { resolveKernel } from '../../src/core/kernels/index.js';
import { openSlide } from '../../src/io/slide/index.js';
import { loadModel } from '../../src/io/weights-file.js';
import { createComputeEngine } from '../../src/runtime/compute-engine.js';
import {
  defaultThreshold, outputPaths, runSlideBatch, slideNames, summaryCsv, type SlideQcOptions, type SlideSummaryRow,
} from '../../src/pipeline/slide-batch.js';
import { scoreSlide } from '../../src/pipeline/slide-score.js';
import { MASK_LEVELS, TILES_CSV_HEADER } from '../../src/pipeline/slide-outputs.js';
import { sharedOnly, sharedPath } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-slide-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SLIDE_W = 1500, SLIDE_H = 1200;
/** Where the 1025x1025 tissue patch sits on the glass, and where its blurred right half starts. */
const TISSUE = { x: 240, y: 90, size: 1025 };
const BLUR_FROM_X = TISSUE.x + 512;
const THRESHOLD = 3;
const MIN_TISSUE = 0.5;
const THUMB = 512;

const slides = {
  sharp: join(dir, 'slides', 'sharp-with-mpp.tif'),
  half: join(dir, 'slides', 'half-blurred.tif'),
  bad: join(dir, 'slides', 'corrupt.svs'),
  blank: join(dir, 'slides', 'blank.tif'),
};
const TIFF = { tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90 } as const;

let setup: Promise<{ model: FocusLiteModel }> | null = null;
/** Built on first use, only when ../shared is there. */
function fixtures(): Promise<{ model: FocusLiteModel }> {
  setup ??= (async () => {
    mkdirSync(join(dir, 'slides'), { recursive: true });
    const patch = sharedPath('data', 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png');
    const tissue = await sharp(patch).removeAlpha().png().toBuffer();
    const blurred = await sharp(patch).removeAlpha().extract({ left: 512, top: 0, width: 513, height: 1025 }).blur(6).png().toBuffer();
    const glass = { width: SLIDE_W, height: SLIDE_H, channels: 3, background: { r: 243, g: 242, b: 245 } } as const;
    // The patch's own 0.25 µm/px (TCGA@Focus comes from 40x scans; the model's resolution too, so
    // the slide is scored as stored): 4000 px/mm, stored per centimetre as the generic TIFF's MPP.
    await sharp({ create: glass }).composite([{ input: tissue, left: TISSUE.x, top: TISSUE.y }])
      .tiff({ ...TIFF, xres: 4000, yres: 4000, resolutionUnit: 'cm' }).toFile(slides.sharp);
    await sharp({ create: glass }).composite([{ input: tissue, left: TISSUE.x, top: TISSUE.y }, { input: blurred, left: BLUR_FROM_X, top: TISSUE.y }])
      .tiff(TIFF).toFile(slides.half);
    await sharp({ create: { ...glass, background: { r: 255, g: 255, b: 255 } } }).tiff(TIFF).toFile(slides.blank);
    writeFileSync(slides.bad, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(60, 0xab)]));
    const model = await loadModel(sharedPath('reference', 'official-checkpoints', 'focuslitenn-1kernel-mse.pt'));
    return { model };
  })();
  return setup;
}

const OUT = join(dir, 'qc');
const ORDER = () => [slides.sharp, slides.bad, slides.half, slides.blank];
const opts = (extra: Partial<SlideQcOptions> = {}): SlideQcOptions => ({
  outDir: OUT, threshold: THRESHOLD, maxBlurShare: 0.1, minTissue: MIN_TISSUE, thumbnailSize: THUMB, modelLabel: 'focuslitenn-1kernel-mse.pt', ...extra,
});

async function batch(model: FocusLiteModel, files: string[], o: SlideQcOptions, threads = 2): Promise<SlideSummaryRow[]> {
  const engine = createComputeEngine(model, threads);
  try {
    return await runSlideBatch(files, model, engine, o);
  } finally {
    await engine.close();
  }
}

function parseCsv(text: string): Array<Record<string, string>> {
  // RFC 4180 fields: quoted when they hold a comma or a quote ("" inside); no field holds a newline.
  const fields = (line: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i <= line.length; i++) {
      if (line[i] === '"') {
        let v = '';
        for (i++; i < line.length; i++) {
          if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i++; } else if (line[i] === '"') break; else v += line[i];
        }
        out.push(v);
        i++; // the comma after the closing quote
      } else {
        const end = line.indexOf(',', i);
        out.push(line.slice(i, end < 0 ? line.length : end));
        i = end < 0 ? line.length : end;
      }
    }
    return out;
  };
  const [head, ...lines] = text.trimEnd().split('\n');
  const keys = fields(head!);
  return lines.map((l) => {
    const parts = fields(l);
    const rec: Record<string, string> = {};
    keys.forEach((k, i) => (rec[k] = parts[i] ?? ''));
    return rec;
  });
}

interface Tile { x: number; y: number; w: number; h: number; score: number; tissue: number }
const readTiles = (name: string): Tile[] =>
  parseCsv(readFileSync(outputPaths(OUT, name).tilesCsv, 'utf8')).map((r) => ({
    x: Number(r.x), y: Number(r.y), w: Number(r.w), h: Number(r.h), score: Number(r.score), tissue: Number(r.tissue_fraction),
  }));
const readFocus = (name: string) => JSON.parse(readFileSync(outputPaths(OUT, name).focusJson, 'utf8'));

/** Fraction of a rectangle covered by the tissue patch (the ground truth of the tissue mask). */
function trueTissue(t: Tile): number {
  const ox = Math.max(0, Math.min(t.x + t.w, TISSUE.x + TISSUE.size) - Math.max(t.x, TISSUE.x));
  const oy = Math.max(0, Math.min(t.y + t.h, TISSUE.y + TISSUE.size) - Math.max(t.y, TISSUE.y));
  return (ox * oy) / (t.w * t.h);
}

let firstRun: SlideSummaryRow[] = [];

test('first run: every good slide gets its 5 outputs; the corrupt one is reported and does not stop the others', sharedOnly(), async () => {
  const { model } = await fixtures();
  firstRun = await batch(model, ORDER(), opts());
  assert.deepEqual(firstRun.map((r) => [r.name, r.status]), [
    ['sharp-with-mpp', 'ok'], ['corrupt', 'error'], ['half-blurred', 'ok'], ['blank', 'ok'],
  ]);
  for (const name of ['sharp-with-mpp', 'half-blurred', 'blank']) {
    for (const [kind, path] of Object.entries(outputPaths(OUT, name))) assert.ok(existsSync(path), `${name}: ${kind} missing`);
  }
  for (const path of Object.values(outputPaths(OUT, 'corrupt'))) assert.ok(!existsSync(path), `no output for the corrupt slide: ${path}`);
  assert.ok(!readdirSync(OUT).some((f) => f.includes('.tmp')), 'no temporary files left behind');

  const bad = firstRun[1]!;
  assert.ok(bad.error.startsWith(`${slides.bad}: `), bad.error);
  assert.equal(bad.error.split('\n').length, 1);
  const errors = readFileSync(join(OUT, 'errors.txt'), 'utf8').trimEnd().split('\n');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^\d{4}-\d\d-\d\dT[^\t]+\t/);
  assert.equal(errors[0]!.split('\t')[1], bad.error);

  const summary = parseCsv(readFileSync(join(OUT, 'summary.csv'), 'utf8'));
  assert.equal(readFileSync(join(OUT, 'summary.csv'), 'utf8').split('\n')[0], 'slide,name,status,crops,tissue_mm2,mean,median,p90,blur_share,qc,seconds,error,warning,threshold,max_blur_share,scored_at');
  // One row per slide of the folder, in slide path order.
  assert.deepEqual(summary.map((r) => [r.slide, r.status, r.qc, r.threshold, r.max_blur_share]), [
    [slides.blank, 'ok', 'no tissue found', '3', '0.1'], [slides.bad, 'error', '', '', ''], [slides.half, 'ok', 'fail', '3', '0.1'], [slides.sharp, 'ok', 'pass', '3', '0.1'],
  ]);
  assert.equal(summary[1]!.error, bad.error);
  assert.equal(Number(summary[3]!.crops), firstRun[0]!.crops);
  assert.equal(summary[3]!.scored_at, readFocus('sharp-with-mpp').scoredAt);
  assert.ok(!readdirSync(OUT).some((f) => f.endsWith('.lock')), 'no lock left behind');
});

test('focus.json fields are present and consistent with tiles.csv and the GeoJSON', sharedOnly(), async () => {
  await fixtures();
  for (const name of ['sharp-with-mpp', 'half-blurred']) {
    const doc = readFocus(name);
    const tiles = readTiles(name);
    assert.equal(doc.format, 'focuslite-slide-focus');
    assert.equal(doc.name, name);
    assert.equal(doc.reader, 'sharp');
    assert.equal(doc.slideFormat, 'generic-tiff');
    assert.deepEqual(doc.dimensions, { width: SLIDE_W, height: SLIDE_H });
    assert.deepEqual(doc.levels.slice(0, 3).map((l: { width: number; height: number }) => [l.width, l.height]), [[1500, 1200], [750, 600], [375, 300]]);
    assert.equal(doc.scoring.level, 0);
    assert.equal(doc.scoring.resolutionFactor, 1);
    assert.deepEqual([doc.scoring.cropSize, doc.scoring.stride, doc.scoring.minTissue, doc.scoring.gridCrops], [235, 128, MIN_TISSUE, 10 * 8]);
    assert.ok(tiles.length > 30 && tiles.length < 80, `${tiles.length} tiles`);
    assert.equal(doc.cropsScored, tiles.length);
    const geo = JSON.parse(readFileSync(outputPaths(OUT, name).geojson, 'utf8'));
    assert.equal(geo.type, 'FeatureCollection');
    assert.equal(geo.features.length, tiles.length);
    assert.equal(geo.features.filter((f: { properties: { classification: { name: string } } }) => f.properties.classification.name === 'Out of focus').length,
      tiles.filter((t) => t.score > THRESHOLD).length);
    // Score statistics describe the tiles.
    const scores = tiles.map((t) => t.score).sort((a, b) => a - b);
    assert.equal(doc.score.count, tiles.length);
    assert.ok(Math.abs(doc.score.mean - scores.reduce((a, b) => a + b, 0) / scores.length) < 1e-5);
    assert.ok(Math.abs(doc.score.min - scores[0]!) < 1e-5 && Math.abs(doc.score.max - scores[scores.length - 1]!) < 1e-5);
    assert.ok(doc.score.min <= doc.score.median && doc.score.median <= doc.score.p90 && doc.score.p90 <= doc.score.max);
    // Blur: threshold and denominator stated.
    assert.equal(doc.blur.threshold, THRESHOLD);
    assert.ok(doc.blur.denominator > 0 && doc.blur.numerator >= 0 && doc.blur.numerator <= doc.blur.denominator);
    assert.ok(Math.abs(doc.blur.shareOfTissueAbove - doc.blur.numerator / doc.blur.denominator) < 1e-12);
    assert.equal(doc.qc.maxBlurShare, 0.1);
    assert.equal(doc.qc.pass, doc.blur.shareOfTissueAbove <= 0.1);
    for (const [k, v] of Object.entries(doc.timingsMs)) assert.ok(typeof v === 'number' && Number.isFinite(v) && v >= 0, `timing ${k}`);
    assert.ok(doc.timingsMs.totalMs >= doc.timingsMs.thumbnailMs + doc.timingsMs.tissueMs);
    assert.deepEqual([doc.model.kernels, doc.model.scale, doc.model.parameters], [1, 'z-level', 148]);
    assert.equal(doc.model.file, 'focuslitenn-1kernel-mse.pt');
    assert.ok(!Number.isNaN(Date.parse(doc.createdAt)));
    assert.equal(doc.outputs.tilesCsv, outputPaths(OUT, name).tilesCsv);
    // Images: the mask (thumbnail size, single channel) with its legend below; the heat map is a
    // PNG at least the thumbnail's size. focus.json says how big the thumbnail is.
    const thumb = doc.maps.thumbnail;
    assert.equal(Math.max(thumb.width, thumb.height), THUMB);
    assert.ok(Math.abs(thumb.width / thumb.height - SLIDE_W / SLIDE_H) < 0.01);
    assert.equal(doc.maps.mask.rows, thumb.height);
    assert.equal(doc.maps.geojson, 'crops');
    const mask = await sharp(outputPaths(OUT, name).mask).metadata();
    assert.equal(mask.format, 'png');
    assert.equal(mask.channels, 1);
    assert.ok(mask.width! >= thumb.width && mask.height! > thumb.height, 'legend below the mask');
    const heat = await sharp(outputPaths(OUT, name).heatmap).metadata();
    assert.equal(heat.format, 'png');
    assert.ok(heat.width! >= thumb.width && heat.height! > thumb.height);
  }
  // MPP: read from the TIFF resolution tags; tissue area = the 1025 x 1025 patch at 0.25 µm/px.
  const withMpp = readFocus('sharp-with-mpp');
  assert.ok(Math.abs(withMpp.mpp.x - 0.25) < 1e-9 && Math.abs(withMpp.mpp.y - 0.25) < 1e-9);
  // Scored at the model's own resolution (the imported checkpoint's 0.25 µm/px): as stored.
  assert.deepEqual([withMpp.scoring.mpp, withMpp.scoring.targetMpp, withMpp.scoring.mppSource, withMpp.scoring.modelMpp, withMpp.scoring.resampling, withMpp.scoring.warning],
    [0.25, 0.25, 'model', 0.25, 'none', null]);
  const patchMm2 = (1025 * 0.25e-3) ** 2;
  assert.ok(Math.abs(withMpp.tissue.areaMm2 - patchMm2) / patchMm2 < 0.05, `tissue ${withMpp.tissue.areaMm2} mm² vs ${patchMm2}`);
  assert.ok(withMpp.blur.denominator_mm2 > 0);
  const noMpp = readFocus('half-blurred');
  assert.equal(noMpp.mpp, null);
  assert.equal(noMpp.tissue.areaMm2, null);
  assert.match(noMpp.tissue.note, /no MPP/);
  // Without MPP the slide cannot be brought to the model's resolution: level 0 as stored, and
  // focus.json and the summary say so.
  assert.deepEqual([noMpp.scoring.level, noMpp.scoring.resolutionFactor, noMpp.scoring.mpp, noMpp.scoring.targetMpp, noMpp.scoring.resampling], [0, 1, null, 0.25, 'none']);
  assert.match(noMpp.scoring.warning, /^the slide records no MPP: scored at level 0 as stored, not resampled to the model's 0\.25 µm\/px/);
  assert.ok(noMpp.warnings.includes(noMpp.scoring.warning));
  const summary = parseCsv(readFileSync(join(OUT, 'summary.csv'), 'utf8'));
  assert.equal(summary.find((r) => r.name === 'half-blurred')!.warning, noMpp.scoring.warning);
  assert.equal(summary.find((r) => r.name === 'sharp-with-mpp')!.warning, '');
});

test('tiles lie inside the slide, on the stride-128 grid, and on tissue (tissue >= minTissue)', sharedOnly(), async () => {
  await fixtures();
  for (const name of ['sharp-with-mpp', 'half-blurred']) {
    const tiles = readTiles(name);
    for (const t of tiles) {
      assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.w <= SLIDE_W && t.y + t.h <= SLIDE_H, `tile ${t.x},${t.y} outside the slide`);
      assert.deepEqual([t.x % 128, t.y % 128, t.w, t.h], [0, 0, 235, 235]);
      assert.ok(t.tissue >= MIN_TISSUE && t.tissue <= 1);
      // The mask's fraction agrees with the true tissue rectangle (thumbnail resolution: a few %).
      assert.ok(Math.abs(t.tissue - trueTissue(t)) < 0.05, `tile ${t.x},${t.y}: tissue ${t.tissue} vs true ${trueTissue(t)}`);
    }
    // Every grid crop that is clearly on tissue was scored; none clearly off tissue was.
    const scored = new Set(tiles.map((t) => `${t.x},${t.y}`));
    for (let y = 0; y + 235 <= SLIDE_H; y += 128) {
      for (let x = 0; x + 235 <= SLIDE_W; x += 128) {
        const truth = trueTissue({ x, y, w: 235, h: 235, score: 0, tissue: 0 });
        if (truth > MIN_TISSUE + 0.05) assert.ok(scored.has(`${x},${y}`), `crop ${x},${y} (tissue ${truth.toFixed(2)}) not scored`);
        if (truth < MIN_TISSUE - 0.05) assert.ok(!scored.has(`${x},${y}`), `crop ${x},${y} (tissue ${truth.toFixed(2)}) scored`);
      }
    }
  }
});

test('the blurred half scores higher: above the threshold there, below it on the sharp side; the slide fails QC', sharedOnly(), async () => {
  await fixtures();
  const tiles = readTiles('half-blurred');
  // Tiles wholly inside the tissue (a tile over the glass edge sees that sharp edge, blurred side or not).
  const inside = tiles.filter((t) => trueTissue(t) === 1);
  const blurred = inside.filter((t) => t.x >= BLUR_FROM_X);
  const sharpSide = inside.filter((t) => t.x + t.w <= BLUR_FROM_X);
  assert.ok(blurred.length >= 10 && sharpSide.length >= 10);
  const minBlurred = Math.min(...blurred.map((t) => t.score));
  const maxSharp = Math.max(...sharpSide.map((t) => t.score));
  assert.ok(minBlurred > THRESHOLD, `blurred tiles from ${minBlurred}`);
  assert.ok(maxSharp < THRESHOLD, `sharp tiles up to ${maxSharp}`);
  const mean = (ts: Tile[]) => ts.reduce((s, t) => s + t.score, 0) / ts.length;
  assert.ok(mean(blurred) - mean(sharpSide) > 3, `${mean(blurred)} vs ${mean(sharpSide)}`);
  const doc = readFocus('half-blurred');
  // About half the scored tissue is blurred (tiles straddling the edge go either way).
  assert.ok(doc.blur.shareOfTissueAbove > 0.25 && doc.blur.shareOfTissueAbove < 0.6, `blur share ${doc.blur.shareOfTissueAbove}`);
  assert.equal(doc.qc.pass, false);
  // Same tissue unblurred: nothing out of focus, passes.
  const ok = readFocus('sharp-with-mpp');
  assert.equal(ok.blur.shareOfTissueAbove, 0);
  assert.equal(ok.qc.pass, true);
  assert.ok(ok.score.max < THRESHOLD);
  // The mask marks the blurred side (right of the blur edge, on tissue) white, the sharp side's
  // tissue dark grey, glass black.
  const { data, info } = await sharp(outputPaths(OUT, 'half-blurred').mask).raw().toBuffer({ resolveWithObject: true });
  const s = doc.maps.thumbnail.width / SLIDE_W;
  const at = (x: number, y: number) => data[(Math.floor(y * s) * info.width + Math.floor(x * s)) * info.channels];
  assert.equal(at(1000, 500), MASK_LEVELS.outOfFocus);
  assert.equal(at(400, 500), MASK_LEVELS.inFocus);
  assert.equal(at(1400, 500), MASK_LEVELS.background, 'glass is never marked');
});

test('a blank (white) slide: 0 crops, no blur share, verdict "no tissue found", empty tiles and GeoJSON', sharedOnly(), async () => {
  await fixtures();
  const doc = readFocus('blank');
  assert.equal(doc.cropsScored, 0);
  assert.deepEqual([doc.verdict, doc.qc.verdict], ['no-tissue', 'no tissue found']);
  assert.equal(doc.score, null);
  assert.equal(doc.blur.shareOfTissueAbove, null);
  assert.equal(doc.blur.numerator, 0);
  assert.equal(doc.qc.pass, null);
  assert.ok(doc.tissue.fractionOfSlide < 0.01);
  assert.equal(readFileSync(outputPaths(OUT, 'blank').tilesCsv, 'utf8'), TILES_CSV_HEADER + '\n');
  assert.equal(JSON.parse(readFileSync(outputPaths(OUT, 'blank').geojson, 'utf8')).features.length, 0);
  const { width, height } = doc.maps.thumbnail;
  const mask = await sharp(outputPaths(OUT, 'blank').mask).extract({ left: 0, top: 0, width, height }).raw().toBuffer();
  assert.ok(mask.every((v) => v === MASK_LEVELS.background));
  const row = firstRun.find((r) => r.name === 'blank')!;
  assert.deepEqual([row.crops, row.blurShare, row.pass, row.mean, row.verdict], [0, null, null, null, 'no tissue found']);
});

test('second run skips slides whose focus.json exists (outputs untouched) and retries the failed one; --force redoes them', sharedOnly(), async () => {
  const { model } = await fixtures();
  const names = ['sharp-with-mpp', 'half-blurred', 'blank'];
  const snapshot = () => names.flatMap((n) => Object.values(outputPaths(OUT, n)).map((p) => {
    const st = statSync(p);
    return { p, mtimeMs: st.mtimeMs, ino: st.ino, bytes: readFileSync(p).toString('base64') };
  }));
  const before = snapshot();
  const rows = await batch(model, ORDER(), opts(), 1);
  assert.deepEqual(rows.map((r) => r.status), ['skipped', 'error', 'skipped', 'skipped']);
  assert.deepEqual(snapshot(), before, 'skipped slides keep their outputs byte for byte, same mtimes');
  // Skipped rows carry the stored results.
  for (const i of [0, 2, 3]) {
    assert.deepEqual([rows[i]!.crops, rows[i]!.mean, rows[i]!.blurShare, rows[i]!.pass], [firstRun[i]!.crops, firstRun[i]!.mean, firstRun[i]!.blurShare, firstRun[i]!.pass]);
    assert.equal(rows[i]!.seconds, null);
  }
  assert.equal(readFileSync(join(OUT, 'errors.txt'), 'utf8').trimEnd().split('\n').length, 2, 'the failure is appended again');
  const summary = parseCsv(readFileSync(join(OUT, 'summary.csv'), 'utf8'));
  assert.deepEqual(summary.map((r) => [r.status, r.qc]), [['ok', 'no tissue found'], ['error', ''], ['ok', 'fail'], ['ok', 'pass']]);

  // A damaged output of a completed slide is only rewritten with force.
  writeFileSync(outputPaths(OUT, 'half-blurred').tilesCsv, 'damaged\n');
  const forced = await batch(model, [slides.half], opts({ force: true }), 1);
  assert.equal(forced[0]!.status, 'ok');
  assert.equal(readTiles('half-blurred').length, firstRun[2]!.crops);
  assert.notEqual(statSync(outputPaths(OUT, 'half-blurred').focusJson).ino, before.find((b) => b.p === outputPaths(OUT, 'half-blurred').focusJson)!.ino);
  // Same scores as the first run (2 threads then, 1 thread now).
  assert.ok(Math.abs(forced[0]!.mean! - firstRun[2]!.mean!) < 1e-9);
  assert.ok(Math.abs(forced[0]!.blurShare! - firstRun[2]!.blurShare!) < 1e-12);
  // summary.csv still describes every slide of the folder, not only this run's one.
  const after = parseCsv(readFileSync(join(OUT, 'summary.csv'), 'utf8'));
  assert.deepEqual(after.map((r) => r.slide), [slides.blank, slides.bad, slides.half, slides.sharp]);
  assert.equal(after[2]!.scored_at, readFocus('half-blurred').scoredAt);
});

test('scoreSlide at --mpp 0.5 on a 0.25 µm/px slide: factor 2, read from level 1, level-0 tiles twice the crop', sharedOnly(), async () => {
  const { model } = await fixtures();
  const engine = createComputeEngine(model, 1);
  const reader = await openSlide(slides.sharp);
  try {
    const r = await scoreSlide(reader, engine, { mpp: 0.5, modelMpp: model.mpp, thumbnailSize: THUMB });
    assert.equal(r.grid.factor, 2);
    assert.deepEqual([r.resolution.source, r.resolution.targetMpp, r.resolution.mpp], ['option', 0.5, 0.5]);
    assert.deepEqual([r.grid.width, r.grid.height], [750, 600]);
    assert.equal(r.level, 1);
    assert.ok(r.tiles.length > 0 && r.tiles.length <= 15);
    for (const t of r.tiles) {
      assert.deepEqual([t.w, t.h, t.x % 256, t.y % 256], [470, 470, 0, 0]);
      assert.ok(t.x + t.w <= SLIDE_W && t.y + t.h <= SLIDE_H);
    }
    // Each tile's score is the model on the level-1 pixels of its crop.
    const t = r.tiles[0]!;
    const region = await reader.readRegion(1, t.x / 2, t.y / 2, 235, 235);
    const direct = applyScaleRule(model.scale, scoreCrops(model, resolveKernel(), region, [0], [0], 235)[0]!);
    assert.ok(Math.abs(direct - t.score) < 1e-6, `${direct} vs ${t.score}`);
    // A non-integer factor resamples level 0 (area average).
    const r15 = await scoreSlide(reader, engine, { mpp: 0.375, thumbnailSize: THUMB });
    assert.equal(r15.grid.factor, 1.5);
    assert.equal(r15.level, 0);
    assert.ok(r15.tiles.length > 0 && r15.tiles.every((x) => x.w === 353 && x.x + x.w <= SLIDE_W));
    // Finer than the slide: level 0 enlarged (Lanczos-3); a level-0 tile is half a crop.
    const r05 = await scoreSlide(reader, engine, { mpp: 0.125, thumbnailSize: THUMB });
    assert.deepEqual([r05.grid.factor, r05.level, r05.grid.width, r05.grid.height], [0.5, 0, 3000, 2400]);
    assert.ok(r05.tiles.length > 4 * r.tiles.length);
    for (const x of r05.tiles) assert.deepEqual([x.w, x.h, x.x % 64, x.y % 64], [118, 118, 0, 0]);
    // More than 4x enlarging is refused.
    await assert.rejects(scoreSlide(reader, engine, { mpp: 0.05 }), { message: `${slides.sharp}: the slide's 0.2500 µm/px is more than 4x coarser than --mpp 0.05 µm/px; it cannot be scored at that resolution` });
  } finally {
    await reader.close();
    await engine.close();
  }
  // A slide without MPP and --mpp: scored at level 0 with the warning (not an error).
  const rows = await batch(model, [slides.half], opts({ outDir: join(dir, 'qc-mpp'), mpp: 1 }), 1);
  assert.equal(rows[0]!.status, 'ok');
  assert.match(rows[0]!.warning, /^the slide records no MPP: scored at level 0 as stored, not resampled to --mpp 1;/);
});

test('defaultThreshold, slideNames and summaryCsv', () => {
  const weights = { convWeight: new Array(147).fill(0), convBias: [0] };
  assert.equal(defaultThreshold(createModel({ kernels: 1, scale: 'z-level', ...weights })), 3);
  assert.equal(defaultThreshold(createModel({ kernels: 1, scale: 'relative', ...weights })), null);
  // A threshold the model carries (derived from data) wins, for either scale.
  const carried = { value: 1.7, method: 'held-out tiles' };
  assert.equal(defaultThreshold(createModel({ kernels: 1, scale: 'z-level', threshold: carried, ...weights })), 1.7);
  assert.equal(defaultThreshold(createModel({ kernels: 1, scale: 'relative', threshold: carried, ...weights })), 1.7);

  assert.deepEqual(slideNames(['/a/s1.svs', '/b/s1.tif', '/c/s2.ndpi', '/d/s1.svs']), ['s1', 's1-2', 's2', 's1-3']);

  const row = (o: Partial<SlideSummaryRow>): SlideSummaryRow => ({
    slide: 's.svs', name: 's', status: 'ok', crops: 3, tissueMm2: null, mean: 1.23456789, median: 1, p90: 2, blurShare: 0.5, pass: false,
    threshold: 3, maxBlurShare: 0.1, seconds: 1.5, scoredAt: '2026-12-02T00:00:00.000Z', error: '', warning: '', ...o,
  });
  const csv = summaryCsv([row({}), row({ pass: true, warning: 'no MPP, level 0' }), row({ status: 'error', pass: null, mean: null, error: 'x.svs: bad, "really"' })]);
  assert.deepEqual(csv.trimEnd().split('\n'), [
    'slide,name,status,crops,tissue_mm2,mean,median,p90,blur_share,qc,seconds,error,warning,threshold,max_blur_share,scored_at',
    's.svs,s,ok,3,,1.234568,1,2,0.5,fail,1.5,,,3,0.1,2026-12-02T00:00:00.000Z',
    's.svs,s,ok,3,,1.234568,1,2,0.5,pass,1.5,,"no MPP, level 0",3,0.1,2026-12-02T00:00:00.000Z',
    's.svs,s,error,3,,,1,2,0.5,,1.5,"x.svs: bad, ""really""",,3,0.1,2026-12-02T00:00:00.000Z',
  ]);
});
