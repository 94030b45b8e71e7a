/**
 * Scoring many image files: sharp decodes on its own threads (bounded concurrency), the conv runs
 * on a worker_threads pool (or inline for one thread). Results come back in input order; a file
 * that fails is reported with its reason and the rest carry on.
 */
import { availableParallelism } from 'node:os';
import { decodeImage } from '../io/decode.js';
import type { FocusLiteModel } from '../core/model.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../core/model.js';
import { transferablePixels, type ComputeResult, type ComputeTask } from '../runtime/compute-task.js';
import { createComputeEngine } from '../runtime/compute-engine.js';

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
}

export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Score files; yields one result per input, in input order.
 */
export async function* scoreFiles(files: readonly string[], model: FocusLiteModel, options: ScoreFilesOptions = {}): AsyncGenerator<FileResult> {
  const cropSize = options.cropSize ?? DEFAULT_CROP;
  const stride = options.stride ?? DEFAULT_STRIDE;
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new Error(`Expected integer between 1 and 256 for threads but received ${threads}`);
  }
  const compute = createComputeEngine(model, threads, options.kernel);
  // Enough decodes in flight to keep every compute thread and sharp's decoder threads busy,
  // bounded so memory stays at a few images per thread.
  const window = Math.max(2, threads * 2 + 1);
  const inFlight: Array<Promise<FileResult>> = [];
  let next = 0;
  const launch = (): void => {
    const file = files[next++]!;
    inFlight.push(scoreOne(file, cropSize, stride, compute.run));
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

async function scoreOne(file: string, cropSize: number, stride: number, run: (t: ComputeTask) => Promise<ComputeResult>): Promise<FileResult> {
  try {
    const t0 = performance.now();
    const image = await decodeImage(file);
    const decodeMs = performance.now() - t0;
    if (image.width < cropSize || image.height < cropSize) {
      return { ok: false, file, error: `${file}: image is ${image.width}x${image.height}, smaller than one ${cropSize}x${cropSize} crop` };
    }
    const pixels = transferablePixels(image.data);
    const res = await run({ width: image.width, height: image.height, pixels, cropSize, stride, label: file });
    return { ok: true, file, width: image.width, height: image.height, decodeMs, ...res };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, file, error: msg.startsWith(file) ? msg : `${file}: ${msg}` };
  }
}
