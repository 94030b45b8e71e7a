/**
 * What a command scores with: `--weights` (focuslite JSON, an original .pt, or an ONNX model) and
 * `--method <name>` (a registered measure, or `focuslitenn`), resolved once in the main thread so
 * every problem is one line before any work, and turned into the MeasureSpec the workers rebuild.
 */
import '../core/measures/register-builtin.js';
import { FOCUSLITENN } from '../core/measures/focuslitenn.js';
import type { MeasureInfo, MeasureSpec } from '../core/measures/measure-spec.js';
import { getMeasure, hasMeasure, registeredMeasures } from '../core/measures/registry.js';
import type { FocusLiteModel } from '../core/model.js';
import { resolveModel } from '../io/model-source.js';
import { isOnnxPath } from '../io/onnx/measure.js';
import { measureInfo } from '../runtime/measure-engine.js';
import { buildMeasure, closeMeasure, focusLiteNNSpec } from '../runtime/measure-spec.js';

export interface ResolvedMeasure {
  readonly spec: MeasureSpec;
  readonly info: MeasureInfo;
  /** FocusLiteNN: the model itself (scored as is; its scale, name and provenance go into outputs) */
  readonly model?: FocusLiteModel;
  /** the weights file (given, or the built-in default) */
  readonly path?: string;
  /** how outputs name what scored: the method, the --weights file as given, or `built-in <file>` */
  readonly label: string;
}

/** Names `--method` accepts: `focuslitenn` and the registry's. */
export function methodNames(): string[] {
  return [FOCUSLITENN, ...registeredMeasures().filter((n) => n !== FOCUSLITENN)];
}

export interface MeasureChoice {
  weights?: string;
  method?: string;
  /** conv kernel backend for FocusLiteNN */
  kernel?: string;
}

export async function resolveMeasure(choice: MeasureChoice): Promise<ResolvedMeasure> {
  const method = choice.method;
  if (method !== undefined && method !== FOCUSLITENN) {
    if (!hasMeasure(method)) throw new Error(`Unknown method "${method}" for --method; known: ${methodNames().join(', ')}`);
    if (choice.weights !== undefined) {
      throw new Error(`--weights cannot be combined with --method ${method} (it has no weights; --weights selects a FocusLiteNN or ONNX model)`);
    }
    return { spec: { type: 'registered', name: method }, info: measureInfo(getMeasure(method)), label: method };
  }
  if (choice.weights !== undefined && isOnnxPath(choice.weights)) {
    const spec: MeasureSpec = { type: 'onnx', path: choice.weights };
    // opened once here, so a bad file or a missing onnxruntime-node is one line before any work
    const m = await buildMeasure(spec);
    try {
      return { spec, info: measureInfo(m), path: choice.weights, label: choice.weights };
    } finally {
      await closeMeasure(m);
    }
  }
  const { model, path, label } = await resolveModel(choice.weights);
  const spec = focusLiteNNSpec(model, choice.kernel);
  return { spec, info: measureInfo(await buildMeasure(spec)), model, path, label };
}

/** What scoreFiles and the engines take: the model itself for FocusLiteNN, else the spec. */
export function measureSource(m: ResolvedMeasure): FocusLiteModel | MeasureSpec {
  return m.model ?? m.spec;
}
