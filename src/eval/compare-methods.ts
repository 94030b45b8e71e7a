/**
 * `--methods all | name,name,...` plus `--weights` (repeatable) -> the methods of a comparison.
 * `all` is every registered parameter-free measure and `focuslitenn` (the built-in model); each
 * --weights file adds a trained FocusLiteNN (focuslite JSON or an original .pt) or an ONNX model.
 */
import { basename } from 'node:path';
import '../core/measures/register-builtin.js';
import { FOCUSLITENN, focusLiteNNLabel } from '../core/measures/focuslitenn.js';
import { resolveModel } from '../io/model-source.js';
import { isOnnxPath } from '../io/onnx/measure.js';
import { loadModel } from '../io/weights-file.js';
import { focusLiteNNSpec } from '../runtime/measure-spec.js';
import { methodNames } from '../pipeline/measure-source.js';
import type { CompareMethod } from './compare.js';

/** Parse `all` or a comma-separated list (duplicates dropped, order kept); unknown names are one error. */
export function parseMethodList(text: string): string[] {
  const known = methodNames();
  const wanted = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (wanted.length === 0) throw new Error(`Expected all or a comma-separated list of methods for --methods but received ${JSON.stringify(text)}`);
  if (wanted.includes('all')) return known;
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`Unknown method${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} for --methods; known: all, ${known.join(', ')}`);
  return [...new Set(wanted)];
}

export interface MethodChoice {
  methods: string;
  weights?: readonly string[];
  /** conv kernel backend for FocusLiteNN */
  kernel?: string;
}

export async function resolveCompareMethods(choice: MethodChoice): Promise<CompareMethod[]> {
  const weights = choice.weights ?? [];
  // `--weights` alone compares just those models; `--methods` adds registered measures to them
  const names = choice.methods === '' && weights.length > 0 ? [] : parseMethodList(choice.methods);
  const out: CompareMethod[] = [];
  for (const name of names) {
    if (name === FOCUSLITENN) {
      const { model } = await resolveModel(undefined);
      out.push({ spec: focusLiteNNSpec(model, choice.kernel), key: FOCUSLITENN, label: `${focusLiteNNLabel(model)} (built-in)` });
    } else {
      out.push({ spec: { type: 'registered', name } });
    }
  }
  for (const file of weights) {
    const stem = basename(file).replace(/\.[^.]+$/, '');
    if (isOnnxPath(file)) {
      out.push({ spec: { type: 'onnx', path: file }, key: `onnx:${stem}` });
    } else {
      const model = await loadModel(file);
      out.push({ spec: focusLiteNNSpec(model, choice.kernel), key: `${FOCUSLITENN}:${stem}`, label: `${focusLiteNNLabel(model)} (${basename(file)})` });
    }
  }
  if (out.length === 0) throw new Error('Expected at least one method (--methods or --weights)');
  return out;
}
