/**
 * `focuslite cv`: the paper's evaluation protocol. For each of k random 60/20/20 splits of a
 * dataset (FocusPath): train on the 60 % (src/train/trainer.ts), keep the epoch with the best
 * validation SRCC on the 20 % validation part, score the 20 % test part with the dense crop grid,
 * and report every metric as mean ± sample std over the splits. Optionally each split's model is
 * also scored on a second dataset (transfer, e.g. TCGA@Focus).
 *
 * Splits: see cv-splits.ts. Reports: cv-report.ts.
 * Every split's model is trained with the same --seed (same initialisation and crop draws), so
 * the spread over splits measures the data split alone.
 *
 * Timing (the ms/image column): the model's time to score one 1024x1024 image (49 crops) on one
 * thread, decode excluded, median of a few runs on a fixed random image, per split model.
 *
 * Output in <outDir>: split-<j>/ (model.json, log.csv, checkpoint.json from the trainer, plus
 * split.csv, test-scores.csv, transfer-scores.csv and result.json), report.md and report.json,
 * all written atomically. A split whose result.json matches the same items, config and transfer
 * set is reused, so an interrupted run continues where it stopped: a split interrupted during
 * training resumes from the trainer's checkpoint.json when it was made on the same data and
 * settings (a finished one is only scored again).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../core/image.js';
import { parameterCount, type FocusLiteModel } from '../core/model.js';
import { scoreRgbImage } from '../core/score.js';
import { loadModel } from '../io/weights-file.js';
import { pickKernel } from '../runtime/kernel.js';
import { defaultThreads } from '../pipeline/score-files.js';
import type { Dataset, DatasetFormat, DatasetItem } from '../io/datasets/index.js';
import { Rng } from '../core/random.js';
import { readCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { DEFAULT_CONFIG, dataHash, train, validateConfig, type TrainConfig, type TrainEvents } from '../train/trainer.js';
import { PROTOCOLS, evalTargets, makeOutputDir, modelName, scoreDataset, scoresCsv, writeOutputFile, type ScoringTiming } from './evaluate-dataset.js';
import { meanStd } from '../core/stats.js';
import { evaluate, type Evaluation } from './metrics.js';
import type { MetricValue } from './report.js';
import { integer } from '../core/check.js';
import { makeSplits, sizesOf, splitListCsv, type GroupBy, type Split, type SplitPart, type SplitSizes } from './cv-splits.js';
import { formatCvJson, formatCvMarkdown, type CvReport, type DatasetInfo, type MetricSummary, type SplitResult } from './cv-report.js';

let timingImage: RgbImage | null = null;

/**
 * A fixed textured image for timing (the conv cost does not depend on the pixels, but a
 * realistic spread of values keeps any data-dependent fast path honest).
 */
function timingPixels(size: number): RgbImage {
  const rng = new Rng(20200101);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = 96 + (rng.nextUint32() & 127);
  return { width: size, height: size, data };
}

/**
 * The model's time to score one size x size image on one thread (dense grid, decode excluded):
 * the median of `repeats` runs after one warm-up run, in milliseconds.
 */
export function timeModel(model: FocusLiteModel, options: { repeats?: number; kernel?: string; size?: number } = {}): number {
  const repeats = options.repeats ?? 5;
  const size = options.size ?? 1024;
  integer('timing repeats', repeats, 1, 1000);
  if (!timingImage || timingImage.width !== size) timingImage = timingPixels(size);
  const kernel = pickKernel(options.kernel);
  scoreRgbImage(model, kernel, timingImage);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    scoreRgbImage(model, kernel, timingImage);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

export interface CvEvents {
  /** before training split j (1-based) of `count` */
  onSplitStart?(split: number, count: number, sizes: SplitSizes): void;
  /** training events of split j */
  train?(split: number): TrainEvents;
  /** scoring progress of the test or transfer images */
  onScoring?(split: number, what: 'test' | 'transfer', done: number, total: number): void;
  onSplitDone?(result: SplitResult): void;
}

export interface CvOptions {
  dataset: Dataset;
  outDir: string;
  /** random splits (default 10); ignored when splitLists is given */
  splits?: number;
  /** split seed and training seed (default 1; config.seed is ignored) */
  seed?: number;
  groupBy?: GroupBy;
  /** given splits, one per file (see parseSplitList) */
  splitLists?: ReadonlyArray<{ file: string; split: Split }>;
  /** training settings (kernels, loss, epochs, ...); see src/train/trainer.ts */
  config?: Partial<TrainConfig>;
  /** threads for training and scoring (default: all cores) */
  threads?: number;
  kernel?: string;
  transfer?: Dataset;
  /** runs per model for the 1024x1024 timing (default 5) */
  timingRepeats?: number;
  cacheMemBytes?: number;
  /** recorded in each model's provenance */
  command?: string;
  events?: CvEvents;
}

/** mean ± std over splits, or the single value for one split (a std needs two). */
export function summarise(values: readonly number[]): MetricValue {
  if (values.length === 0) throw new Error('Expected at least one split result but received none');
  return values.length === 1 ? values[0]! : meanStd(values);
}

function summariseMetrics(evals: readonly Evaluation[]): MetricSummary {
  const out: MetricSummary = { srcc: summarise(evals.map((e) => e.srcc)), plcc: summarise(evals.map((e) => e.plcc)) };
  if (evals.every((e) => e.rocAuc !== undefined)) out.rocAuc = summarise(evals.map((e) => e.rocAuc!));
  if (evals.every((e) => e.ap !== undefined)) out.ap = summarise(evals.map((e) => e.ap!));
  return out;
}

function datasetInfo(d: Dataset): DatasetInfo {
  return { format: d.format, list: d.listFile, images: d.imagesDir, n: d.items.length };
}

function itemsKey(items: readonly DatasetItem[]): string[] {
  return items.map((it) => `${it.name}\t${it.target}\t${it.label ?? ''}`);
}

/** What a split's result depends on; a stored result.json with another key is not reused. */
function splitKey(config: TrainConfig, parts: Record<SplitPart, DatasetItem[]>, transfer: Dataset | undefined): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ config, train: itemsKey(parts.train), val: itemsKey(parts.val), test: itemsKey(parts.test) }));
  if (transfer) h.update(JSON.stringify({ transfer: transfer.format, items: itemsKey(transfer.items) }));
  return h.digest('hex');
}

interface StoredResult {
  key: string;
  result: Omit<SplitResult, 'reused'>;
}

function readStored(path: string, key: string): Omit<SplitResult, 'reused'> | null {
  if (!existsSync(path)) return null;
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as StoredResult;
    return doc.key === key && existsSync(doc.result.modelPath) ? doc.result : null;
  } catch {
    return null; // a damaged result is simply recomputed
  }
}

const RESUME_KEYS: ReadonlyArray<keyof TrainConfig> = ['kernels', 'pooling', 'loss', 'batchSize', 'lr', 'stepSize', 'gamma', 'seed', 'cropSize', 'valCrops'];

/**
 * The split folder's checkpoint when it continues this very run: same train/validation data and
 * settings, no more epochs done than asked for (the trainer's path does not depend on the total).
 */
function resumableCheckpoint(path: string, config: TrainConfig, trainItems: readonly DatasetItem[], valItems: readonly DatasetItem[]): Checkpoint | null {
  if (!existsSync(path)) return null;
  let cp: Checkpoint;
  try {
    cp = readCheckpoint(path);
  } catch {
    return null; // damaged: train afresh
  }
  if (cp.dataHash !== dataHash(trainItems, valItems)) return null;
  if (RESUME_KEYS.some((k) => cp.config[k] !== config[k])) return null;
  return cp.epochsDone <= config.epochs ? cp : null;
}

function pick(items: readonly DatasetItem[], idx: readonly number[]): DatasetItem[] {
  return idx.map((i) => items[i]!);
}

/** Score `items` with `model` and compute metrics as `focuslite eval` does. */
async function scoreAndEvaluate(model: FocusLiteModel, format: DatasetFormat, items: readonly DatasetItem[], threads: number, kernel: string | undefined, onImage: (d: number, t: number) => void, what: string): Promise<{ evaluation: Evaluation; timing: ScoringTiming; csv: string }> {
  const targets = evalTargets(format, items);
  const scored = await scoreDataset(items, model, { threads, kernel, onImage });
  try {
    const evaluation = evaluate(scored.scores, targets.target, targets.labels ?? undefined);
    return { evaluation, timing: scored.timing, csv: scoresCsv(scored.images) };
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

/** Runs the whole protocol; see the file comment. */
export async function runCrossValidation(options: CvOptions): Promise<CvReport> {
  const { dataset, outDir } = options;
  const seed = options.seed ?? 1;
  const groupBy = options.groupBy ?? 'image';
  const threads = options.threads ?? defaultThreads();
  integer('threads', threads, 1, 256);
  integer('seed', seed, 0, 0xffffffff);
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...options.config, seed };
  validateConfig(config);
  // Fail on label problems (e.g. a CSV with half its labels) before any training.
  evalTargets(dataset.format, dataset.items);
  if (options.transfer) evalTargets(options.transfer.format, options.transfer.items);

  const given = options.splitLists;
  if (given && given.length === 0) throw new Error('Expected at least one split list but received none');
  const splits = given ? given.map((g) => g.split) : makeSplits(dataset.items, { splits: options.splits ?? 10, seed, groupBy });
  makeOutputDir(outDir);

  const results: SplitResult[] = [];
  for (let j = 0; j < splits.length; j++) {
    const k = j + 1;
    const split = splits[j]!;
    const parts = { train: pick(dataset.items, split.train), val: pick(dataset.items, split.val), test: pick(dataset.items, split.test) };
    const sizes = sizesOf(split);
    const dir = join(outDir, `split-${String(k).padStart(2, '0')}`);
    makeOutputDir(dir);
    writeOutputFile(join(dir, 'split.csv'), splitListCsv(dataset.items, split));
    const key = splitKey(config, parts, options.transfer);
    const resultPath = join(dir, 'result.json');
    const stored = readStored(resultPath, key);
    if (stored) {
      const result = { ...stored, reused: true };
      results.push(result);
      options.events?.onSplitDone?.(result);
      continue;
    }
    options.events?.onSplitStart?.(k, splits.length, sizes);
    const checkpointPath = join(dir, 'checkpoint.json');
    const cp = resumableCheckpoint(checkpointPath, config, parts.train, parts.val);
    const finished = cp !== null && cp.epochsDone === config.epochs && cp.best !== null && existsSync(join(dir, 'model.json'));
    const trained = finished ? { modelPath: join(dir, 'model.json'), best: { epoch: cp.best!.epoch, srcc: cp.best!.srcc, plcc: cp.best!.plcc } } : await train({
      config,
      train: parts.train,
      val: parts.val,
      outDir: dir,
      threads,
      kernel: options.kernel,
      ...(options.cacheMemBytes !== undefined ? { cacheMemBytes: options.cacheMemBytes } : {}),
      ...(options.command !== undefined ? { command: options.command } : {}),
      manifest: { list: dataset.listFile, cv: { split: k, of: splits.length, source: given ? given[j]!.file : 'random', seed, groupBy } },
      ...(options.events?.train ? { events: options.events.train(k) } : {}),
      ...(cp && cp.epochsDone < config.epochs ? { resume: checkpointPath } : {}),
    });
    const model = await loadModel(trained.modelPath);
    const test = await scoreAndEvaluate(model, dataset.format, parts.test, threads, options.kernel, (d, t) => options.events?.onScoring?.(k, 'test', d, t), `split ${k} test set`);
    writeOutputFile(join(dir, 'test-scores.csv'), test.csv);
    let transfer: Awaited<ReturnType<typeof scoreAndEvaluate>> | undefined;
    if (options.transfer) {
      transfer = await scoreAndEvaluate(model, options.transfer.format, options.transfer.items, threads, options.kernel, (d, t) => options.events?.onScoring?.(k, 'transfer', d, t), `split ${k} transfer set`);
      writeOutputFile(join(dir, 'transfer-scores.csv'), transfer.csv);
    }
    const result: Omit<SplitResult, 'reused'> = {
      split: k,
      sizes,
      modelPath: trained.modelPath,
      bestEpoch: trained.best.epoch,
      valSrcc: trained.best.srcc,
      valPlcc: trained.best.plcc,
      test: test.evaluation,
      ...(transfer ? { transfer: transfer.evaluation, transferTiming: transfer.timing } : {}),
      msPer1024: timeModel(model, { repeats: options.timingRepeats ?? 5, kernel: options.kernel }),
      testTiming: test.timing,
    };
    writeOutputFile(resultPath, JSON.stringify({ key, result } satisfies StoredResult, null, 2) + '\n');
    results.push({ ...result, reused: false });
    options.events?.onSplitDone?.(results[results.length - 1]!);
  }

  const layoutModel = { kernels: config.kernels, pooling: config.pooling };
  const report: CvReport = {
    model: { name: modelName(layoutModel), params: parameterCount(layoutModel), kernels: config.kernels, pooling: config.pooling, loss: config.loss },
    config,
    splits: { count: splits.length, source: given ? 'list' : 'random', seed, groupBy, ...(given ? { lists: given.map((g) => g.file) } : {}) },
    dataset: datasetInfo(dataset),
    ...(options.transfer ? { transfer: datasetInfo(options.transfer) } : {}),
    protocol: {
      test: PROTOCOLS[dataset.format],
      ...(options.transfer ? { transfer: PROTOCOLS[options.transfer.format] } : {}),
      timing: 'ms/image = model time per 1024x1024 image (49 crops) on one thread, decode excluded, median of runs per split model',
    },
    results,
    summary: {
      test: summariseMetrics(results.map((r) => r.test)),
      ...(options.transfer ? { transfer: summariseMetrics(results.map((r) => r.transfer!)) } : {}),
      msPerImage: summarise(results.map((r) => r.msPer1024)),
    },
  };
  writeOutputFile(join(outDir, 'report.json'), formatCvJson(report));
  writeOutputFile(join(outDir, 'report.md'), formatCvMarkdown(report));
  return report;
}
