/** A model's description for `focuslite info` and `focuslite import` (pure TS). */
import { parameterCount, type FocusLiteModel, type Provenance } from './model.js';

export interface ModelInfo {
  readonly file: string;
  readonly kernels: number;
  readonly pooling: FocusLiteModel['pooling'];
  readonly scale: FocusLiteModel['scale'];
  readonly parameters: number;
  readonly provenance: Provenance;
}

export function modelInfo(model: FocusLiteModel, file: string): ModelInfo {
  return {
    file,
    kernels: model.kernels,
    pooling: model.pooling,
    scale: model.scale,
    parameters: parameterCount(model),
    provenance: model.provenance,
  };
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
  return `${kernels}, ${model.pooling} pooling, ${model.scale} scale, ${parameterCount(model)} parameters`;
}
