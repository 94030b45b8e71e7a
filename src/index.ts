/** focuslite public API. */
export * from './core/model.js';
export * from './core/image.js';
export * from './core/grid.js';
export { parseWeights, serializeModel, modelToJson, modelFromJson, WEIGHTS_FORMAT, WEIGHTS_VERSION, type WeightsJson } from './core/weights.js';
export { scoreRgbImage, scoreCrops, type ImageScore, type ScoreOptions } from './core/score.js';
export type { ConvKernel, PoolRequest, PoolResult, ConvWeights } from './core/kernels/types.js';
export { decodeImage, DecodeError } from './io/decode.js';
export { loadModel, saveModel, type LoadModelOptions } from './io/weights-file.js';
export { importFocusLiteCheckpoint, readTorchCheckpoint, readTorchStateDict, CheckpointError, type TorchTensor, type TorchCheckpoint, type ImportOptions } from './io/torch/checkpoint.js';
export { modelInfo, formatModelInfo, type ModelInfo } from './core/model-info.js';
export { resolveModel, defaultModelPath } from './io/model-source.js';
export { scoreImage, type ScoreImageOptions } from './pipeline/score-image.js';
export { scoreFiles, type FileResult, type FileScore, type ScoreFilesOptions } from './pipeline/score-files.js';
export { WorkerPool } from './pipeline/worker-pool.js';
