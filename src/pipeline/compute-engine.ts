/**
 * Where conv compute runs: inline on the calling thread for one thread (no start-up cost), else on
 * a pool of worker threads that receive the model once and pixel buffers by transfer.
 */
import type { FocusLiteModel } from '../core/model.js';
import { modelToJson } from '../core/weights.js';
import { computeTask, type ComputeResult, type ComputeTask } from './compute-task.js';
import { pipelineKernel } from './kernel.js';
import { WorkerPool } from './worker-pool.js';

export interface ComputeEngine {
  readonly threads: number;
  run(task: ComputeTask): Promise<ComputeResult>;
  close(): Promise<void>;
}

export function createComputeEngine(model: FocusLiteModel, threads: number, kernelName?: string): ComputeEngine {
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new Error(`Expected integer between 1 and 256 for threads but received ${threads}`);
  }
  if (threads === 1) {
    const kernel = pipelineKernel(kernelName);
    return { threads, run: async (task) => computeTask(model, kernel, task), close: async () => {} };
  }
  const pool = new WorkerPool(new URL('./score-worker.js', import.meta.url), threads, { weights: modelToJson(model), kernel: kernelName });
  return {
    threads,
    run: (task) => pool.run<ComputeResult>(task, [task.pixels]),
    close: () => pool.close(),
  };
}
