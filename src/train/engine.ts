/**
 * Crop forward passes for training and validation, on the runtime's compute engine.
 *
 * A request names crops (cached image index + origin); the crops are cut from the pixel cache
 * and stacked into one tall image (cropSize wide), which the conv kernel pools in one call. With
 * several threads the request is split into contiguous chunks, one per worker, and the results
 * are concatenated in order, so the outcome does not depend on the thread count.
 */
import type { ConvKernel, ConvWeights } from '../core/kernels/types.js';
import type { Pooling } from '../core/model.js';
import { concatForward, forwardCrops, type CropForward } from './model-grad.js';
import { openPixelReader, type PixelReader, type PixelStoreDescriptor } from './pixel-cache.js';
import { threads as checkThreads } from '../core/check.js';
import { createEngine as createComputeEngine, type TaskHandler } from '../runtime/engine.js';
import { pickKernel } from '../runtime/kernel.js';

export type StoreName = 'train' | 'val';

export interface ForwardRequest {
  readonly store: StoreName;
  /** cached image index of each crop */
  readonly images: Int32Array;
  readonly xs: Int32Array;
  readonly ys: Int32Array;
  readonly cropSize: number;
  readonly weights: ConvWeights;
  readonly pooling: Pooling;
  /** keep the patches under the extrema (training); validation needs only the features */
  readonly wantPatches: boolean;
}

export interface CropEngine {
  readonly threads: number;
  readonly kernelName: string;
  forward(req: ForwardRequest): Promise<CropForward>;
  close(): Promise<void>;
}

export interface EngineStores {
  train: PixelStoreDescriptor;
  val?: PixelStoreDescriptor | null;
}

/** Crops stacked in a reused buffer, pooled by the kernel: the task handler of the calling thread and of each worker. */
export class CropRunner implements TaskHandler<ForwardRequest, CropForward> {
  private buffer = new Uint8Array(0);
  private readonly readers: Partial<Record<StoreName, PixelReader>> = {};

  constructor(readonly kernel: ConvKernel, stores: EngineStores) {
    this.readers.train = openPixelReader(stores.train);
    if (stores.val) this.readers.val = openPixelReader(stores.val);
  }

  run(req: ForwardRequest): CropForward {
    const reader = this.readers[req.store];
    if (!reader) throw new Error(`No ${req.store} pixel cache was given to the crop runner`);
    const n = req.images.length;
    const size = req.cropSize;
    const cropBytes = size * size * 3;
    if (this.buffer.length < n * cropBytes) this.buffer = new Uint8Array(n * cropBytes);
    const data = this.buffer.subarray(0, n * cropBytes);
    const xs = new Int32Array(n);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      reader.readCrop(req.images[i]!, req.xs[i]!, req.ys[i]!, size, data, i * cropBytes);
      ys[i] = i * size;
    }
    return forwardCrops(this.kernel, req.weights, req.pooling, { width: size, height: size * n, data }, xs, ys, size, req.wantPatches);
  }

  /** In a worker: fresh copies of the results (the kernel may return views), transferred. */
  reply(f: CropForward): { result: CropForward; transfer: ArrayBuffer[] } {
    const result = detachForward(f);
    return { result, transfer: forwardTransferList(result) };
  }

  close(): void {
    for (const r of Object.values(this.readers)) r?.close();
  }
}

/** Copies into fresh buffers so they can be transferred (a kernel may return views). */
export function detachForward(f: CropForward): CropForward {
  return {
    count: f.count,
    kernels: f.kernels,
    mins: f.mins.slice(),
    maxs: f.maxs ? f.maxs.slice() : null,
    patchMin: f.patchMin ? f.patchMin.slice() : null,
    patchMax: f.patchMax ? f.patchMax.slice() : null,
  };
}

export function forwardTransferList(f: CropForward): ArrayBuffer[] {
  return [f.mins, f.maxs, f.patchMin, f.patchMax].filter((a) => a !== null).map((a) => a!.buffer as ArrayBuffer);
}

function sliceRequest(req: ForwardRequest, from: number, to: number): ForwardRequest {
  return { ...req, images: req.images.slice(from, to), xs: req.xs.slice(from, to), ys: req.ys.slice(from, to) };
}

export interface EngineOptions extends EngineStores {
  threads: number;
  /** kernel backend name (default: the best available) */
  kernel?: string;
}

/**
 * The crop engine on the runtime's compute engine (the calling thread plus threads - 1 workers).
 * A request is split into one contiguous chunk per thread and the results are concatenated in
 * order, so the outcome does not depend on the thread count or on where a chunk ran.
 */
export async function createEngine(options: EngineOptions): Promise<CropEngine> {
  const threads = checkThreads(options.threads);
  const kernel = pickKernel(options.kernel);
  const engine = createComputeEngine<ForwardRequest, CropForward>({
    threads,
    inline: new CropRunner(kernel, options),
    worker: new URL('./crop-worker.js', import.meta.url),
    workerData: { train: options.train, val: options.val ?? null, kernel: kernel.name },
  });
  return {
    threads,
    kernelName: kernel.name,
    async forward(req) {
      const n = req.images.length;
      const parts = Math.min(threads, n);
      if (parts <= 1) return engine.run(req);
      const jobs: Array<Promise<CropForward>> = [];
      for (let p = 0; p < parts; p++) {
        jobs.push(engine.run(sliceRequest(req, Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts))));
      }
      return concatForward(await Promise.all(jobs));
    },
    close: () => engine.close(),
  };
}
