/**
 * The one place a conv kernel is picked, for scoring and training alike: the name given, else
 * FOCUSLITE_KERNEL, else the fastest backend that initialises here. An empty name (`--kernel ''`,
 * `FOCUSLITE_KERNEL=`) counts as not given, so it falls through to the next choice.
 */
import { resolveKernel } from '../core/kernels/index.js';
import type { ConvKernel } from '../core/kernels/types.js';

export function pickKernel(name?: string): ConvKernel {
  return resolveKernel(name || process.env.FOCUSLITE_KERNEL || undefined);
}
