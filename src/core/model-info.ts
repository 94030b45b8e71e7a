/** A model's description for `focuslite info` and `focuslite import` (pure TS). */
import { FOCUSPATH_STEP_UM, parameterCount, type FocusLiteModel, type ModelThreshold, type Provenance, type ScoreUnit } from './model.js';

export interface ModelInfo {
  readonly file: string;
  readonly kernels: number;
  readonly pooling: FocusLiteModel['pooling'];
  readonly scale: FocusLiteModel['scale'];
  readonly parameters: number;
  /** training resolution, µm/px; null = unknown */
  readonly mpp: number | null;
  readonly unit: ScoreUnit | null;
  readonly threshold: ModelThreshold | null;
  readonly provenance: Provenance;
}

export function modelInfo(model: FocusLiteModel, file: string): ModelInfo {
  return {
    file,
    kernels: model.kernels,
    pooling: model.pooling,
    scale: model.scale,
    parameters: parameterCount(model),
    mpp: model.mpp,
    unit: model.unit,
    threshold: model.threshold,
    provenance: model.provenance,
  };
}

/** The training resolution in words, with what it means for scoring. */
export function mppText(mpp: number | null): string {
  return mpp === null
    ? 'unknown (images are scored as they are, slides at level 0 unless --mpp is given)'
    : `${mpp} µm/px (training resolution: slides and images with a known pixel size are resampled to it)`;
}

/** The unit of a z-level score in words. */
export function unitText(unit: ScoreUnit | null): string {
  if (unit === 'um') return 'um (µm of defocus)';
  if (unit === 'focuspath-step') {
    return `focuspath-step (FocusPath |z-level| steps; ${FOCUSPATH_STEP_UM === null ? 'their spacing in µm is not stated in the sources available here' : `1 step = ${FOCUSPATH_STEP_UM} µm`})`;
  }
  return 'unknown';
}

export const SCALE_MEANING: Record<FocusLiteModel['scale'], string> = {
  relative: 'PLCC-trained: only the ranking of scores is meaningful',
  'z-level': 'MSE-trained: score estimates |z-level|, 0 = in focus',
};

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * provenance.training of a model trained by focuslite (see train/trainer.ts), in words; null
 * when the model has no such record (imported or older models).
 */
export function trainingText(provenance: Provenance): string | null {
  const t = (provenance as Record<string, unknown>)['training'] as { epochsCompleted?: unknown; epochsPlanned?: unknown; finished?: unknown } | undefined;
  if (!t || typeof t !== 'object' || typeof t.epochsCompleted !== 'number' || typeof t.epochsPlanned !== 'number' || typeof t.finished !== 'boolean') return null;
  const epochs = `${t.epochsCompleted} of ${t.epochsPlanned} epochs`;
  return t.finished ? `${epochs}, finished` : `${epochs}, NOT FINISHED (the run was interrupted or failed; this is its best model so far)`;
}

/** Aligned `name: value` lines. */
export function formatModelInfo(info: ModelInfo): string[] {
  const rows: Array<[string, string]> = [
    ['file', info.file],
    ['kernels', String(info.kernels)],
    ['pooling', info.pooling],
    ['scale', `${info.scale} (${SCALE_MEANING[info.scale]})`],
    ['parameters', String(info.parameters)],
    ['mpp', mppText(info.mpp)],
    ...(info.scale === 'z-level' ? [['unit', unitText(info.unit)] as [string, string]] : []),
    ...(info.threshold ? [['threshold', `${info.threshold.value} (${info.threshold.method})`] as [string, string]] : []),
    ['source', info.provenance.source],
  ];
  const training = trainingText(info.provenance);
  if (training !== null) rows.push(['training', training]);
  for (const [k, v] of Object.entries(info.provenance)) {
    if (k !== 'source' && v !== undefined && !(k === 'training' && training !== null)) rows.push([k, valueText(v)]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`);
}

/** One line: `1 kernel, min pooling, relative scale, 148 parameters`. */
export function modelSummaryLine(model: FocusLiteModel): string {
  const kernels = `${model.kernels} kernel${model.kernels === 1 ? '' : 's'}`;
  const mpp = model.mpp === null ? 'training resolution unknown' : `trained at ${model.mpp} µm/px`;
  return `${kernels}, ${model.pooling} pooling, ${model.scale} scale, ${parameterCount(model)} parameters, ${mpp}`;
}
