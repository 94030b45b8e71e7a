/**
 * Crop forward passes for training and validation, in this thread or on worker threads.
 *
 * A request names crops (cached image index + origin); the crops are cut from the pixel cache
 * and stacked into one tall image (cropSize wide), which the conv kernel pools in one call. With
 * several threads the request is split into contiguous chunks, one per worker, and the results
 * are concatenated in order, so the outcome does not depend on the thread count.
 */
import type { ConvKernel, ConvWeights } from '../core/kernels/types.js';
import type { Pooling } from '../core/model.js';
import { WorkerPool } from '../pipeline/worker-pool.js';
import { concatForward, forwardCrops, type CropForward } from './model-grad.js';
import { openPixelReader, type PixelReader, type PixelStoreDescriptor } from './pixel-cache.js';
import { trainingKernel } from './kernel.js';
import { threads as checkThreads } from '../core/check.js';

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

/** Crops stacked in a reused buffer, pooled by the kernel. Shared by the local engine and workers. */
export class CropRunner {
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

export async function createEngine(options: EngineOptions): Promise<CropEngine> {
  const { threads } = options;
  checkThreads(threads);
  const kernel = trainingKernel(options.kernel);
  if (threads === 1) {
    const runner = new CropRunner(kernel, options);
    return {
      threads,
      kernelName: kernel.name,
      forward: async (req) => runner.run(req),
      close: async () => runner.close(),
    };
  }
  const pool = new WorkerPool(new URL('./crop-worker.js', import.meta.url), threads, {
    train: options.train,
    val: options.val ?? null,
    kernel: kernel.name,
  });
  return {
    threads,
    kernelName: kernel.name,
    async forward(req) {
      const n = req.images.length;
      const parts = Math.min(threads, n);
      if (parts <= 1) return pool.run<CropForward>(req);
      const jobs: Array<Promise<CropForward>> = [];
      for (let p = 0; p < parts; p++) {
        jobs.push(pool.run<CropForward>(sliceRequest(req, Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts))));
      }
      return concatForward(await Promise.all(jobs));
    },
    close: () => pool.close(),
  };
}
