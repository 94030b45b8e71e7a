/** Worker entry for training crop forward passes (see engine.ts): opens the caches once, then serves requests. */
import { pickKernel } from '../runtime/kernel.js';
import { serveTasks } from '../runtime/engine.js';
import { CropRunner, type EngineStores } from './engine.js';

serveTasks((init: EngineStores & { kernel: string }) => new CropRunner(pickKernel(init.kernel), init));
