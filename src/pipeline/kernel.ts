/** The one place the pipeline picks a conv kernel: FOCUSLITE_KERNEL overrides the priority choice. */
import { resolveKernel } from '../core/kernels/index.js';
import type { ConvKernel } from '../core/kernels/types.js';

export function pipelineKernel(name?: string): ConvKernel {
  return resolveKernel(name ?? (process.env.FOCUSLITE_KERNEL || undefined));
}
