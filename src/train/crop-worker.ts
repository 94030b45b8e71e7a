/** Worker entry for training crop forward passes (see engine.ts): opens the caches once, then serves requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { CropRunner, detachForward, forwardTransferList, type EngineStores, type ForwardRequest } from './engine.js';
import { trainingKernel } from './kernel.js';

const init = workerData as EngineStores & { kernel: string };
const runner = new CropRunner(trainingKernel(init.kernel), init);

parentPort!.on('message', (msg: { id: number; payload: ForwardRequest }) => {
  try {
    const result = detachForward(runner.run(msg.payload));
    parentPort!.postMessage({ id: msg.id, result }, forwardTransferList(result));
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
