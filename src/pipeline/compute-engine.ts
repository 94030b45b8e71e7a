/**
 * Where conv compute runs. With one thread: inline on the calling thread. With n > 1: the calling
 * thread plus a pool of n - 1 worker threads (which receive the model once and pixel buffers by
 * transfer). Using the calling thread as one of the n matters on small machines: it is otherwise
 * mostly idle waiting for decodes, and an extra worker only adds contention (measured on 2 cores:
 * two workers were slower than one inline thread).
 */
import type { FocusLiteModel } from '../core/model.js';
import { modelToJson } from '../core/weights.js';
import { computeTask, type ComputeResult, type ComputeTask } from './compute-task.js';
import { pipelineKernel } from './kernel.js';
import { WorkerPool } from './worker-pool.js';
import { threads as checkThreads } from '../core/check.js';

export interface ComputeEngine {
  readonly threads: number;
  run(task: ComputeTask): Promise<ComputeResult>;
  close(): Promise<void>;
}

export function createComputeEngine(model: FocusLiteModel, threads: number, kernelName?: string): ComputeEngine {
  checkThreads(threads);
  const kernel = pipelineKernel(kernelName);
  // Yield to the event loop first so decodes already finished can be handed on before we block.
  const runInline = (task: ComputeTask): Promise<ComputeResult> =>
    new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(computeTask(model, kernel, task));
      } catch (err) {
        reject(err);
      }
    }));
  if (threads === 1) return { threads, run: runInline, close: async () => {} };

  const pool = new WorkerPool(new URL('./score-worker.js', import.meta.url), threads - 1, { weights: modelToJson(model), kernel: kernelName });
  let poolBusy = 0;
  let inlineBusy = false;
  const toPool = (task: ComputeTask): Promise<ComputeResult> => {
    poolBusy++;
    return pool.run<ComputeResult>(task, [task.pixels]).finally(() => poolBusy--);
  };
  return {
    threads,
    run(task) {
      if (poolBusy < pool.size) return toPool(task);
      if (!inlineBusy) {
        inlineBusy = true;
        return runInline(task).finally(() => {
          inlineBusy = false;
        });
      }
      return toPool(task);
    },
    close: () => pool.close(),
  };
}
