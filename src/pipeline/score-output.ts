/**
 * Formatting per-file score results for the CLI: table, json, jsonl, csv. Every format says which
 * model and score scale produced the scores (a relative score and a z-level score of the same
 * image are different numbers): the table in a line above its header, JSON/JSONL as `model` and
 * `scale` fields of each record, CSV as two last columns (appended, so the columns scripts
 * already read keep their positions).
 */
import { SCALE_MEANING } from '../core/model-info.js';
import type { ScoreScale } from '../core/model.js';
import { csvField } from '../core/csv.js';
import type { FileScore } from './score-files.js';

export type ScoreFormat = 'table' | 'json' | 'jsonl' | 'csv';
export const SCORE_FORMATS: readonly ScoreFormat[] = ['table', 'json', 'jsonl', 'csv'];

export interface ScoreRecord {
  file: string;
  score: number;
  crops: number;
  rows: number;
  cols: number;
  width: number;
  height: number;
  /** the model that scored it (--weights as given, or `built-in <file>`) and its score scale */
  model: string;
  scale: ScoreScale;
  /** per-crop scores as rows x cols, when asked for */
  grid?: number[][];
  /** crop origins (image pixels), when the grid is asked for */
  xs?: number[];
  ys?: number[];
  /** the image's µm per pixel and the resolution scored at, when the image's is known */
  mpp?: number;
  scoredMpp?: number;
  /** side of a crop in image pixels, when the image was resampled to the model's resolution */
  cropPx?: number;
}

const round = (v: number): number => Number(v.toFixed(6));

export interface ScoredBy {
  /** how outputs name the model */
  readonly label: string;
  readonly scale: ScoreScale;
}

export function toRecord(r: FileScore, withGrid: boolean, by: ScoredBy): ScoreRecord {
  const rec: ScoreRecord = { file: r.file, score: round(r.score), crops: r.crops.length, rows: r.rows, cols: r.cols, width: r.width, height: r.height, model: by.label, scale: by.scale };
  // Only images of known pixel size carry these, so outputs for plain images stay as they were.
  if (r.mpp !== null && r.mpp !== undefined) {
    rec.mpp = round(r.mpp);
    rec.scoredMpp = round(r.scoredMpp ?? r.mpp);
    if (r.factor !== 1) rec.cropPx = r.cropPx;
  }
  if (withGrid) {
    rec.grid = gridRows(r.crops, r.rows, r.cols).map((row) => row.map(round));
    rec.xs = r.xs;
    rec.ys = r.ys;
  }
  return rec;
}

export function gridRows(crops: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, c) => crops[r * cols + c]!));
  return out;
}

/** CSV header; with the grid, one row per crop (long format) so any spreadsheet can pivot it. */
export function csvHeader(withGrid: boolean): string {
  return withGrid ? 'file,row,col,x,y,crop_score,image_score,model,scale' : 'file,score,crops,rows,cols,width,height,model,scale';
}

export function csvLines(rec: ScoreRecord): string[] {
  const f = csvField(rec.file);
  const by = `${csvField(rec.model)},${rec.scale}`;
  if (!rec.grid) return [`${f},${rec.score},${rec.crops},${rec.rows},${rec.cols},${rec.width},${rec.height},${by}`];
  const lines: string[] = [];
  rec.grid.forEach((row, r) => row.forEach((v, c) => lines.push(`${f},${r},${c},${rec.xs![c]},${rec.ys![r]},${v},${rec.score},${by}`)));
  return lines;
}

/**
 * The table's header: a line naming the model and its scale, then the column names. Rows are
 * printed as results arrive, so column widths are fixed rather than measured.
 */
export function tableHeader(by: ScoredBy): string[] {
  return [
    `model: ${by.label}; scale: ${by.scale} (${SCALE_MEANING[by.scale]})`,
    `${'score'.padStart(10)}  ${'crops'.padStart(6)}  ${'size'.padStart(11)}  file`,
  ];
}

export function tableLines(rec: ScoreRecord): string[] {
  const lines = [`${rec.score.toFixed(4).padStart(10)}  ${String(rec.crops).padStart(6)}  ${`${rec.width}x${rec.height}`.padStart(11)}  ${rec.file}`];
  if (rec.grid) {
    lines.push(`            per-crop grid ${rec.rows}x${rec.cols} (rows = y origins ${rec.ys!.join(',')}; cols = x origins ${rec.xs!.join(',')}):`);
    for (const row of rec.grid) lines.push('            ' + row.map((v) => v.toFixed(3).padStart(8)).join(' '));
  }
  return lines;
}
