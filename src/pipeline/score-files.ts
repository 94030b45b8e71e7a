/**
 * Scoring many image files: sharp decodes on its own threads (bounded concurrency), the conv runs
 * on a worker_threads pool (or inline for one thread). Results come back in input order; a file
 * that fails is reported with its reason and the rest carry on.
 *
 * Memory is bounded whatever an image declares: the size is read from the header first; images
 * up to WHOLE_IMAGE_PIXELS are decoded whole, larger ones a band of crop rows at a time (a crop
 * needs only its own 235 rows), images above `maxPixels` are refused before decoding, and the
 * decoded pixels of all files in flight share one ByteBudget.
 */
import { availableParallelism } from 'node:os';
import { cropGrid, rowBands, type CropGrid, type RowBand } from '../core/grid.js';
import { cropImage, type RgbImage } from '../core/image.js';
import { imageScoreOf } from '../core/score.js';
import { decodeImage, decodeImageRows, DEFAULT_MAX_PIXELS, ImageTooLargeError, probeImage } from '../io/decode.js';
import type { MeasureScale } from '../core/measures/types.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../core/model.js';
import { ByteBudget } from '../runtime/byte-budget.js';
import { transferablePixels, type ComputeResult, type ComputeTask } from '../runtime/compute-task.js';
import { openComputeEngine, type MeasureSource } from '../runtime/compute-engine.js';

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
}

export interface FileFailure {
  file: string;
  error: string;
}

export type FileResult = ({ ok: true } & FileScore) | ({ ok: false } & FileFailure);

export interface ScoreFilesOptions {
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
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new Error(`Expected integer between 1 and 256 for threads but received ${threads}`);
  }
  const limits: Limits = {
    cropSize,
    stride,
    maxPixels: options.maxPixels ?? DEFAULT_SCORE_MAX_PIXELS,
    wholeImagePixels: options.wholeImagePixels ?? WHOLE_IMAGE_PIXELS,
    bandPixels: options.bandPixels ?? BAND_PIXELS,
    unit: options.unit ?? 'crops',
  };
  const budget = new ByteBudget(PIXEL_BUDGET_BYTES);
  const compute = await openComputeEngine(measure, threads, options.kernel);
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
    await compute.close();
  }
}

interface Limits {
  cropSize: number;
  stride: number;
  maxPixels: number;
  wholeImagePixels: number;
  bandPixels: number;
  unit: 'crops' | 'image';
}

type Run = (t: ComputeTask) => Promise<ComputeResult>;

const LIMIT_HINT = 'raise --max-pixels to score it in row bands (memory stays bounded; PNG and JPEG are then decoded once per band), or use `focuslite slide` for whole-slide images';

const WHOLE_IMAGE_HINT = 'a whole-image score needs the image decoded whole; score its crop grid instead (--crop/--stride), which is read in row bands';

async function scoreOne(file: string, scale: MeasureScale, limits: Limits, budget: ByteBudget, run: Run): Promise<FileResult> {
  const { cropSize } = limits;
  try {
    const t0 = performance.now();
    const { width, height } = await probeImage(file);
    if (width * height > limits.maxPixels) throw new ImageTooLargeError(file, width, height, limits.maxPixels, LIMIT_HINT);
    if (limits.unit === 'image') {
      if (width * height > limits.wholeImagePixels) throw new ImageTooLargeError(file, width, height, limits.wholeImagePixels, WHOLE_IMAGE_HINT);
    } else if (width < cropSize || height < cropSize) {
      return { ok: false, file, error: `${file}: image is ${width}x${height}, smaller than one ${cropSize}x${cropSize} crop` };
    }
    if (width * height > limits.wholeImagePixels) return await scoreInBands(file, width, height, scale, limits, budget, run, t0);
    const bytes = width * height * 3;
    await budget.acquire(bytes);
    try {
      const image = await decodeImage(file, file, { maxPixels: limits.wholeImagePixels });
      const decodeMs = performance.now() - t0;
      const pixels = transferablePixels(image.data);
      const res = await run({ width: image.width, height: image.height, pixels, cropSize, stride: limits.stride, label: file, unit: limits.unit });
      return { ok: true, file, width: image.width, height: image.height, decodeMs, ...res };
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
async function scoreInBands(file: string, width: number, height: number, scale: MeasureScale, limits: Limits, budget: ByteBudget, run: Run, t0: number): Promise<FileResult> {
  const { cropSize } = limits;
  const grid = cropGrid(width, height, cropSize, limits.stride, file);
  const bands = rowBands(grid, Math.max(cropSize, Math.floor(limits.bandPixels / width)));
  const crops = new Float64Array(grid.rows * grid.cols);
  let decodeMs = 0;
  let computeMs = 0;
  // The image score is the mean of the raw crop outputs, then the scale rule (imageScoreOf).
  const raw = new Float64Array(crops.length);
  const scoring: Array<Promise<unknown>> = [];
  try {
    for (const band of bands) {
      // The decoded band and its chunk copies are both alive while it is cut up.
      const bytes = 2 * width * band.height * 3;
      await budget.acquire(bytes);
      let chunks: Array<Promise<void>>;
      try {
        const d0 = performance.now();
        const image = await decodeImageRows(file, band.top, band.height, file);
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
  return {
    ok: true, file, width, height, decodeMs: decodeMs || performance.now() - t0,
    score: imageScoreOf(scale, raw), crops, rows: grid.rows, cols: grid.cols, xs: [...grid.xs], ys: [...grid.ys], computeMs,
  };
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
