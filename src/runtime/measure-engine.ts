/**
 * The compute engine over FocusMeasures: every thread (the calling one and each worker) builds
 * the same measures from their MeasureSpecs once, then scores ComputeTasks with the measure the
 * task names. The calling thread builds them first, so a spec that cannot be built (unknown name,
 * bad weights, onnxruntime-node missing) is one error before any worker starts.
 */
import type { TransferListItem } from 'node:worker_threads';
import { threads as checkThreads } from '../core/check.js';
import type { AnyFocusMeasure, MeasureInfo, MeasureSpec } from '../core/measures/measure-spec.js';
import { computeTask, type ComputeResult, type ComputeTask } from './compute-task.js';
import { createEngine, type TaskHandler } from './engine.js';
import { buildMeasure, buildMeasureSync, closeMeasure } from './measure-spec.js';

export interface MeasureEngine {
  readonly threads: number;
  /** the built measures' descriptions, in spec order (a task's `measure` indexes them) */
  readonly measures: readonly MeasureInfo[];
  run(task: ComputeTask): Promise<ComputeResult>;
  close(): Promise<void>;
}

export function measureHandler(measures: readonly AnyFocusMeasure[]): TaskHandler<ComputeTask, ComputeResult> {
  return {
    run: (task) => {
      const m = measures[task.measure ?? 0];
      if (!m) throw new Error(`no measure ${task.measure} (the engine has ${measures.length})`);
      return computeTask(m, task);
    },
    reply: (result) => ({ result, transfer: [result.crops.buffer as ArrayBuffer] }),
    close: async () => {
      await Promise.all(measures.map(closeMeasure));
    },
  };
}

export async function buildMeasures(specs: readonly MeasureSpec[]): Promise<AnyFocusMeasure[]> {
  const built: AnyFocusMeasure[] = [];
  try {
    for (const spec of specs) built.push(await buildMeasure(spec));
  } catch (err) {
    await Promise.all(built.map(closeMeasure));
    throw err;
  }
  return built;
}

export function measureInfo(m: AnyFocusMeasure): MeasureInfo {
  const { name, label, kind, parameters, scale, nativeUnit, reference } = m;
  // an ONNX model's parameter count may be counted from its initializers (reports mark it)
  const from = (m as { parametersFrom?: string }).parametersFrom;
  return { name, label, kind, parameters, scale, nativeUnit, ...(reference !== undefined ? { reference } : {}), ...(from !== undefined ? { parametersFrom: from } : {}) } as MeasureInfo;
}

export async function createMeasureEngine(specs: readonly MeasureSpec[], threads: number): Promise<MeasureEngine> {
  checkThreads(threads);
  if (specs.length === 0) throw new Error('Expected at least one focus measure');
  return engineOver(specs, await buildMeasures(specs), threads);
}

/**
 * The same engine built synchronously, for measures that need no asynchronous set-up (FocusLiteNN,
 * the registered measures; not ONNX models, whose session opens asynchronously).
 */
export function createMeasureEngineSync(specs: readonly MeasureSpec[], threads: number): MeasureEngine {
  checkThreads(threads);
  if (specs.length === 0) throw new Error('Expected at least one focus measure');
  return engineOver(specs, specs.map(buildMeasureSync), threads);
}

function engineOver(specs: readonly MeasureSpec[], measures: AnyFocusMeasure[], threads: number): MeasureEngine {
  const engine = createEngine<ComputeTask, ComputeResult>({
    threads,
    inline: measureHandler(measures),
    worker: new URL('./measure-worker.js', import.meta.url),
    workerData: { specs },
  });
  return {
    threads: engine.threads,
    measures: measures.map(measureInfo),
    // a SharedArrayBuffer is shared, not transferred (several measures read the same pixels)
    run: (task) => engine.run(task, task.pixels instanceof ArrayBuffer ? [task.pixels as TransferListItem] : []),
    close: () => engine.close(),
  };
}
