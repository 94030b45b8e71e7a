/**
 * `focuslite eval`: score every image of a labelled dataset with the dense crop grid (the published
 * protocol: 235x235 crops at stride 128, image score = mean), then SRCC, PLCC, ROC-AUC and AP.
 *
 * What each dataset is compared against (higher score = blurrier = positive class):
 *   FocusPath    SRCC/PLCC against |z-level|; ROC-AUC/AP against binarizeFocusPath(|z|):
 *                |z| <= 2 sharp (0), |z| >= 3 blurry (1) (see metrics.ts for why).
 *   TCGA@Focus   SRCC/PLCC against the label and ROC-AUC/AP with positive = out of focus (label 1).
 *   score CSV    SRCC/PLCC against the score column; ROC-AUC/AP against the label column when
 *                every row has one (0/1), none otherwise.
 *
 * Timing: images/s and wall-clock ms per image are end to end (decode + compute with the given
 * threads). The table's ms/image is the model's own time per image on one thread (the mean of
 * each image's compute time, decode excluded), which does not depend on the thread count and is
 * what Table 1 of the paper compares.
 *
 * The image check happens in the loaders (src/io/datasets/load.ts): all missing images are listed
 * in one error before anything is scored.
 */
import { mkdirSync } from 'node:fs';
import { csvRow } from '../core/csv.js';
import { focusLiteNNLabel, isFocusLiteModel } from '../core/measures/focuslitenn.js';
import type { FocusLiteModel } from '../core/model.js';
import { parameterCount } from '../core/model.js';
import type { ResolvedMeasure } from '../pipeline/measure-source.js';
import { defaultThreads, scoreFiles, type FileFailure } from '../pipeline/score-files.js';
import type { MeasureSource } from '../runtime/compute-engine.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import { loadDataset, type Dataset, type DatasetFormat, type DatasetItem } from '../io/datasets/index.js';
import { binarizeFocusPath, evaluate, type Evaluation } from './metrics.js';
import { formatMetricsJson, formatMetricsMarkdown, type MetricsRow } from './report.js';

/** Where a dataset comes from: a list (or score CSV) and the folder its names are relative to. */
export interface EvalSource {
  format: DatasetFormat;
  list: string;
  images?: string;
}

/** Load a dataset for evaluation; throws MissingImagesError (all missing images) before any work. */
export function loadEvalDataset(source: EvalSource): Promise<Dataset> {
  return loadDataset(source.list, source.format, source.images !== undefined ? { imagesDir: source.images } : {});
}

/** What the scores are compared with, and a sentence saying so for reports. */
export interface EvalTargets {
  /** continuous target for SRCC/PLCC */
  target: Float64Array;
  /** 0/1 labels (1 = blurry / out of focus) for ROC-AUC/AP, or null when the dataset has none */
  labels: number[] | null;
  protocol: string;
}

export const PROTOCOLS: Record<DatasetFormat, string> = {
  focuspath: 'SRCC/PLCC vs |z-level|; ROC-AUC/AP with |z| >= 3 blurry (positive), |z| <= 2 sharp',
  'tcga-at-focus': 'SRCC/PLCC vs label; ROC-AUC/AP with out of focus (label 1) positive',
  csv: 'SRCC/PLCC vs the score column; ROC-AUC/AP vs the label column (1 positive) when present',
};

/** Targets and labels of a dataset's items, following the rules in the file comment. */
export function evalTargets(format: DatasetFormat, items: readonly DatasetItem[]): EvalTargets {
  const target = Float64Array.from(items, (it) => it.target);
  if (format === 'focuspath') return { target, labels: binarizeFocusPath(target), protocol: PROTOCOLS.focuspath };
  if (format === 'tcga-at-focus') {
    return { target, labels: items.map((it) => it.label ?? it.target), protocol: PROTOCOLS['tcga-at-focus'] };
  }
  const labelled = items.filter((it) => it.label !== undefined).length;
  if (labelled > 0 && labelled < items.length) {
    const first = items.find((it) => it.label === undefined)!;
    throw new Error(`Expected a label on every row or on none, but ${items.length - labelled} of ${items.length} rows have none (first: ${first.name})`);
  }
  return { target, labels: labelled > 0 ? items.map((it) => it.label!) : null, protocol: PROTOCOLS.csv };
}

/** One scored image. */
export interface ScoredImage {
  /** the entry as listed */
  name: string;
  path: string;
  score: number;
  target: number;
  label?: number;
  width: number;
  height: number;
  decodeMs: number;
  computeMs: number;
}

export interface ScoringTiming {
  images: number;
  threads: number;
  /** wall clock from the first decode to the last score, including the worker pool start-up */
  seconds: number;
  imagesPerSecond: number;
  /** wall clock per image (seconds * 1000 / images) with `threads` threads */
  wallMsPerImage: number;
  /** the model's time per image on one thread, decode excluded (mean over images) */
  computeMsPerImage: number;
  /** decode time per image (mean; decodes overlap, so this is latency, not cost) */
  decodeMsPerImage: number;
}

export interface ScoreDatasetOptions {
  /** compute threads (default: all cores) */
  threads?: number;
  /** conv kernel backend (default: fastest available) */
  kernel?: string;
  cropSize?: number;
  stride?: number;
  /** after each image, in input order */
  onImage?(done: number, total: number): void;
  /** `image`: one whole-image score per image (the classic measures, as the paper ran them); default the crop grid */
  unit?: 'crops' | 'image';
}

export interface ScoredDataset {
  scores: Float64Array;
  images: ScoredImage[];
  timing: ScoringTiming;
}

/** Images that could not be scored, as one line: the count and the first few reasons. */
export class ScoringFailedError extends Error {
  constructor(readonly failures: readonly FileFailure[], readonly total: number) {
    const shown = failures.slice(0, 3).map((f) => f.error).join('; ');
    const more = failures.length > 3 ? ` (and ${failures.length - 3} more)` : '';
    super(`${failures.length} of ${total} images could not be scored: ${shown}${more}`);
    this.name = 'ScoringFailedError';
  }
}

/**
 * Score every item (decode on sharp's threads, compute on `threads` workers). Every image is
 * attempted; if any fails, one ScoringFailedError lists them all afterwards, since metrics over
 * a silently shrunken set would not be comparable.
 */
export async function scoreDataset(items: readonly DatasetItem[], measure: MeasureSource, options: ScoreDatasetOptions = {}): Promise<ScoredDataset> {
  if (items.length === 0) throw new Error('Expected at least one image to score but the dataset is empty');
  const files = items.map((it) => it.path);
  const threads = options.threads ?? defaultThreads();
  const images: ScoredImage[] = [];
  const failures: FileFailure[] = [];
  let decodeSum = 0;
  let computeSum = 0;
  const t0 = performance.now();
  let i = 0;
  for await (const r of scoreFiles(files, measure, { threads, kernel: options.kernel, cropSize: options.cropSize, stride: options.stride, ...(options.unit !== undefined ? { unit: options.unit } : {}) })) {
    const item = items[i++]!;
    options.onImage?.(i, items.length);
    if (!r.ok) {
      failures.push({ file: r.file, error: r.error });
      continue;
    }
    decodeSum += r.decodeMs;
    computeSum += r.computeMs;
    const image: ScoredImage = { name: item.name, path: item.path, score: r.score, target: item.target, width: r.width, height: r.height, decodeMs: r.decodeMs, computeMs: r.computeMs };
    if (item.label !== undefined) image.label = item.label;
    images.push(image);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (failures.length > 0) throw new ScoringFailedError(failures, items.length);
  const n = images.length;
  return {
    scores: Float64Array.from(images, (im) => im.score),
    images,
    timing: {
      images: n,
      threads,
      seconds,
      imagesPerSecond: n / seconds,
      wallMsPerImage: (seconds * 1000) / n,
      computeMsPerImage: computeSum / n,
      decodeMsPerImage: decodeSum / n,
    },
  };
}

/** "FocusLiteNN-1", "FocusLiteNN-10 (min-max)": the kernel count as in the paper's Table 1. */
export const modelName = focusLiteNNLabel;

export interface DatasetEvaluation {
  /** `kernels` and `pooling` for FocusLiteNN; `method` for the other measures */
  model: { name: string; params: number; kernels?: number; pooling?: string; method?: string; scale: string; weights?: string };
  dataset: { format: DatasetFormat; list: string; images: string; n: number; positives?: number };
  protocol: string;
  metrics: Evaluation;
  timing: ScoringTiming;
  images: ScoredImage[];
}

export interface EvaluateDatasetOptions extends ScoreDatasetOptions {
  /** name for the table (default: modelName(model)) */
  name?: string;
  /** the weights file, recorded in the JSON */
  weights?: string;
  /** called with the scores before metrics are computed (so they survive an undefined metric) */
  onScored?(scored: ScoredDataset): void | Promise<void>;
}

/** The model block of a report: FocusLiteNN's kernels and pooling, or the measure's name. */
function modelBlock(measure: FocusLiteModel | ResolvedMeasure, options: EvaluateDatasetOptions): DatasetEvaluation['model'] {
  const weights = options.weights !== undefined ? { weights: options.weights } : {};
  const model = isFocusLiteModel(measure) ? measure : measure.model;
  if (model) {
    return { name: options.name ?? modelName(model), params: parameterCount(model), kernels: model.kernels, pooling: model.pooling, scale: model.scale, ...weights };
  }
  const { info } = measure as ResolvedMeasure;
  return { name: options.name ?? info.label, params: info.parameters, method: info.name, scale: info.scale, ...weights };
}

/**
 * Score a loaded dataset and compute its metrics: with a FocusLiteNN model, or any resolved
 * measure (a classic measure scores whole images unless `unit: 'crops'` is given).
 */
export async function evaluateDataset(dataset: Dataset, measure: FocusLiteModel | ResolvedMeasure, options: EvaluateDatasetOptions = {}): Promise<DatasetEvaluation> {
  // Targets first: a CSV with half its labels missing should fail before minutes of scoring.
  const targets = evalTargets(dataset.format, dataset.items);
  const source: MeasureSource = isFocusLiteModel(measure) ? measure : measure.model ?? measure.spec;
  const unit = options.unit ?? (isFocusLiteModel(measure) ? 'crops' : measure.info.nativeUnit);
  const scored = await scoreDataset(dataset.items, source, { ...options, unit });
  await options.onScored?.(scored);
  const metrics = evaluate(scored.scores, targets.target, targets.labels ?? undefined);
  const positives = targets.labels ? targets.labels.reduce((a, b) => a + b, 0) : undefined;
  return {
    model: modelBlock(measure, options),
    dataset: { format: dataset.format, list: dataset.listFile, images: dataset.imagesDir, n: dataset.items.length, ...(positives !== undefined ? { positives } : {}) },
    protocol: targets.protocol,
    metrics,
    timing: scored.timing,
    images: scored.images,
  };
}

/** The evaluation as a Table-1 row (ms/image = model time per image on one thread). */
export function evaluationRow(ev: DatasetEvaluation): MetricsRow {
  const row: MetricsRow = { model: ev.model.name, params: ev.model.params, n: ev.metrics.n, srcc: ev.metrics.srcc, plcc: ev.metrics.plcc };
  if (ev.metrics.rocAuc !== undefined) row.rocAuc = ev.metrics.rocAuc;
  if (ev.metrics.ap !== undefined) row.ap = ev.metrics.ap;
  row.msPerImage = ev.timing.computeMsPerImage;
  return row;
}

const FORMAT_NAMES: Record<DatasetFormat, string> = { focuspath: 'FocusPath', 'tcga-at-focus': 'TCGA@Focus', csv: 'score CSV' };

/** Throughput line shared by the Markdown report and the CLI. */
export function timingLine(t: ScoringTiming): string {
  return `${t.images} images in ${t.seconds.toFixed(2)} s with ${t.threads} thread${t.threads === 1 ? '' : 's'}: ` +
    `${t.imagesPerSecond.toFixed(1)} images/s, ${t.wallMsPerImage.toFixed(1)} ms per image wall-clock (decode + compute); ` +
    `model ${t.computeMsPerImage.toFixed(1)} ms and decode ${t.decodeMsPerImage.toFixed(1)} ms per image`;
}

/** Markdown report: a title line, the Table-1-style table, and notes on protocol and timing. */
export function formatEvaluationMarkdown(ev: DatasetEvaluation): string {
  const d = ev.dataset;
  const lines = [
    `## ${FORMAT_NAMES[d.format]}: ${d.list} (${d.n} images${d.positives !== undefined ? `, ${d.positives} positive` : ''})`,
    '',
    formatMetricsMarkdown([evaluationRow(ev)]).trimEnd(),
    '',
    `- Metrics: ${ev.protocol}. Higher score = blurrier.`,
    '- ms/image: model time per image on one thread (decode excluded).',
    `- Throughput: ${timingLine(ev.timing)}.`,
  ];
  return lines.join('\n') + '\n';
}

/** JSON report: the table row (as report.ts writes it) plus dataset, protocol and timing. */
export function formatEvaluationJson(ev: DatasetEvaluation): string {
  const table = JSON.parse(formatMetricsJson([evaluationRow(ev)])) as { rows: unknown[] };
  return JSON.stringify({ rows: table.rows, model: ev.model, dataset: ev.dataset, protocol: ev.protocol, metrics: ev.metrics, timing: ev.timing }, null, 2) + '\n';
}

/**
 * Per-image scores as CSV: `name,path,score,target,label,width,height` (label empty when the
 * dataset has none). Scores keep full float64 precision so metrics can be recomputed exactly.
 */
export function scoresCsv(images: readonly ScoredImage[]): string {
  const lines = ['name,path,score,target,label,width,height'];
  for (const im of images) {
    lines.push(csvRow([im.name, im.path, im.score, im.target, im.label, im.width, im.height]));
  }
  return lines.join('\n') + '\n';
}

/** Create an output folder (and its parents); failures become one line naming the folder. */
export function makeOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`${dir}: cannot create output folder (${why})`);
  }
}

/** Write a report or scores file atomically; failures become one line naming the file. */
export function writeOutputFile(path: string, text: string): void {
  try {
    writeFileAtomicSync(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new Error(`${path}: cannot write (${why})`);
  }
}
