/**
 * The training defaults of the original FocusLiteNN code, in a module of their own so the CLI can
 * show them in --help without loading the trainer (and sharp, through its pixel cache).
 */
import type { TrainConfig } from './checkpoint.js';

export const DEFAULT_CONFIG: TrainConfig = {
  kernels: 1,
  pooling: 'min',
  loss: 'plcc',
  epochs: 120,
  batchSize: 50,
  lr: 0.01,
  stepSize: 60,
  gamma: 0.1,
  seed: 1,
  cropSize: 235,
  valCrops: 1,
};
