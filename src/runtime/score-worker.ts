/** Worker entry for scoring decoded images: receives the model once, then pixel buffers. */
import { modelFromJson, type WeightsJson } from '../core/weights.js';
import { computeHandler } from './compute-engine.js';
import { serveTasks } from './engine.js';

serveTasks((init: { weights: WeightsJson; kernel?: string }) => computeHandler(modelFromJson(init.weights, 'model'), init.kernel));
