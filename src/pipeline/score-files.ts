/**
 * Scoring many image files: sharp decodes on its own threads (bounded concurrency), the conv runs
 * on a worker_threads pool (or inline for one thread). Results come back in input order; a file
 * that fails is reported with its reason and the rest carry on.
 *
 * Memory is bounded whatever an image declares: the size is read from the header first; images
 * up to WHOLE_IMAGE_PIXELS are decoded whole, larger ones a band of crop rows at a time (a crop
 * needs only its own 235 rows), images above `maxPixels` are refused before decoding, and the
 * decoded pixels of all files in flight share one ByteBudget.
 *
 * Resolution: when both the image's pixel size (--mpp, else a microscope resolution the file
 * records) and the model's training resolution are known and differ by more than 5%, the image
 * is resampled to the model's resolution (core/resample.ts: area average down, Lanczos-3 up) and
 * the crop grid is laid on the resampled image; bands of a large image are resampled from their
 * own source rows with the exact phase (plus a filter margin), so they agree with a whole resample.
 * Crop origins are reported in the image's own pixels.
 */
import { availableParallelism } from 'node:os';
import { cropGrid, rowBands, type CropGrid, type RowBand } from '../core/grid.js';
import { cropImage, type RgbImage } from '../core/image.js';
import { AS_STORED_TOLERANCE, resampleMargin, resampleRgb } from '../core/resample.js';
import { imageScoreOf } from '../core/score.js';
import { decodeImage, decodeImageRows, DEFAULT_MAX_PIXELS, ImageTooLargeError, probeImage } from '../io/decode.js';
import type { MeasureScale } from '../core/measures/types.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../core/model.js';
import { ByteBudget } from '../runtime/byte-budget.js';
import { transferablePixels, type ComputeResult, type ComputeTask } from '../runtime/compute-task.js';
import { openComputeEngine, type ComputeEngine, type MeasureSource } from '../runtime/compute-engine.js';
import { threads as checkThreads } from '../core/check.js';

/** Images up to this many pixels (4096 x 4096, 48 MB of RGB) are decoded whole; larger ones in bands. */
export const WHOLE_IMAGE_PIXELS = 4096 * 4096;
/** A band holds about this many pixels (but always at least one crop row). */
export const BAND_PIXELS = 4096 * 4096;
/** Decoded RGB bytes of all files in flight: four whole 4096 x 4096 images. */
export const PIXEL_BUDGET_BYTES = 4 * 3 * WHOLE_IMAGE_PIXELS;
/** Default --max-pixels: libvips' own default limit (16383 x 16383). */
export const DEFAULT_SCORE_MAX_PIXELS = DEFAULT_MAX_PIXELS;

export interface FileScore extends ComputeResult {
  file: string;
  width: number;
  height: number;
  decodeMs: number;
  /** the image's µm per pixel (--mpp, else the file's), or null when unknown */
  mpp: number | null;
  /** µm per pixel the crops were scored at (the model's when resampled), or null when unknown */
  scoredMpp: number | null;
  /** image pixels per scored pixel (1 = scored as stored) */
  factor: number;
  /** side of one crop in the image's pixels (the crop size times factor, rounded) */
  cropPx: number;
}

export interface FileFailure {
  file: string;
  error: string;
}

export type FileResult = ({ ok: true } & FileScore) | ({ ok: false } & FileFailure);

export interface ScoreFilesOptions {
  /**
   * An open engine for `measure` to score on (a server keeps one for all its requests); the
   * caller closes it. Default: one opened for this call with `threads` and `kernel`.
   */
  engine?: ComputeEngine;
  cropSize?: number;
  stride?: number;
  /** compute threads (default: all cores) */
  threads?: number;
  /** kernel backend name (default: best available) */
  kernel?: string;
  /** refuse images with more pixels than this, from the header (default DEFAULT_SCORE_MAX_PIXELS) */
  maxPixels?: number;
  /** images above this many pixels are scored in row bands (default WHOLE_IMAGE_PIXELS; tests lower it) */
  wholeImagePixels?: number;
  /** pixels per band (default BAND_PIXELS) */
  bandPixels?: number;
  /**
   * `crops` (default): the crop grid, image score = mean of the crop scores. `image`: one score of
   * the whole image by the measure (`scoreImage`, as the paper ran the classic measures); the
   * result is a 1x1 grid, and the image must fit `wholeImagePixels` (it is decoded whole).
   */
  unit?: 'crops' | 'image';
  /** µm per pixel of every image (overrides what the files record) */
  mpp?: number;
  /** resolution to score at (default: the model's training resolution; null = as stored) */
  modelMpp?: number | null;
}

/** Image pixels per scored pixel for an image at `imageMpp` scored by a model at `modelMpp` (1 when either is unknown or they agree within 5%). */
export function imageFactor(imageMpp: number | null, modelMpp: number | null): number {
  if (imageMpp === null || modelMpp === null) return 1;
  const f = modelMpp / imageMpp;
  return Math.abs(f - 1) <= AS_STORED_TOLERANCE ? 1 : f;
}

/**
 * The training resolution of what scores: a FocusLiteNN model's `mpp`; the classic measures and
 * ONNX models carry none (null: images are scored as they are stored).
 */
export function mppOf(measure: MeasureSource): number | null {
  if ('type' in measure) return measure.type === 'focuslitenn' ? measure.weights.mpp ?? null : null;
  return measure.mpp;
}

export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Score files with a focus measure (a FocusLiteNN model, or any MeasureSpec: a registered measure,
 * an ONNX model); yields one result per input, in input order.
 */
export async function* scoreFiles(files: readonly string[], measure: MeasureSource, options: ScoreFilesOptions = {}): AsyncGenerator<FileResult> {
  const cropSize = options.cropSize ?? DEFAULT_CROP;
  const stride = options.stride ?? DEFAULT_STRIDE;
  const threads = checkThreads(options.threads ?? defaultThreads());
  const limits: Limits = {
    cropSize,
    stride,
    maxPixels: options.maxPixels ?? DEFAULT_SCORE_MAX_PIXELS,
    wholeImagePixels: options.wholeImagePixels ?? WHOLE_IMAGE_PIXELS,
    bandPixels: options.bandPixels ?? BAND_PIXELS,
    unit: options.unit ?? 'crops',
    mpp: options.mpp ?? null,
    modelMpp: options.modelMpp !== undefined ? options.modelMpp : mppOf(measure),
  };
  const budget = new ByteBudget(PIXEL_BUDGET_BYTES);
  const compute = options.engine ?? (await openComputeEngine(measure, threads, options.kernel));
  const scale = compute.measure.scale;
  // Enough decodes in flight to keep every compute thread and sharp's decoder threads busy,
  // bounded so memory stays at a few images per thread.
  const window = Math.max(2, threads * 2 + 1);
  const inFlight: Array<Promise<FileResult>> = [];
  let next = 0;
  const launch = (): void => {
    const file = files[next++]!;
    inFlight.push(scoreOne(file, scale, limits, budget, compute.run));
  };
  try {
    while (next < files.length && inFlight.length < window) launch();
    while (inFlight.length > 0) {
      const result = await inFlight.shift()!;
      if (next < files.length) launch();
      yield result;
    }
  } finally {
    if (!options.engine) await compute.close();
  }
}

interface Limits {
  cropSize: number;
  stride: number;
  maxPixels: number;
  wholeImagePixels: number;
  bandPixels: number;
  unit: 'crops' | 'image';
  mpp: number | null;
  modelMpp: number | null;
}

/** How an image is scored: its size as scored, and how that maps back to the image's pixels. */
interface Scoring {
  /** size of the image as scored (the resampled size when factor != 1) */
  width: number;
  height: number;
  /** image px per scored px */
  factor: number;
  mpp: number | null;
  scoredMpp: number | null;
}

/** The result's resolution fields, and crop origins mapped back to image pixels. */
function inImagePixels(res: ComputeResult, sc: Scoring, cropSize: number): Pick<FileScore, 'xs' | 'ys' | 'mpp' | 'scoredMpp' | 'factor' | 'cropPx'> {
  const back = (v: number): number => Math.round(v * sc.factor);
  return {
    xs: sc.factor === 1 ? res.xs : res.xs.map(back), ys: sc.factor === 1 ? res.ys : res.ys.map(back),
    mpp: sc.mpp, scoredMpp: sc.scoredMpp, factor: sc.factor, cropPx: Math.round(cropSize * sc.factor),
  };
}

type Run = (t: ComputeTask) => Promise<ComputeResult>;

const LIMIT_HINT = 'raise --max-pixels to score it in row bands (memory stays bounded; PNG and JPEG are then decoded once per band), or use `focuslite slide` for whole-slide images';

const WHOLE_IMAGE_HINT = 'a whole-image score needs the image decoded whole; score its crop grid instead (--crop/--stride), which is read in row bands';

async function scoreOne(file: string, scale: MeasureScale, limits: Limits, budget: ByteBudget, run: Run): Promise<FileResult> {
  const { cropSize } = limits;
  try {
    const t0 = performance.now();
    const probed = await probeImage(file);
    const { width, height } = probed;
    if (width * height > limits.maxPixels) throw new ImageTooLargeError(file, width, height, limits.maxPixels, LIMIT_HINT);
    const mpp = limits.mpp ?? probed.mpp;
    const factor = imageFactor(mpp, limits.modelMpp);
    const sc: Scoring = {
      width: factor === 1 ? width : Math.max(1, Math.floor(width / factor + 1e-9)),
      height: factor === 1 ? height : Math.max(1, Math.floor(height / factor + 1e-9)),
      factor, mpp, scoredMpp: factor === 1 ? mpp : limits.modelMpp,
    };
    if (limits.unit === 'image') {
      if (width * height > limits.wholeImagePixels) throw new ImageTooLargeError(file, width, height, limits.wholeImagePixels, WHOLE_IMAGE_HINT);
    } else if (sc.width < cropSize || sc.height < cropSize) {
      const at = factor === 1 ? '' : ` at the model's ${limits.modelMpp} µm/px (${width}x${height} at ${mpp} µm/px)`;
      return { ok: false, file, error: `${file}: image is ${sc.width}x${sc.height}${at}, smaller than one ${cropSize}x${cropSize} crop` };
    }
    // Both the image and (when resampled) its resampled copy are alive at once.
    if (width * height > limits.wholeImagePixels || sc.width * sc.height > limits.wholeImagePixels) {
      return await scoreInBands(file, width, height, sc, scale, limits, budget, run, t0);
    }
    const bytes = (width * height + (factor === 1 ? 0 : sc.width * sc.height)) * 3;
    await budget.acquire(bytes);
    try {
      const decoded = await decodeImage(file, file, { maxPixels: limits.wholeImagePixels });
      const image = factor === 1 ? decoded : resampleRgb(decoded, { width: sc.width, height: sc.height, scale: factor });
      const decodeMs = performance.now() - t0;
      const pixels = transferablePixels(image.data);
      const res = await run({ width: image.width, height: image.height, pixels, cropSize, stride: limits.stride, label: file, unit: limits.unit });
      return { ok: true, file, width, height, decodeMs, ...res, ...inImagePixels(res, sc, cropSize) };
    } finally {
      budget.release(bytes);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, file, error: msg.startsWith(file) ? msg : `${file}: ${msg}` };
  }
}

/**
 * A large image, one band of crop rows at a time: the next band decodes while the previous one is
 * scored. Each band is cut into chunks of at most CHUNK_COLS crop columns, scored as separate
 * tasks (on all threads), because the conv kernel's working memory grows with the width it spans.
 * Per-crop scores and the image score are exactly those of a whole decode (every crop lies inside
 * one band and one chunk; the image score comes from the raw outputs in crop order, as a whole image's does).
 */
async function scoreInBands(file: string, width: number, height: number, sc: Scoring, scale: MeasureScale, limits: Limits, budget: ByteBudget, run: Run, t0: number): Promise<FileResult> {
  const { cropSize } = limits;
  // The grid and bands are laid on the image as scored (resampled when factor != 1).
  const grid = cropGrid(sc.width, sc.height, cropSize, limits.stride, file);
  const bands = rowBands(grid, Math.max(cropSize, Math.floor(limits.bandPixels / Math.max(sc.width, width))));
  const crops = new Float64Array(grid.rows * grid.cols);
  let decodeMs = 0;
  let computeMs = 0;
  // The image score is the mean of the raw crop outputs, then the scale rule (imageScoreOf).
  const raw = new Float64Array(crops.length);
  const scoring: Array<Promise<unknown>> = [];
  try {
    for (const band of bands) {
      // The decoded band and its chunk copies are both alive while it is cut up (and, when
      // resampled, the band's source rows).
      const source = sourceRows(sc, height, band.top, band.height);
      const bytes = (2 * sc.width * band.height + (sc.factor === 1 ? 0 : width * source.rows)) * 3;
      await budget.acquire(bytes);
      let chunks: Array<Promise<void>>;
      try {
        const d0 = performance.now();
        const rows = await decodeImageRows(file, source.top, source.rows, file);
        const image = sc.factor === 1 ? rows
          : resampleRgb(rows, { width: sc.width, height: band.height, scale: sc.factor, x0: 0, y0: band.top * sc.factor - source.top });
        decodeMs += performance.now() - d0;
        chunks = bandChunks(grid, band, image).map(({ task, cols }) => run(task).then((res) => {
          let i = 0;
          for (let r = band.r0; r < band.r1; r++) {
            for (let c = cols[0]; c < cols[1]; c++, i++) {
              crops[r * grid.cols + c] = res.crops[i]!;
              raw[r * grid.cols + c] = res.rawCrops![i]!;
            }
          }
          computeMs += res.computeMs;
        }));
      } catch (err) {
        budget.release(bytes);
        throw err;
      }
      const scored = Promise.all(chunks).finally(() => budget.release(bytes));
      scored.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection meanwhile
      scoring.push(scored);
      // At most two bands of this image in memory: the one being scored and the next one decoding.
      if (scoring.length >= 2) await scoring[scoring.length - 2];
    }
    await Promise.all(scoring);
  } finally {
    // On a failure, let bands already handed to compute finish (and release their budget) first.
    await Promise.allSettled(scoring);
  }
  const res: ComputeResult = { score: imageScoreOf(scale, raw), crops, rows: grid.rows, cols: grid.cols, xs: [...grid.xs], ys: [...grid.ys], computeMs };
  return { ok: true, file, width, height, decodeMs: decodeMs || performance.now() - t0, ...res, ...inImagePixels(res, sc, cropSize) };
}

/** The image rows a band of scored rows needs: the band itself, or (resampled) its source rows plus the filter margin. */
function sourceRows(sc: Scoring, height: number, top: number, rows: number): { top: number; rows: number } {
  if (sc.factor === 1) return { top, rows };
  const m = resampleMargin(sc.factor);
  const y0 = Math.max(0, Math.floor(top * sc.factor) - m);
  const y1 = Math.min(height, Math.ceil((top + rows) * sc.factor) + m);
  return { top: y0, rows: Math.max(1, y1 - y0) };
}

/** Crop columns per compute task of a band (16 crops at stride 128: a 2,155-pixel-wide region). */
const CHUNK_COLS = 16;

/** A band cut into compute tasks of up to CHUNK_COLS crop columns, each with its own pixels. */
function bandChunks(grid: CropGrid, band: RowBand, image: RgbImage): Array<{ task: ComputeTask; cols: [number, number] }> {
  const out: Array<{ task: ComputeTask; cols: [number, number] }> = [];
  for (let c0 = 0; c0 < grid.cols; c0 += CHUNK_COLS) {
    const c1 = Math.min(grid.cols, c0 + CHUNK_COLS);
    const x0 = grid.xs[c0]!;
    const sub = cropImage(image, x0, 0, grid.xs[c1 - 1]! + grid.cropSize - x0, band.height);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let r = band.r0; r < band.r1; r++) {
      for (let c = c0; c < c1; c++) { xs.push(grid.xs[c]! - x0); ys.push(grid.ys[r]! - band.top); }
    }
    const task: ComputeTask = { width: sub.width, height: sub.height, pixels: transferablePixels(sub.data), cropSize: grid.cropSize, stride: grid.stride, label: '', xs, ys };
    out.push({ task, cols: [c0, c1] });
  }
  return out;
}
