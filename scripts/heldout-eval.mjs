#!/usr/bin/env node
/**
 * Held-out evaluation of focus models per blur family, with bootstrap confidence intervals
 * (used by `npm run train:defaults`; runnable alone after `npm run build`):
 *
 *   node scripts/heldout-eval.mjs --tiles <dir> --mpp 0.5 -m name=path[@mpp] ... [--out report.json] [--threshold-into name]
 *
 * Every held-out tile (in-focus tissue from slides never used in training, at --mpp µm/px) is
 * blurred by four blur families in physical units, 8 levels each, with sensor noise (sigma 2)
 * and a JPEG round trip at quality 75:
 *   gaussian  sigma 0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3 µm
 *   defocus   scalar-diffraction defocus (NA 0.75, 600/540/460 nm per channel) dz 0, 0.5, 1, 1.5, 2, 3, 4, 5 µm
 *   annular   geometric ring PSF (inner radius half the outer) of outer radius 0, 0.25, 0.5, 1, 1.5, 2, 3, 4 µm
 *   motion    linear motion of 0, 0.5, 1, 2, 3, 4, 5, 6 µm at a seeded direction per tile
 * Each model scores each image at its own resolution (the image resampled from --mpp to the
 * model's mpp: area-averaged down, Lanczos-3 up, as `score --mpp` does; models without an mpp
 * score the image as it is). Per family the table gives the pooled SRCC (all tiles' images
 * together against the blur level) and a 95 % percentile bootstrap interval (2,000 resamples of
 * the tiles). "vol" is the variance of the Laplacian (negated, so higher = blurrier).
 * Also: the two real TCGA@Focus patches (../shared/data/tcga-focus, 0.25 µm/px) at their native
 * resolution and area-averaged 2x (0.5 µm/px).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../dist/src/io/decode.js';
import { jpegRoundTrip } from '../dist/src/io/encode.js';
import { loadModel } from '../dist/src/io/weights-file.js';
import { resolveKernel } from '../dist/src/core/kernels/index.js';
import { scoreRgbImage } from '../dist/src/core/score.js';
import { resampleToMpp } from '../dist/src/core/resample.js';
import { groupBootstrap, separatingThreshold } from '../dist/src/eval/bootstrap.js';
import { Mulberry32, deriveSeed } from '../dist/src/core/random.js';
import { laplacianVarianceMeasure } from '../dist/src/core/measures/laplacian-variance.js';
import { addSensorNoise, reflectIndex } from '../dist/src/synth/defocus.js';
import { convolveChannels } from '../dist/src/synth/convolve.js';
import { DEFAULT_OPTICS, diffractionKernels, gaussianKernel, motionKernel, ringKernel } from '../dist/src/synth/optics.js';

export const FAMILIES = {
  gaussian: [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3],
  defocus: [0, 0.5, 1, 1.5, 2, 3, 4, 5],
  annular: [0, 0.25, 0.5, 1, 1.5, 2, 3, 4],
  motion: [0, 0.5, 1, 2, 3, 4, 5, 6],
};
export const EVAL_SIDE = 512;
export const JPEG_QUALITY = 75;
const BOOTSTRAP = 2000;

function familyKernels(family, level, mpp, angle) {
  const same = (k) => [k, k, k];
  if (family === 'gaussian') return same(gaussianKernel(level / mpp));
  if (family === 'defocus') return diffractionKernels(level, mpp, DEFAULT_OPTICS);
  if (family === 'annular') return same(ringKernel(level / mpp, 0.5));
  return same(motionKernel(level / mpp, angle, 'linear'));
}

/** The centre square of a tile (mirrored up to EVAL_SIDE when smaller). */
function centreSquare(img) {
  const side = Math.min(EVAL_SIDE, img.width, img.height);
  const x0 = Math.floor((img.width - side) / 2), y0 = Math.floor((img.height - side) / 2);
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    const s = (reflectIndex(y0 + y, img.height) * img.width + reflectIndex(x0 + x, img.width)) * 3;
    out.set(img.data.subarray(s, s + 3), (y * side + x) * 3);
  }
  return { width: side, height: side, data: out };
}

/** Render the held-out blur series: [{ tile, family, level, image }]. */
export async function renderSeries(tilePaths, mpp, seed = 7) {
  const series = [];
  for (const path of tilePaths) {
    const base = centreSquare(await decodeImage(path));
    const tile = path.split('/').pop();
    const angle = Math.PI * new Mulberry32(deriveSeed(seed, 'angle', tile)).uniform();
    for (const [family, levels] of Object.entries(FAMILIES)) {
      for (const level of levels) {
        let img = level === 0 ? base : convolveChannels(base, familyKernels(family, level, mpp, angle));
        img = addSensorNoise(img, 2, deriveSeed(seed, 'noise', tile, family, level));
        img = await jpegRoundTrip(img, JPEG_QUALITY);
        series.push({ tile, family, level, image: img });
      }
    }
  }
  return series;
}

/** A scorer: image at `imageMpp` -> score (higher = blurrier). */
export async function makeScorer(spec) {
  if (spec.path === 'vol') return { name: spec.name, mpp: null, score: (img) => laplacianVarianceMeasure.scoreImage(img) };
  const model = await loadModel(spec.path);
  const mpp = spec.mpp ?? model.mpp ?? null;
  const kernel = resolveKernel();
  return {
    name: spec.name,
    mpp,
    model,
    score: (img, imageMpp) => {
      const at = mpp === null || imageMpp === null ? img : resampleToMpp(img, imageMpp, mpp);
      return scoreRgbImage(model, kernel, at).score;
    },
  };
}

/** Pooled SRCC and a 95 % percentile bootstrap CI over tiles (src/eval/bootstrap.ts). */
export function srccWithCi(rows, seed = 11) {
  const r = groupBootstrap(rows.map((x) => ({ group: x.tile, score: x.score, target: x.level })), undefined, { resamples: BOOTSTRAP, seed });
  return { srcc: r.value, lo: r.lo, hi: r.hi, tiles: r.groups };
}

/** Score the series with every scorer; returns per-family SRCC with CIs and the raw scores. */
export function evaluateSeries(series, scorers, mpp) {
  const scores = {};
  for (const s of scorers) scores[s.name] = series.map((e) => ({ tile: e.tile, family: e.family, level: e.level, score: s.score(e.image, mpp) }));
  const table = {};
  for (const s of scorers) {
    table[s.name] = {};
    for (const family of Object.keys(FAMILIES)) table[s.name][family] = srccWithCi(scores[s.name].filter((r) => r.family === family));
  }
  return { table, scores };
}

/** The TCGA@Focus pair at 0.25 µm/px and area-averaged to 0.5 µm/px. */
export async function scoreTcgaPair(scorers, dir) {
  const files = { in: 'in-focus_patch_i_32381_j_37784.png', out: 'out-of-focus_patch_i_9651_j_81514.png' };
  const res = {};
  for (const [label, file] of Object.entries(files)) {
    const native = await decodeImage(join(dir, file));
    const half = resampleToMpp(native, 0.25, 0.5);
    for (const s of scorers) {
      res[s.name] ??= {};
      res[s.name][`${label}@0.25`] = s.score(native, 0.25);
      res[s.name][`${label}@0.5`] = s.score(half, 0.5);
    }
  }
  return res;
}

/**
 * A threshold from held-out data: in focus = defocus family dz <= 0.5 µm (within half the
 * depth of field λ/NA² ≈ 1 µm), clearly defocused = dz >= 2 µm. The midpoint of the gap when the
 * two separate, else the value with the fewest errors; the rates at it are returned.
 */
export function deriveThreshold(rows) {
  const sharp = rows.filter((r) => r.family === 'defocus' && r.level <= 0.5).map((r) => r.score);
  const blurry = rows.filter((r) => r.family === 'defocus' && r.level >= 2).map((r) => r.score);
  const t = separatingThreshold(sharp, blurry);
  const r4 = (v) => Math.round(v * 1e4) / 1e4;
  return {
    value: r4(t.value),
    method: 'held-out defocus series (NA 0.75, noise 2, JPEG 75): midpoint between the highest in-focus (dz <= 0.5 µm) and the lowest clearly defocused (dz >= 2 µm) image score when they separate, else the least balanced error',
    inFocusAbove: `${t.negativesAbove} of ${t.negatives}`,
    defocusedBelow: `${t.positivesBelow} of ${t.positives}`,
    maxInFocus: r4(Math.max(...sharp)),
    minDefocused: r4(Math.min(...blurry)),
  };
}

export function markdownTable(table, tcga, order) {
  const fams = Object.keys(FAMILIES);
  const f3 = (v) => v.toFixed(3);
  const lines = [`| method | ${fams.join(' | ')} | TCGA in / out @0.25 | TCGA in / out @0.5 |`, `| --- | ${fams.map(() => '---:').join(' | ')} | ---: | ---: |`];
  for (const name of order) {
    const t = table[name];
    const c = tcga[name];
    lines.push(`| ${name} | ${fams.map((f) => `${f3(t[f].srcc)} [${f3(t[f].lo)}, ${f3(t[f].hi)}]`).join(' | ')} | ${c['in@0.25'].toFixed(2)} / ${c['out@0.25'].toFixed(2)} | ${c['in@0.5'].toFixed(2)} / ${c['out@0.5'].toFixed(2)} |`);
  }
  return lines.join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const get = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const tilesDir = get('--tiles');
  const mpp = Number(get('--mpp') ?? 0.5);
  const specs = [];
  for (let i = 0; i < args.length; i++) if (args[i] === '-m') {
    const [name, rest] = args[i + 1].split('=');
    const [path, m] = rest.split('@');
    specs.push({ name, path, mpp: m ? Number(m) : undefined });
  }
  const tiles = readdirSync(tilesDir).filter((f) => f.endsWith('.png')).sort().map((f) => join(tilesDir, f));
  const t0 = performance.now();
  const series = await renderSeries(tiles, mpp);
  console.error(`rendered ${series.length} images from ${tiles.length} tiles in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const scorers = [];
  for (const s of specs) scorers.push(await makeScorer(s));
  const { table, scores } = evaluateSeries(series, scorers, mpp);
  const tcga = await scoreTcgaPair(scorers, get('--tcga') ?? join(process.cwd(), '..', 'shared', 'data', 'tcga-focus'));
  console.log(markdownTable(table, tcga, scorers.map((s) => s.name)));
  for (const s of scorers) if (s.model?.scale === 'z-level') console.log(s.name, 'threshold', JSON.stringify(deriveThreshold(scores[s.name])));
  // --threshold-into name: store the derived threshold in that -m model's weights file
  const into = get('--threshold-into');
  if (into) {
    const spec = specs.find((x) => x.name === into);
    const scorer = scorers.find((x) => x.name === into);
    if (!spec || scorer?.model?.scale !== 'z-level') throw new Error(`--threshold-into ${into}: no z-level model of that name among -m`);
    const { modelFromJson, serializeModel } = await import('../dist/src/core/weights.js');
    const fs = await import('node:fs');
    const doc = JSON.parse(fs.readFileSync(spec.path, 'utf8'));
    doc.threshold = { ...deriveThreshold(scores[into]), heldOutTiles: tiles.map((t) => t.split('/').pop()) };
    fs.writeFileSync(spec.path, serializeModel(modelFromJson(doc, spec.path)));
    console.log(`${spec.path}: threshold ${doc.threshold.value}`);
  }
  const out = get('--out');
  if (out) (await import('node:fs')).writeFileSync(out, JSON.stringify({ table, tcga, scores }, null, 1));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
