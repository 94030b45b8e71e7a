/** ONNX test helpers: whether onnxruntime-node is here, and the official exports in ../shared. */
import { onnxRuntimeAvailable } from '../../../src/io/onnx/measure.js';
import { sharedOnly, sharedPath } from '../../helpers.js';

export const ORT_AVAILABLE = await onnxRuntimeAvailable();

/**
 * Skip only when onnxruntime-node is absent (an install that left the optional package out); it is
 * in optionalDependencies, so CI (CI=true) has it and a missing one fails there.
 */
export function onnxOnly(): { skip: string | false } {
  if (ORT_AVAILABLE) return { skip: false };
  if (process.env.CI) throw new Error('CI run without onnxruntime-node (it is in optionalDependencies)');
  return { skip: 'onnxruntime-node is not installed: ONNX test skipped' };
}

/** Both conditions: ONNX Runtime and the shared reference exports. */
export function onnxSharedOnly(): { skip: string | false } {
  const a = onnxOnly();
  return a.skip ? a : sharedOnly();
}

export const officialOnnx = (name: string): string => sharedPath('reference', 'official-onnx', `${name}.onnx`);
