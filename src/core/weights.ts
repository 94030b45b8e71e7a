/**
 * The project's own weights format: versioned JSON ("focuslite-weights", version 1). Pure TS.
 *
 * {
 *   "format": "focuslite-weights", "version": 1, "architecture": "FocusLiteNN",
 *   "kernels": N, "pooling": "min" | "min-max", "scale": "relative" | "z-level",
 *   "mpp": 0.5 | null,                       // training resolution, µm/px; absent or null = unknown
 *   "unit": "um" | "focuspath-step" | null,  // z-level models only: what one unit of score is
 *   "threshold": { "value": 1.2, "method": "...", ... },   // optional default blur threshold
 *   "tensors": {
 *     "conv.weight": { "shape": [N,3,7,7], "data": [...] },
 *     "conv.bias":   { "shape": [N], "data": [...] },
 *     "fc.weight":   { "shape": [1,F], "data": [...] },   // F = N (min) or 2N (min-max); absent for N=1 min
 *     "fc.bias":     { "shape": [1], "data": [...] }      // absent for N=1 min
 *   },
 *   "provenance": { "source": "...", ... }
 * }
 */
import { createModel, featureCount, hasLinearLayer, SCORE_UNITS, type FocusLiteModel, type ModelThreshold, type Pooling, type Provenance, type ScoreScale, type ScoreUnit } from './model.js';

export const WEIGHTS_FORMAT = 'focuslite-weights';
export const WEIGHTS_VERSION = 1;

interface TensorJson { shape: number[]; data: number[] }

export interface WeightsJson {
  format: typeof WEIGHTS_FORMAT;
  version: number;
  architecture: 'FocusLiteNN';
  kernels: number;
  pooling: Pooling;
  scale: ScoreScale;
  /** absent in files written before focuslite recorded it: unknown */
  mpp?: number | null;
  unit?: ScoreUnit | null;
  threshold?: ModelThreshold;
  tensors: Record<string, TensorJson>;
  provenance: Provenance;
}

/** float32 values written with enough digits to round-trip exactly. */
function tensor(shape: number[], data: Float32Array): TensorJson {
  return { shape, data: Array.from(data, (v) => Number(v.toPrecision(9))) };
}

export function modelToJson(model: FocusLiteModel): WeightsJson {
  const n = model.kernels;
  const tensors: Record<string, TensorJson> = {
    'conv.weight': tensor([n, 3, 7, 7], model.convWeight),
    'conv.bias': tensor([n], model.convBias),
  };
  if (hasLinearLayer(model)) {
    tensors['fc.weight'] = tensor([1, featureCount(model)], model.fcWeight!);
    tensors['fc.bias'] = tensor([1], Float32Array.of(model.fcBias));
  }
  return {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    architecture: 'FocusLiteNN',
    kernels: n,
    pooling: model.pooling,
    scale: model.scale,
    mpp: model.mpp,
    ...(model.scale === 'z-level' ? { unit: model.unit } : {}),
    ...(model.threshold ? { threshold: model.threshold } : {}),
    tensors,
    provenance: model.provenance,
  };
}

export function serializeModel(model: FocusLiteModel): string {
  const json = modelToJson(model);
  // One tensor per line keeps diffs of committed default weights readable.
  const lines = Object.entries(json.tensors).map(([k, t]) => `    ${JSON.stringify(k)}: ${JSON.stringify(t)}`);
  const head = { ...json, tensors: '__TENSORS__' };
  return JSON.stringify(head, null, 2).replace('"__TENSORS__"', `{\n${lines.join(',\n')}\n  }`) + '\n';
}

function fail(label: string, problem: string): never {
  throw new Error(`${label}: not a valid focuslite weights file: ${problem}`);
}

function readTensor(label: string, tensors: Record<string, unknown>, name: string, shape: number[]): number[] {
  const t = tensors[name] as Partial<TensorJson> | undefined;
  if (!t || typeof t !== 'object') fail(label, `missing tensor "${name}"`);
  if (!Array.isArray(t.shape) || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(label, `tensor "${name}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(t.data) || t.data.length !== size) fail(label, `tensor "${name}" should hold ${size} numbers`);
  if (t.data.some((v) => typeof v !== 'number' || !Number.isFinite(v))) fail(label, `tensor "${name}" holds a non-finite or non-numeric value`);
  return t.data;
}

/** Parse and validate a weights document; `label` (usually the file name) starts every error. */
export function parseWeights(text: string, label = 'weights'): FocusLiteModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(label, `invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return modelFromJson(doc, label);
}

export function modelFromJson(doc: unknown, label = 'weights'): FocusLiteModel {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(label, 'expected a JSON object');
  const d = doc as Partial<WeightsJson>;
  if (d.format !== WEIGHTS_FORMAT) fail(label, `"format" must be "${WEIGHTS_FORMAT}"`);
  if (d.version !== WEIGHTS_VERSION) fail(label, `unsupported version ${JSON.stringify(d.version)} (this focuslite reads version ${WEIGHTS_VERSION})`);
  if (d.architecture !== 'FocusLiteNN') fail(label, `"architecture" must be "FocusLiteNN"`);
  const n = d.kernels;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(label, '"kernels" must be a positive integer');
  if (d.pooling !== 'min' && d.pooling !== 'min-max') fail(label, '"pooling" must be "min" or "min-max"');
  if (d.scale !== 'relative' && d.scale !== 'z-level') fail(label, '"scale" must be "relative" or "z-level"');
  if (!d.tensors || typeof d.tensors !== 'object') fail(label, 'missing "tensors"');
  const provenance = d.provenance && typeof d.provenance === 'object' && typeof d.provenance.source === 'string'
    ? d.provenance
    : fail(label, '"provenance.source" must be a string');
  const mpp = d.mpp ?? null;
  if (mpp !== null && !(typeof mpp === 'number' && Number.isFinite(mpp) && mpp >= 0.01 && mpp <= 100)) fail(label, '"mpp" must be null or a number between 0.01 and 100 (µm per pixel)');
  const unit = d.unit ?? null;
  if (unit !== null && !SCORE_UNITS.includes(unit)) fail(label, `"unit" must be null or one of ${SCORE_UNITS.map((u) => `"${u}"`).join(', ')}`);
  if (unit !== null && d.scale !== 'z-level') fail(label, '"unit" is for z-level models only');
  const threshold = d.threshold ?? null;
  if (threshold !== null && (typeof threshold !== 'object' || typeof threshold.value !== 'number' || !Number.isFinite(threshold.value) || typeof threshold.method !== 'string')) {
    fail(label, '"threshold" must be an object with a finite "value" and a "method" string');
  }
  const tensors = d.tensors as Record<string, unknown>;
  const convWeight = readTensor(label, tensors, 'conv.weight', [n, 3, 7, 7]);
  const convBias = readTensor(label, tensors, 'conv.bias', [n]);
  const linear = hasLinearLayer({ kernels: n, pooling: d.pooling });
  const fcWeight = linear ? readTensor(label, tensors, 'fc.weight', [1, featureCount({ kernels: n, pooling: d.pooling })]) : null;
  // fc.bias is a float32 tensor like the others (9 written digits round-trip a float32 exactly).
  const fcBias = linear ? Math.fround(readTensor(label, tensors, 'fc.bias', [1])[0]!) : 0;
  try {
    return createModel({ kernels: n, pooling: d.pooling, scale: d.scale, convWeight, convBias, fcWeight, fcBias, mpp, unit, threshold, provenance });
  } catch (err) {
    fail(label, err instanceof Error ? err.message : String(err));
  }
}
