/** Worker entry for scoring decoded images: receives the model once, then pixel buffers. */
import { parentPort, workerData } from 'node:worker_threads';
import { modelFromJson, type WeightsJson } from '../core/weights.js';
import { pipelineKernel } from './kernel.js';
import { computeTask, type ComputeTask } from './compute-task.js';

const init = workerData as { weights: WeightsJson; kernel?: string };
const model = modelFromJson(init.weights, 'model');
const kernel = pipelineKernel(init.kernel);

parentPort!.on('message', (msg: { id: number; payload: ComputeTask }) => {
  try {
    const result = computeTask(model, kernel, msg.payload);
    parentPort!.postMessage({ id: msg.id, result }, [result.crops.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
