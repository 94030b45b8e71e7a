/**
 * The scoring engine: ComputeTasks (decoded pixels + crop grid) on the compute engine of
 * engine.ts. Workers receive the model once (as weights JSON) and pixel buffers by transfer.
 */
import { threads as checkThreads } from '../core/check.js';
import type { FocusLiteModel } from '../core/model.js';
import { modelToJson } from '../core/weights.js';
import { computeTask, type ComputeResult, type ComputeTask } from './compute-task.js';
import { createEngine, type TaskHandler } from './engine.js';
import { pickKernel } from './kernel.js';

export interface ComputeEngine {
  readonly threads: number;
  run(task: ComputeTask): Promise<ComputeResult>;
  close(): Promise<void>;
}

/** The handler both threads run: one task scored with the model and kernel. */
export function computeHandler(model: FocusLiteModel, kernelName?: string): TaskHandler<ComputeTask, ComputeResult> {
  const kernel = pickKernel(kernelName);
  return {
    run: (task) => computeTask(model, kernel, task),
    reply: (result) => ({ result, transfer: [result.crops.buffer as ArrayBuffer] }),
  };
}

export function createComputeEngine(model: FocusLiteModel, threads: number, kernelName?: string): ComputeEngine {
  checkThreads(threads); // before the kernel is picked, so a bad count is the error reported
  const engine = createEngine<ComputeTask, ComputeResult>({
    threads,
    inline: computeHandler(model, kernelName),
    worker: new URL('./score-worker.js', import.meta.url),
    workerData: { weights: modelToJson(model), kernel: kernelName },
  });
  return { threads: engine.threads, run: (task) => engine.run(task, task.pixels instanceof ArrayBuffer ? [task.pixels] : []), close: () => engine.close() };
}
