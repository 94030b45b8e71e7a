/**
 * The conv kernel training runs on: `resolveKernel()` from the kernel index (the fastest backend
 * that initialises here, normally WebAssembly SIMD), or the one named explicitly or by
 * FOCUSLITE_KERNEL. Every backend returns the argmin/argmax positions training needs.
 */
import { resolveKernel, type ConvKernel } from '../core/kernels/index.js';

export function trainingKernel(name?: string): ConvKernel {
  return resolveKernel(name || process.env.FOCUSLITE_KERNEL || undefined);
}
