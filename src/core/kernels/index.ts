/**
 * Entry point for choosing a conv kernel: importing this module registers every backend, so
 * `resolveKernel()` returns the fastest one that initialises here (WebAssembly SIMD, else the
 * TS reference) and `resolveKernel(name)` a named one. Pure TS.
 */
import { referenceKernel } from './reference.js';
import { registerKernel } from './registry.js';
import './wasm.js';

registerKernel({ name: 'reference', priority: 0, create: () => referenceKernel });

export { registeredKernels, resolveKernel, unregisterKernel } from './registry.js';
export type { ConvKernel, ConvWeights, PoolRequest, PoolResult } from './types.js';
export { referenceKernel } from './reference.js';
export { createWasmKernel } from './wasm.js';
