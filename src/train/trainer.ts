/**
 * FocusLiteNN training loop, as the original FocusLiteNN code trains: each step takes ONE random
 * crop (cropSize, default 235) per image of a shuffled batch, Adam, StepLR; losses -PLCC, MSE or
 * MAE against the target (|z-level| for FocusPath).
 *
 * Pipeline: every image is decoded once into a pixel cache (pixel-cache.ts); crops are cut and
 * pooled on worker threads (engine.ts); gradients are analytic (model-grad.ts). All random draws
 * (init, shuffles, crop origins) come from one seeded RNG in this thread, in a fixed order, so
 * the same seed gives identical weights whatever the thread count, and a checkpoint (which stores
 * the RNG state) continues a run exactly.
 *
 * Validation, after every epoch: each validation image is scored on a fixed set of crops (the
 * centre crop by default, or a valCrops x valCrops grid spread evenly over the image), whose
 * pixels are cached once; the image score is their mean (clamped at 0 for z-level models, as
 * at inference). That is much cheaper than the dense 128-px grid used for reporting (49 crops
 * for 1024 px) and ranks images nearly alike; run `focuslite eval` on the result for the
 * published protocol. The model with the best validation SRCC is saved (the last one when there
 * is no validation set).
 *
 * Output (all written atomically): <out>/model.json (focuslite weights, with provenance; rewritten
 * every epoch with provenance.training = epochs completed / planned and whether the run finished),
 * <out>/log.csv (epoch, lr, train_loss, val_srcc, val_plcc, seconds), <out>/checkpoint.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { csvRow, precise } from '../core/csv.js';
import { cropImage, type RgbImage } from '../core/image.js';
import type { FocusLiteModel, ScoreScale } from '../core/model.js';
import { applyScaleRuleAll } from '../core/score.js';
import { serializeModel } from '../core/weights.js';
import { pearson, spearman } from '../core/stats.js';
import { Adam, stepLr } from './adam.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import { namedFsError } from '../io/fs-errors.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, readCheckpoint, writeCheckpoint, type BestState, type Checkpoint, type LogRow, type TrainConfig } from './checkpoint.js';
import { createEngine, type CropEngine } from './engine.js';
import { LOSS_NAMES, lossFunction } from './losses.js';
import { backward, convWeightsOf, cropScores, initParams, paramLayout, paramsFromModel, paramsToModel, type ParamLayout } from './model-grad.js';
import { buildPixelCache, type CacheTransform, type PixelCache } from './pixel-cache.js';
import { Rng } from '../core/random.js';
import { DEFAULT_CONFIG } from './config.js';
import { integer, oneOf } from '../core/check.js';

export { DEFAULT_CONFIG } from './config.js';

export type { LogRow, TrainConfig } from './checkpoint.js';

export interface TrainItem {
  /** image file */
  path: string;
  /** regression target (|z-level| for FocusPath) */
  target: number;
  group?: string | undefined;
}

export interface TrainEvents {
  /** decoding images into the pixel cache */
  onCacheProgress?(what: 'train' | 'val', done: number, total: number): void;
  onCacheReady?(what: 'train' | 'val', info: { kind: 'memory' | 'disk'; bytes: number; reused: boolean; seconds: number }): void;
  onEpochStart?(epoch: number, steps: number, lr: number): void;
  /** after each optimiser step; `loss` is the running mean over the epoch so far */
  onStep?(step: number, steps: number, loss: number): void;
  onEpochEnd?(row: LogRow, improved: boolean): void;
}

export interface TrainOptions {
  config?: Partial<TrainConfig>;
  train: readonly TrainItem[];
  val?: readonly TrainItem[];
  outDir: string;
  /** worker threads for crop cutting + forward passes (1 = in this thread) */
  threads?: number;
  /** conv kernel backend name (default: best available) */
  kernel?: string;
  /** write checkpoint.json every k epochs (and after the last) */
  checkpointEvery?: number;
  /** checkpoint file to continue from; its config wins over `config` except `epochs` */
  resume?: string;
  /**
   * weights to start from instead of the seeded random initialisation (fine-tuning): a model of the
   * same kernels and pooling; `label` and `sha256` name it in the provenance
   */
  init?: { model: FocusLiteModel; label: string; sha256: string };
  /** memory budget for the decoded training pixels; beyond it they go to a disk cache */
  cacheMemBytes?: number;
  /** disk cache folder (default <outDir>/pixel-cache) */
  cacheDir?: string;
  /** keep the disk cache after a successful run (it is always kept after a failure, for --resume) */
  keepCache?: boolean;
  /** recorded in the model's provenance */
  command?: string;
  /** extra provenance about the data (e.g. list file name and its sha256) */
  manifest?: Record<string, unknown>;
  events?: TrainEvents;
}

export interface TrainResult {
  modelPath: string;
  logPath: string;
  checkpointPath: string;
  log: LogRow[];
  best: { epoch: number; srcc: number | null; plcc: number | null };
  params: Float64Array;
  kernel: string;
}

/** The parameters of `init` as the starting point of a run; its architecture must be the run's. */
export function initialWeights(init: { model: FocusLiteModel; label: string }, c: Pick<TrainConfig, 'kernels' | 'pooling'>): Float64Array {
  const m = init.model;
  if (m.kernels !== c.kernels || m.pooling !== c.pooling) {
    throw new Error(`${init.label}: cannot start from a ${m.kernels}-kernel ${m.pooling}-pooling model for a ${c.kernels}-kernel ${c.pooling}-pooling run (--kernels and --pooling must match it)`);
  }
  return paramsFromModel(m);
}

export function validateConfig(c: TrainConfig): void {
  integer('kernels', c.kernels, 1, 1024);
  oneOf('pooling', c.pooling, ['min', 'min-max'] as const);
  oneOf('loss', c.loss, LOSS_NAMES);
  integer('epochs', c.epochs, 1, 100000);
  integer('batch', c.batchSize, 1, 100000);
  if (!(c.lr > 0 && c.lr <= 10)) throw new Error(`Expected number in (0, 10] for lr but received ${c.lr}`);
  integer('step', c.stepSize, 1, 100000);
  if (!(c.gamma > 0 && c.gamma <= 1)) throw new Error(`Expected number in (0, 1] for gamma but received ${c.gamma}`);
  integer('seed', c.seed, 0, 0xffffffff);
  integer('crop size', c.cropSize, 7, 100000);
  integer('validation crops', c.valCrops, 1, 100);
}

/** Score scale implied by the loss: PLCC learns a ranking only, MSE/MAE regress |z|. */
export function scaleForLoss(loss: TrainConfig['loss']): ScoreScale {
  return loss === 'plcc' ? 'relative' : 'z-level';
}

/** Origins of `k` crops along an axis of length `dim`: the centre for 1, else evenly spread ends included. */
export function valOrigins(dim: number, cropSize: number, k: number): number[] {
  const span = dim - cropSize;
  if (k === 1) return [Math.floor(span / 2)];
  return Array.from({ length: k }, (_, j) => Math.round((j * span) / (k - 1)));
}

/** Validation crops of one image stacked vertically (cropSize wide, k*k crops, y outer). */
function valTransform(cropSize: number, k: number): CacheTransform {
  return {
    size: () => ({ width: cropSize, height: cropSize * k * k }),
    apply(img: RgbImage): RgbImage {
      const xs = valOrigins(img.width, cropSize, k);
      const ys = valOrigins(img.height, cropSize, k);
      const out = new Uint8Array(cropSize * cropSize * 3 * k * k);
      let o = 0;
      for (const y of ys) {
        for (const x of xs) {
          out.set(cropImage(img, x, y, cropSize, cropSize).data, o);
          o += cropSize * cropSize * 3;
        }
      }
      return { width: cropSize, height: cropSize * k * k, data: out };
    },
  };
}

/** Deepest folder holding every path (so the data hash does not depend on where the data lives). */
function commonDir(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let parts = dirname(paths[0]!).split(sep);
  for (const p of paths) {
    const q = dirname(p).split(sep);
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep);
}

/** sha256 over "relative path <TAB> target" lines of the training then the validation items. */
export function dataHash(train: readonly TrainItem[], val: readonly TrainItem[]): string {
  const root = commonDir([...train, ...val].map((i) => i.path));
  const h = createHash('sha256');
  const add = (items: readonly TrainItem[]): void => {
    for (const it of items) h.update(`${relative(root, it.path).split(sep).join('/')}\t${it.target}\n`);
  };
  add(train);
  h.update('--validation--\n');
  add(val);
  return h.digest('hex');
}

function correlation(f: (x: ArrayLike<number>, y: ArrayLike<number>) => number, x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  try {
    const r = f(x, y);
    return Number.isFinite(r) ? r : null;
  } catch {
    return null; // constant scores or targets: undefined correlation
  }
}

function checkItems(name: string, items: readonly TrainItem[]): void {
  items.forEach((it, i) => {
    if (typeof it.path !== 'string' || it.path === '') throw new Error(`${name} item ${i} has no image path`);
    if (typeof it.target !== 'number' || !Number.isFinite(it.target)) throw new Error(`${name} item ${i} (${it.path}) has a non-finite target ${String(it.target)}`);
  });
}

export function logCsv(rows: readonly LogRow[]): string {
  const lines = ['epoch,lr,train_loss,val_srcc,val_plcc,seconds'];
  for (const r of rows) {
    lines.push(csvRow([r.epoch, precise(r.lr), precise(r.trainLoss, 8), precise(r.valSrcc), precise(r.valPlcc), r.seconds.toFixed(2)]));
  }
  return lines.join('\n') + '\n';
}

/** Scores of the validation images: mean over each image's cached validation crops. */
async function validate(engine: CropEngine, layout: ParamLayout, params: Float64Array, config: TrainConfig, count: number, scale: ScoreScale): Promise<Float64Array> {
  const per = config.valCrops * config.valCrops;
  const total = count * per;
  const weights = convWeightsOf(layout, params);
  const scores = new Float64Array(count);
  // Bounded requests keep the stacked-crop buffers small.
  const chunk = Math.max(per, Math.floor(512 / per) * per);
  for (let start = 0; start < total; start += chunk) {
    const n = Math.min(chunk, total - start);
    const images = new Int32Array(n);
    const xs = new Int32Array(n);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = start + i;
      images[i] = Math.floor(c / per);
      ys[i] = (c % per) * config.cropSize;
    }
    const fwd = await engine.forward({ store: 'val', images, xs, ys, cropSize: config.cropSize, weights, pooling: config.pooling, wantPatches: false });
    const s = cropScores(layout, params, fwd);
    for (let i = 0; i < n; i++) scores[images[i]!] = scores[images[i]!]! + s[i]! / per;
  }
  return applyScaleRuleAll(scale, scores);
}

function sameConfig(a: TrainConfig, b: TrainConfig): string[] {
  const keys: Array<keyof TrainConfig> = ['kernels', 'pooling', 'loss', 'batchSize', 'lr', 'stepSize', 'gamma', 'seed', 'cropSize', 'valCrops'];
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k} (checkpoint ${String(a[k])}, requested ${String(b[k])})`);
}

/**
 * How far a run got, recorded in model.json's provenance: a model saved mid-run (best so far)
 * says `finished: false`, so an interrupted run never looks complete.
 */
export interface TrainingRecord {
  epochsCompleted: number;
  epochsPlanned: number;
  finished: boolean;
}

export function trainingRecord(epochsCompleted: number, epochsPlanned: number): TrainingRecord {
  return { epochsCompleted, epochsPlanned, finished: epochsCompleted >= epochsPlanned };
}

/** The files a run writes into its folder (the pixel cache aside). */
export const RUN_FILES = ['model.json', 'checkpoint.json', 'log.csv'] as const;

/**
 * Before a new run into `outDir`: refuse a folder that already holds a run (model.json or
 * checkpoint.json) unless resuming or forced; when forced, remove the old run's files first, so
 * that a new run interrupted early cannot leave the old model looking like its result.
 */
export function claimOutputFolder(outDir: string, mode: { resume: boolean; force: boolean }): void {
  const present = RUN_FILES.filter((f) => existsSync(join(outDir, f)));
  if (mode.resume || present.length === 0) return;
  const holdsRun = present.includes('model.json') || present.includes('checkpoint.json');
  if (!holdsRun) return;
  if (!mode.force) {
    const resume = present.includes('checkpoint.json') ? `--resume ${join(outDir, 'checkpoint.json')} to continue it or ` : '';
    throw new Error(`${outDir}: already holds a training run (${present.join(', ')}); use ${resume}--force to replace it, or another --output folder`);
  }
  for (const f of present) rmSync(join(outDir, f), { force: true });
}

/** Runs (or resumes) a training run; see the file comment. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const outDir = options.outDir;
  const threads = options.threads ?? 1;
  const checkpointEvery = options.checkpointEvery ?? 1;
  integer('threads', threads, 1, 256);
  integer('checkpoint-every', checkpointEvery, 1, 100000);
  const trainItems = options.train;
  const valItems = options.val ?? [];
  if (trainItems.length === 0) throw new Error('Expected at least one training image but received none');
  checkItems('training', trainItems);
  checkItems('validation', valItems);
  const hash = dataHash(trainItems, valItems);

  let config: TrainConfig = { ...DEFAULT_CONFIG, ...options.config };
  let resumed: Checkpoint | null = null;
  if (options.resume) {
    resumed = readCheckpoint(options.resume);
    const requested = options.config ?? {};
    const conflicts = sameConfig(resumed.config, { ...resumed.config, ...requested, epochs: resumed.config.epochs });
    if (conflicts.length > 0) throw new Error(`${options.resume}: cannot resume with different settings: ${conflicts.join(', ')}`);
    if (resumed.dataHash !== hash) throw new Error(`${options.resume}: the checkpoint was made on different training/validation data (data hash differs)`);
    config = { ...resumed.config, epochs: requested.epochs ?? resumed.config.epochs };
  }
  validateConfig(config);
  if (config.loss === 'plcc' && trainItems.length < 2) throw new Error('PLCC loss needs at least two training images');
  const layout = paramLayout(config);
  const scale = scaleForLoss(config.loss);
  const lossFn = lossFunction(config.loss);

  // State: fresh from the seed, or exactly as the checkpoint left it.
  const rng = resumed ? new Rng(resumed.rng) : new Rng(config.seed);
  if (options.init && resumed) throw new Error('Expected either --init or --resume but received both: a resumed run continues its own weights');
  const params = resumed ? Float64Array.from(resumed.params) : options.init ? initialWeights(options.init, config) : initParams(layout, () => rng.uniform());
  if (params.length !== layout.total) throw new Error(`Checkpoint holds ${params.length} parameters but the model needs ${layout.total}`);
  const adam = new Adam(layout.total);
  if (resumed) adam.setState(resumed.adam);
  let best: BestState | null = resumed?.best ?? null;
  const log: LogRow[] = resumed ? [...resumed.log] : [];
  const startEpoch = resumed?.epochsDone ?? 0;

  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw namedFsError(outDir, 'create the output folder', err);
  }
  const modelPath = join(outDir, 'model.json');
  const logPath = join(outDir, 'log.csv');
  const checkpointPath = join(outDir, 'checkpoint.json');
  const cacheDir = options.cacheDir ?? join(outDir, 'pixel-cache');
  const concurrency = Math.max(2, threads);

  const cacheTimed = async (what: 'train' | 'val', build: () => Promise<PixelCache>): Promise<PixelCache> => {
    const t0 = performance.now();
    const cache = await build();
    options.events?.onCacheReady?.(what, { kind: cache.descriptor.kind, bytes: cache.bytes, reused: cache.reused, seconds: (performance.now() - t0) / 1000 });
    return cache;
  };
  const trainCache = await cacheTimed('train', () => buildPixelCache(trainItems.map((i) => i.path), {
    memBytes: options.cacheMemBytes ?? 4 * 2 ** 30,
    dir: cacheDir,
    concurrency,
    minSide: config.cropSize,
    onProgress: (d, t) => options.events?.onCacheProgress?.('train', d, t),
  }));
  // Validation keeps only valCrops^2 crops per image, always in memory.
  const valCache = valItems.length > 0
    ? await cacheTimed('val', () => buildPixelCache(valItems.map((i) => i.path), {
      memBytes: Number.POSITIVE_INFINITY,
      concurrency,
      minSide: config.cropSize,
      transform: valTransform(config.cropSize, config.valCrops),
      onProgress: (d, t) => options.events?.onCacheProgress?.('val', d, t),
    }))
    : null;

  const engine = await createEngine({ threads, kernel: options.kernel, train: trainCache.descriptor, val: valCache?.descriptor ?? null });
  const valTargets = Float64Array.from(valItems, (i) => i.target);
  const n = trainItems.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const widths = trainCache.descriptor.entries.map((e) => e.width);
  const heights = trainCache.descriptor.entries.map((e) => e.height);

  const provenance = (b: BestState, epochsDone: number): Record<string, unknown> & { source: string } => ({
    source: 'trained by focuslite',
    training: trainingRecord(epochsDone, config.epochs),
    ...(options.command ? { command: options.command } : {}),
    ...(options.init ? { initialisedFrom: { file: options.init.label, sha256: options.init.sha256 } } : {}),
    seed: config.seed,
    loss: config.loss,
    epochs: config.epochs,
    bestEpoch: b.epoch,
    batch: config.batchSize,
    lr: config.lr,
    stepSize: config.stepSize,
    cropSize: config.cropSize,
    kernel: engine.kernelName,
    data: { trainImages: n, validationImages: valItems.length, dataHash: hash, ...(options.manifest ?? {}) },
    ...(valItems.length > 0
      ? { validation: { srcc: b.srcc, plcc: b.plcc, crops: config.valCrops === 1 ? 'centre' : `${config.valCrops}x${config.valCrops} grid` } }
      : {}),
  });
  const saveModel = (b: BestState, epochsDone: number): void => {
    const model = paramsToModel(layout, Float64Array.from(b.params), scale, provenance(b, epochsDone));
    writeFileAtomicSync(modelPath, serializeModel(model));
  };
  const checkpoint = (epochsDone: number): Checkpoint => ({
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config,
    dataHash: hash,
    epochsDone,
    params: Array.from(params),
    adam: { step: adam.step, m: Array.from(adam.m), v: Array.from(adam.v) },
    rng: rng.getState(),
    best,
    log,
    kernel: engine.kernelName,
  });

  try {
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const t0 = performance.now();
      const lr = stepLr(config.lr, epoch, config.stepSize, config.gamma);
      // A fresh permutation of 0..n-1 each epoch (not a reshuffle of the last one), so the order
      // depends only on the RNG state, which a checkpoint restores.
      for (let i = 0; i < n; i++) order[i] = i;
      rng.shuffle(order);
      let batches = Math.ceil(n / config.batchSize);
      // A last batch of one image has no correlation: PLCC drops it (it is seen next epoch).
      if (config.loss === 'plcc' && n % config.batchSize === 1) batches--;
      options.events?.onEpochStart?.(epoch + 1, batches, lr);
      let lossSum = 0;
      let lossCount = 0;
      for (let b = 0; b < batches; b++) {
        const from = b * config.batchSize;
        const size = Math.min(config.batchSize, n - from);
        const images = order.slice(from, from + size);
        const xs = new Int32Array(size);
        const ys = new Int32Array(size);
        const targets = new Float64Array(size);
        for (let i = 0; i < size; i++) {
          const img = images[i]!;
          // As torchvision's RandomCrop: top, then left, uniform over every valid origin.
          ys[i] = rng.int(heights[img]! - config.cropSize + 1);
          xs[i] = rng.int(widths[img]! - config.cropSize + 1);
          targets[i] = trainItems[img]!.target;
        }
        const fwd = await engine.forward({ store: 'train', images, xs, ys, cropSize: config.cropSize, weights: convWeightsOf(layout, params), pooling: config.pooling, wantPatches: true });
        const scores = cropScores(layout, params, fwd);
        const loss = lossFn(scores, targets);
        if (loss.defined) {
          const grad = new Float64Array(layout.total);
          backward(layout, params, fwd, loss.grad, grad);
          adam.update(params, grad, lr);
          lossSum += loss.loss;
          lossCount++;
        }
        options.events?.onStep?.(b + 1, batches, lossCount > 0 ? lossSum / lossCount : Number.NaN);
      }
      for (let i = 0; i < params.length; i++) {
        if (!Number.isFinite(params[i]!)) throw new Error(`Training diverged at epoch ${epoch + 1} (non-finite weights); try a lower --lr`);
      }

      let srcc: number | null = null;
      let plcc: number | null = null;
      if (valItems.length > 0) {
        const scores = await validate(engine, layout, params, config, valItems.length, scale);
        srcc = correlation(spearman, scores, valTargets);
        plcc = correlation(pearson, scores, valTargets);
      }
      // Best = highest validation SRCC (an undefined SRCC never wins); without validation, the latest.
      const improved = valItems.length === 0 || best === null || (srcc !== null && (best.srcc === null || srcc > best.srcc));
      if (improved) best = { epoch: epoch + 1, srcc, plcc, params: Array.from(params) };
      // Every epoch, improved or not, so model.json always says how far the run got: a run
      // killed after epoch k leaves a model marked `finished: false` with k epochs completed.
      saveModel(best!, epoch + 1);
      const row: LogRow = { epoch: epoch + 1, lr, trainLoss: lossCount > 0 ? lossSum / lossCount : Number.NaN, valSrcc: srcc, valPlcc: plcc, seconds: (performance.now() - t0) / 1000 };
      log.push(row);
      writeFileAtomicSync(logPath, logCsv(log));
      if ((epoch + 1) % checkpointEvery === 0 || epoch + 1 === config.epochs) writeCheckpoint(checkpointPath, checkpoint(epoch + 1));
      options.events?.onEpochEnd?.(row, improved);
    }
    if (!best) throw new Error(`Nothing to train: the checkpoint already holds ${startEpoch} of ${config.epochs} epochs`);
    // Rewritten at the end too, so a run resumed into a new folder also ends with its best model.
    saveModel(best, config.epochs);
  } finally {
    await engine.close();
  }
  if (!options.keepCache) {
    trainCache.dispose();
    if (!options.cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  }
  return {
    modelPath,
    logPath,
    checkpointPath,
    log,
    best: { epoch: best.epoch, srcc: best.srcc, plcc: best.plcc },
    params,
    kernel: engine.kernelName,
  };
}
