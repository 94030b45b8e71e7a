/**
 * MeasureSpec -> measure, on whichever thread runs it: the registry for parameter-free measures,
 * the weights plus the picked conv kernel for FocusLiteNN, an ONNX Runtime session for ONNX
 * models. Every thread of a compute engine builds its measures from the same specs, so where a
 * task runs never changes its result.
 */
import '../core/measures/register-builtin.js';
import { focusLiteNNMeasure } from '../core/measures/focuslitenn.js';
import type { AnyFocusMeasure, MeasureSpec } from '../core/measures/measure-spec.js';
import { getMeasure } from '../core/measures/registry.js';
import type { FocusMeasure } from '../core/measures/types.js';
import type { FocusLiteModel } from '../core/model.js';
import { modelFromJson, modelToJson } from '../core/weights.js';
import { pickKernel } from './kernel.js';

export async function buildMeasure(spec: MeasureSpec): Promise<AnyFocusMeasure> {
  if (spec.type !== 'onnx') return buildMeasureSync(spec);
  // loaded only for ONNX models: onnxruntime-node is optional
  const { loadOnnxMeasure } = await import('../io/onnx/measure.js');
  return loadOnnxMeasure(spec.path, spec.label !== undefined ? { label: spec.label } : {});
}

/** A measure that needs no asynchronous set-up; ONNX models (a session opens asynchronously) are refused. */
export function buildMeasureSync(spec: MeasureSpec): FocusMeasure {
  if (spec.type === 'registered') return getMeasure(spec.name);
  if (spec.type === 'focuslitenn') {
    const model = modelFromJson(spec.weights, spec.label ?? 'model');
    return focusLiteNNMeasure(model, pickKernel(spec.kernel), spec.label);
  }
  throw new Error(`${spec.path}: an ONNX model is opened asynchronously (use createMeasureEngine)`);
}

/** The spec of a FocusLiteNN model (what a worker needs to rebuild it). */
export function focusLiteNNSpec(model: FocusLiteModel, kernel?: string, label?: string): MeasureSpec {
  return { type: 'focuslitenn', weights: modelToJson(model), ...(kernel !== undefined ? { kernel } : {}), ...(label !== undefined ? { label } : {}) };
}

export async function closeMeasure(m: AnyFocusMeasure): Promise<void> {
  if ('close' in m && typeof m.close === 'function') await m.close();
}
