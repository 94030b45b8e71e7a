/**
 * `focuslite cv`: the paper's evaluation protocol. For each of k random 60/20/20 splits of a
 * dataset (FocusPath): train on the 60 % (src/train/trainer.ts), keep the epoch with the best
 * validation SRCC on the 20 % validation part, score the 20 % test part with the dense crop grid,
 * and report every metric as mean ± sample std over the splits. Optionally each split's model is
 * also scored on a second dataset (transfer, e.g. TCGA@Focus).
 *
 * Splits:
 *   - by image (default): each image is drawn on its own; sizes are test = round(0.2 n),
 *     val = round(0.2 n), train = the rest.
 *   - by slide (--group-by slide): whole slides (the items' group) go to one part, so no z-level
 *     of a test patch is seen in training; slides are taken in shuffled order and each goes to
 *     test, then validation, while that brings the part closer to its 20 % image count, else to
 *     training. Sizes are then only near 60/20/20.
 *   - given: `path,split` files (split = train, val or test), one file per split; a path matches
 *     an item by its listed name or its path (relative to the image folder or absolute), with
 *     .tif/.tiff/.png treated as one (FocusPath lists .tif, stores .png). Items a file does not
 *     list take no part in that split.
 * Random splits are seeded: split j uses the j-th number drawn from Rng(seed) as its own seed, and
 * items (or slides) are sorted by path before shuffling, so a split depends only on the seed, its
 * index and the set of items, not on the list order or on how many splits are made.
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
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { RgbImage } from '../core/image.js';
import { parameterCount, type FocusLiteModel } from '../core/model.js';
import { scoreRgbImage } from '../core/score.js';
import { loadModel } from '../io/weights-file.js';
import { pickKernel } from '../runtime/kernel.js';
import { defaultThreads } from '../pipeline/score-files.js';
import type { Dataset, DatasetFormat, DatasetItem } from '../io/datasets/index.js';
import { splitCsvLine } from '../io/datasets/index.js';
import { Rng } from '../core/random.js';
import { readCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { DEFAULT_CONFIG, dataHash, train, validateConfig, type TrainConfig, type TrainEvents } from '../train/trainer.js';
import { PROTOCOLS, evalTargets, makeOutputDir, modelName, scoreDataset, scoresCsv, writeOutputFile, type ScoringTiming } from './evaluate-dataset.js';
import { meanStd } from '../core/stats.js';
import { evaluate, type Evaluation } from './metrics.js';
import { formatMetricsJson, formatMetricsMarkdown, formatMetricValue, type MetricValue, type MetricsRow } from './report.js';
import { integer, oneOf } from '../core/check.js';

export type GroupBy = 'image' | 'slide';
export const GROUP_BY: readonly GroupBy[] = ['image', 'slide'];
export type SplitPart = 'train' | 'val' | 'test';
export const SPLIT_PARTS: readonly SplitPart[] = ['train', 'val', 'test'];

/** One split: indices into the dataset's items, ascending. */
export interface Split {
  train: number[];
  val: number[];
  test: number[];
}

export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

/** Parts smaller than this make validation (model selection) or test metrics meaningless. */
const MIN_PART = 2;

/** Image counts of a 60/20/20 split of n images: test and val round(0.2 n), train the rest. */
export function splitSizes(n: number): SplitSizes {
  integer('images', n, 0, Number.MAX_SAFE_INTEGER);
  const test = Math.round(0.2 * n);
  const val = Math.round(0.2 * n);
  return { train: n - test - val, val, test };
}

function sizesOf(split: Split): SplitSizes {
  return { train: split.train.length, val: split.val.length, test: split.test.length };
}

function requireUsable(split: Split, what: string): void {
  const small = SPLIT_PARTS.filter((p) => split[p].length < MIN_PART);
  if (small.length > 0) {
    const s = sizesOf(split);
    throw new Error(`${what}: every part needs at least ${MIN_PART} images but ${small.join(' and ')} ${small.length === 1 ? 'has' : 'have'} fewer (train ${s.train}, val ${s.val}, test ${s.test})`);
  }
}

function byPath(items: readonly { path: string }[]): (a: number, b: number) => number {
  return (a, b) => (items[a]!.path < items[b]!.path ? -1 : items[a]!.path > items[b]!.path ? 1 : a - b);
}

function sortedSplit(split: Split): Split {
  const asc = (a: number, b: number): number => a - b;
  return { train: split.train.sort(asc), val: split.val.sort(asc), test: split.test.sort(asc) };
}

/** One split by image, shuffled with `rng`. */
function splitByImage(items: readonly { path: string }[], rng: Rng): Split {
  const order = Array.from({ length: items.length }, (_, i) => i).sort(byPath(items));
  rng.shuffle(order);
  const s = splitSizes(items.length);
  return sortedSplit({ test: order.slice(0, s.test), val: order.slice(s.test, s.test + s.val), train: order.slice(s.test + s.val) });
}

/** One split by group (slide): see the file comment for the rule. */
function splitByGroup(groups: ReadonlyMap<string, number[]>, n: number, rng: Rng): Split {
  const keys = [...groups.keys()].sort();
  rng.shuffle(keys);
  const want = splitSizes(n);
  const split: Split = { train: [], val: [], test: [] };
  // Adding a group is worth it when it brings the part closer to its target (or the part is empty).
  const closer = (have: number, add: number, target: number): boolean => have === 0 || Math.abs(have + add - target) < Math.abs(have - target);
  for (const k of keys) {
    const members = groups.get(k)!;
    const part: SplitPart = closer(split.test.length, members.length, want.test) ? 'test'
      : closer(split.val.length, members.length, want.val) ? 'val'
        : 'train';
    split[part].push(...members);
  }
  return sortedSplit(split);
}

export interface MakeSplitsOptions {
  splits: number;
  seed: number;
  groupBy?: GroupBy;
}

/** k seeded random 60/20/20 splits (see the file comment). */
export function makeSplits(items: readonly { path: string; group?: string | undefined }[], options: MakeSplitsOptions): Split[] {
  integer('splits', options.splits, 1, 100);
  integer('seed', options.seed, 0, 0xffffffff);
  const groupBy = options.groupBy ?? 'image';
  oneOf('group-by', groupBy, GROUP_BY);
  let groups: Map<string, number[]> | null = null;
  if (groupBy === 'slide') {
    groups = new Map();
    items.forEach((it, i) => {
      if (it.group === undefined || it.group === '') throw new Error(`Cannot split by slide: item ${i} (${it.path}) has no slide`);
      const list = groups!.get(it.group);
      if (list) list.push(i);
      else groups!.set(it.group, [i]);
    });
    if (groups.size < 3) throw new Error(`Cannot split by slide: a train/val/test split needs at least 3 slides but the dataset has ${groups.size}`);
  }
  const master = new Rng(options.seed);
  const out: Split[] = [];
  for (let j = 0; j < options.splits; j++) {
    const rng = new Rng(master.nextUint32());
    const split = groups ? splitByGroup(groups, items.length, rng) : splitByImage(items, rng);
    requireUsable(split, `Split ${j + 1} of ${items.length} images by ${groupBy}`);
    out.push(split);
  }
  return out;
}

/** Path forms that name the same image: / separators, .tif/.tiff/.png extension dropped. */
function pathKey(p: string): string {
  return p.replace(/\\/g, '/').replace(/\.(tiff?|png)$/i, '');
}

const PART_NAMES: Record<string, SplitPart> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

/**
 * Parse a `path,split` file against the dataset's items (see the file comment for matching).
 * Unknown paths, duplicates and unknown split names are errors naming the file and line.
 */
export function parseSplitList(text: string, file: string, dataset: Pick<Dataset, 'items' | 'imagesDir'>): Split {
  const lookup = new Map<string, number>();
  const ambiguous = new Set<string>();
  const add = (key: string, i: number): void => {
    const had = lookup.get(key);
    if (had !== undefined && had !== i) ambiguous.add(key);
    else lookup.set(key, i);
  };
  dataset.items.forEach((it, i) => {
    add(pathKey(it.name), i);
    add(pathKey(resolve(it.path)), i);
    add(pathKey(relative(dataset.imagesDir, it.path)), i);
  });
  const split: Split = { train: [], val: [], test: [] };
  const seen = new Map<number, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let rows = 0;
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(raw).map((f) => f.trim());
    if (fields.length < 2) throw new Error(`${file}:${line}: expected path,split but found "${raw.trim()}"`);
    const partName = fields[fields.length - 1]!.toLowerCase();
    const path = fields.slice(0, -1).join(',');
    const part = PART_NAMES[partName];
    if (part === undefined) {
      if (rows === 0 && !seen.size && /^(path|file|name|image)$/i.test(fields[0]!)) return; // header
      throw new Error(`${file}:${line}: split "${fields[fields.length - 1]}" is not one of train, val, test`);
    }
    rows++;
    const key = pathKey(isAbsolute(path) ? resolve(path) : path);
    if (ambiguous.has(key)) throw new Error(`${file}:${line}: "${path}" matches more than one listed image`);
    const i = lookup.get(key);
    if (i === undefined) throw new Error(`${file}:${line}: "${path}" is not in the dataset list`);
    const before = seen.get(i);
    if (before !== undefined) throw new Error(`${file}:${line}: "${path}" was already assigned on line ${before}`);
    seen.set(i, line);
    split[part].push(i);
  });
  if (rows === 0) throw new Error(`${file}: no rows (expected path,split with split = train, val or test)`);
  const s = sortedSplit(split);
  requireUsable(s, file);
  return s;
}

/** A split as a `path,split` file (the listed names), re-readable with parseSplitList. */
export function splitListCsv(items: readonly DatasetItem[], split: Split): string {
  const part = new Map<number, SplitPart>();
  for (const p of SPLIT_PARTS) for (const i of split[p]) part.set(i, p);
  const lines = ['path,split'];
  items.forEach((it, i) => {
    const p = part.get(i);
    if (p) lines.push(`${/[",]/.test(it.name) ? `"${it.name.replace(/"/g, '""')}"` : it.name},${p}`);
  });
  return lines.join('\n') + '\n';
}

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

export interface SplitResult {
  /** 1-based */
  split: number;
  sizes: SplitSizes;
  modelPath: string;
  bestEpoch: number;
  valSrcc: number | null;
  valPlcc: number | null;
  test: Evaluation;
  transfer?: Evaluation;
  /** model time per 1024x1024 image on one thread (see timeModel) */
  msPer1024: number;
  testTiming: ScoringTiming;
  transferTiming?: ScoringTiming;
  /** taken from a previous run's result.json */
  reused: boolean;
}

export interface MetricSummary {
  srcc: MetricValue;
  plcc: MetricValue;
  rocAuc?: MetricValue;
  ap?: MetricValue;
}

export interface DatasetInfo {
  format: DatasetFormat;
  list: string;
  images: string;
  n: number;
}

export interface CvReport {
  model: { name: string; params: number; kernels: number; pooling: string; loss: string };
  config: TrainConfig;
  splits: { count: number; source: 'random' | 'list'; seed: number; groupBy: GroupBy; lists?: string[] };
  dataset: DatasetInfo;
  transfer?: DatasetInfo;
  protocol: { test: string; transfer?: string; timing: string };
  results: SplitResult[];
  summary: { test: MetricSummary; transfer?: MetricSummary; msPerImage: MetricValue };
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

const FORMAT_NAMES: Record<DatasetFormat, string> = { focuspath: 'FocusPath', 'tcga-at-focus': 'TCGA@Focus', csv: 'score CSV' };

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

/** The Table-1 rows: the test-set row, then the transfer row when there is one. */
export function cvRows(report: CvReport): MetricsRow[] {
  const row = (what: string, s: MetricSummary): MetricsRow => ({
    model: `${report.model.name} (${what})`,
    params: report.model.params,
    srcc: s.srcc,
    plcc: s.plcc,
    ...(s.rocAuc !== undefined ? { rocAuc: s.rocAuc } : {}),
    ...(s.ap !== undefined ? { ap: s.ap } : {}),
    msPerImage: report.summary.msPerImage,
  });
  const rows = [row(`${FORMAT_NAMES[report.dataset.format]} test`, report.summary.test)];
  if (report.transfer && report.summary.transfer) rows.push(row(`${FORMAT_NAMES[report.transfer.format]} transfer`, report.summary.transfer));
  return rows;
}

function cell(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined ? '-' : v.toFixed(digits);
}

/** report.md: summary table (mean ± std), settings, then one row per split. */
export function formatCvMarkdown(report: CvReport): string {
  const c = report.config;
  const s = report.splits;
  const splitText = s.source === 'list' ? `${s.count} given split${s.count === 1 ? '' : 's'} (${s.lists!.join(', ')})` : `${s.count} random 60/20/20 split${s.count === 1 ? '' : 's'} by ${s.groupBy}, seed ${s.seed}`;
  const spread = s.count > 1 ? 'mean ± sample std over splits' : 'one split';
  const lines = [
    `# Cross-validation: ${report.model.name} on ${FORMAT_NAMES[report.dataset.format]}`,
    '',
    formatMetricsMarkdown(cvRows(report)).trimEnd(),
    '',
    `- Values: ${spread}. Higher score = blurrier.`,
    `- Test metrics (${report.dataset.list}, ${report.dataset.n} images): ${report.protocol.test}.`,
    ...(report.transfer ? [`- Transfer (${report.transfer.list}, ${report.transfer.n} images, every split's model): ${report.protocol.transfer}.`] : []),
    `- Splits: ${splitText}; model selected by validation SRCC (trainer: validation on ${c.valCrops === 1 ? 'the centre crop' : `a ${c.valCrops}x${c.valCrops} crop grid`}).`,
    `- Training: ${c.kernels} kernel${c.kernels === 1 ? '' : 's'}, ${c.pooling} pooling, loss ${c.loss}, ${c.epochs} epochs, batch ${c.batchSize}, lr ${c.lr} (x${c.gamma} every ${c.stepSize} epochs), crop ${c.cropSize}, seed ${c.seed}.`,
    `- ${report.protocol.timing}.`,
    '',
    '## Per split',
    '',
  ];
  const hasRoc = report.results.some((r) => r.test.rocAuc !== undefined);
  const header = ['Split', 'Train', 'Val', 'Test', 'Best epoch', 'Val SRCC', 'SRCC', 'PLCC', ...(hasRoc ? ['ROC-AUC', 'AP'] : [])];
  if (report.transfer) header.push('Transfer SRCC', 'Transfer PLCC', 'Transfer ROC-AUC', 'Transfer AP');
  header.push('ms/image');
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? ':---' : '---:')).join(' | ')} |`);
  for (const r of report.results) {
    const cells = [String(r.split), String(r.sizes.train), String(r.sizes.val), String(r.sizes.test), String(r.bestEpoch), cell(r.valSrcc), cell(r.test.srcc), cell(r.test.plcc)];
    if (hasRoc) cells.push(cell(r.test.rocAuc), cell(r.test.ap));
    if (report.transfer) cells.push(cell(r.transfer?.srcc), cell(r.transfer?.plcc), cell(r.transfer?.rocAuc), cell(r.transfer?.ap));
    cells.push(r.msPer1024.toFixed(1));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', `Model time per 1024x1024 image: ${formatMetricValue(report.summary.msPerImage, 2)} ms.`);
  return lines.join('\n') + '\n';
}

/** report.json: the Table-1 rows (as report.ts writes them) plus settings and per-split results. */
export function formatCvJson(report: CvReport): string {
  const table = JSON.parse(formatMetricsJson(cvRows(report))) as { rows: unknown[] };
  return JSON.stringify({ rows: table.rows, ...report }, null, 2) + '\n';
}
