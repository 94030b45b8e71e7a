/**
 * The scoring engine: ComputeTasks (decoded pixels + crop grid) scored by one focus measure on
 * the compute engine of engine.ts. Workers rebuild the measure from its MeasureSpec (a FocusLiteNN
 * model travels as weights JSON) and receive pixel buffers by transfer.
 */
import { isFocusLiteModel } from '../core/measures/focuslitenn.js';
import type { MeasureInfo, MeasureSpec } from '../core/measures/measure-spec.js';
import type { FocusLiteModel } from '../core/model.js';
import type { ComputeResult, ComputeTask } from './compute-task.js';
import { createMeasureEngine, createMeasureEngineSync } from './measure-engine.js';
import { focusLiteNNSpec } from './measure-spec.js';

export interface ComputeEngine {
  readonly threads: number;
  /** what scores the tasks (name, kind, parameters, scale, native unit) */
  readonly measure: MeasureInfo;
  run(task: ComputeTask): Promise<ComputeResult>;
  close(): Promise<void>;
}

/** A FocusLiteNN model (on the conv kernel named, default the fastest) or any measure spec. */
export type MeasureSource = FocusLiteModel | MeasureSpec;

export function specOf(source: MeasureSource, kernelName?: string): MeasureSpec {
  return isFocusLiteModel(source) ? focusLiteNNSpec(source, kernelName) : source;
}

/** The engine for a FocusLiteNN model or a measure that needs no asynchronous set-up (not ONNX). */
export function createComputeEngine(source: MeasureSource, threads: number, kernelName?: string): ComputeEngine {
  const engine = createMeasureEngineSync([specOf(source, kernelName)], threads);
  return { threads: engine.threads, measure: engine.measures[0]!, run: (t) => engine.run(t), close: () => engine.close() };
}

/** The engine for any measure, ONNX models included (their session opens before this resolves). */
export async function openComputeEngine(source: MeasureSource, threads: number, kernelName?: string): Promise<ComputeEngine> {
  const engine = await createMeasureEngine([specOf(source, kernelName)], threads);
  return { threads: engine.threads, measure: engine.measures[0]!, run: (t) => engine.run(t), close: () => engine.close() };
}
