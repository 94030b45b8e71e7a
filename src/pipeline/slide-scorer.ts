/**
 * What scores a slide, as the batch needs to know it: a FocusLiteNN model or any registered focus
 * measure or ONNX model (the FocusMeasure seam), with what outputs say about it (label, scale,
 * the block of focus.json), what resume compares (a fingerprint: other weights or another measure
 * mean scoring again), the resolution it was trained at and the threshold it carries. The engine
 * that scores the crops is built from `source`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MeasureInfo, MeasureSpec } from '../core/measures/measure-spec.js';
import { parameterCount, type FocusLiteModel, type ScoreScale } from '../core/model.js';
import { defaultThreshold as defaultThresholdOf } from '../core/score.js';
import type { MeasureSource } from '../runtime/compute-engine.js';
import type { FocusReport } from './focus-report.js';
import { modelFingerprint } from './slide-resume.js';

export interface SlideScorer {
  /** how outputs (GeoJSON, focus.json) name it: the --weights file, `built-in <file>`, or the method */
  readonly label: string;
  readonly scale: ScoreScale;
  /** training resolution in µm/px (FocusLiteNN models that record it); null: slides scored at level 0 or --mpp */
  readonly mpp: number | null;
  /** the default blur threshold it carries (derived from data), if any */
  readonly threshold: { readonly value: number } | null;
  /** resume compares it: a different value means the stored scores are not this scorer's */
  readonly fingerprint: string;
  /** what the heat map's legend says produced the scores (measures: their name; models: by scale) */
  readonly mapLabel?: string;
  /** focus.json's `model` block */
  readonly report: FocusReport['model'];
  /** what the compute engine runs */
  readonly source: MeasureSource;
}

/** A FocusLiteNN model (scored as is; its weights are the fingerprint). */
export function modelScorer(model: FocusLiteModel, label: string): SlideScorer {
  return {
    label, scale: model.scale, mpp: model.mpp, threshold: model.threshold, fingerprint: modelFingerprint(model),
    report: { file: label, kernels: model.kernels, pooling: model.pooling, scale: model.scale, parameters: parameterCount(model), source: model.provenance.source },
    source: model,
  };
}

/**
 * A registered measure (`--method`) or an ONNX model (`--weights x.onnx`). Registered measures
 * are their name; an ONNX model is the SHA-256 of its file, so the same file elsewhere resumes.
 */
export function measureScorer(info: MeasureInfo, spec: MeasureSpec, label: string): SlideScorer {
  const fingerprint = spec.type === 'onnx'
    ? `onnx:${createHash('sha256').update(readFileSync(spec.path)).digest('hex')}`
    : `measure:${info.name}`;
  return {
    label, scale: info.scale, mpp: null, threshold: null, fingerprint, mapLabel: info.name,
    report: { method: info.name, label: info.label, kind: info.kind, scale: info.scale, parameters: info.parameters, ...(spec.type === 'onnx' ? { file: spec.path } : {}) },
    source: spec,
  };
}

export function isSlideScorer(x: FocusLiteModel | SlideScorer): x is SlideScorer {
  return 'fingerprint' in x && 'source' in x;
}

/** Callers that hold a FocusLiteNN model pass it as it is; it is labelled with `label`. */
export function scorerOf(x: FocusLiteModel | SlideScorer, label: string): SlideScorer {
  return isSlideScorer(x) ? x : modelScorer(x, label);
}

/** Default blur threshold of a slide run: core/score's one rule (null: the user must give one). */
export function scorerThreshold(s: Pick<SlideScorer, 'scale' | 'threshold'>): number | null {
  return defaultThresholdOf(s.scale, s.threshold);
}
