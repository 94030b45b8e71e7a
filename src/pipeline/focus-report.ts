/**
 * `<name>.focus.json`, the per-slide report and the batch's completion marker: its type, used by
 * the writer (slide-batch.ts slideReport) and by everything that reads it back (resume, the
 * folder-wide summary.csv), and its validation. Pure: reading and writing files is elsewhere.
 *
 * Resume trusts a focus.json only for the slide it names (`identity`: real path, size, mtime,
 * sampled bytes; see io/file-identity.ts) and the settings it records (`settings`), split by what
 * they change:
 * - `score`: settings that change the tile scores (the model's weights, --mpp, crop and stride,
 *   the model's training resolution, --min-tissue, the thumbnail the tissue mask is made on, the
 *   reader backend): any difference
 *   means the slide is scored again;
 * - `verdict`: settings that change only the verdict (--threshold, --max-blur-share): the blur
 *   share and QC verdict are recomputed from the stored tile scores, without rescoring;
 * - `output`: settings that change only how the outputs are drawn (--geojson-cells): the outputs
 *   are redrawn from the stored tiles.
 */
import type { ModalityMode } from '../core/modality.js';
import type { FileIdentity } from '../io/file-identity.js';
import type { ModalityJson, SlideVerdict } from './slide-modality.js';
import type { SummaryStats } from './slide-outputs.js';

export const FOCUS_REPORT_FORMAT = 'focuslite-slide-focus';
/** 2: identity and settings recorded (resume checks them); version 1 files are rescored. */
export const FOCUS_REPORT_VERSION = 2;

export interface ScoreSettings {
  /** SHA-256 of the model's weights and scoring fields (not its provenance): see modelFingerprint */
  model: string;
  /** --mpp (µm/px) asked for, or null for the default resolution */
  mpp: number | null;
  /** the model's training resolution scored at by default (µm/px; null = unknown) */
  modelMpp: number | null;
  cropSize: number;
  stride: number;
  minTissue: number;
  thumbnailSize: number;
  backend: string;
  /** --modality: fluorescence processing scores another way (absent in files before it: rescored) */
  modality?: ModalityMode;
}

export interface VerdictSettings {
  threshold: number;
  maxBlurShare: number;
}

export interface OutputSettings {
  geojsonCells: boolean;
}

export interface FocusReportSettings {
  score: ScoreSettings;
  verdict: VerdictSettings;
  output: OutputSettings;
}

export interface FocusReportBlur {
  threshold: number;
  /** numerator / denominator; null without scored tissue */
  shareOfTissueAbove: number | null;
  share: number | null;
  numerator: number;
  denominator: number;
  numerator_mm2?: number;
  denominator_mm2?: number;
  cells: number;
}

export interface FocusReport {
  format: typeof FOCUS_REPORT_FORMAT;
  version: typeof FOCUS_REPORT_VERSION;
  /** the slide as given to the run that scored it */
  slide: string;
  /** output name: `<name>.focus.json`, `<name>.tiles.csv`, ... */
  name: string;
  identity: FileIdentity;
  settings: FocusReportSettings;
  reader: string;
  slideFormat: string;
  dimensions: { width: number; height: number };
  levels: Array<{ width: number; height: number; downsample: number }>;
  mpp: { x: number; y: number } | null;
  objectivePower: number | null;
  metadata: unknown;
  warnings: string[];
  scoring: { level: number; resolutionFactor: number; mpp: number | null; cropSize: number; stride: number; minTissue: number; gridCrops: number; [key: string]: unknown };
  tissue: { method: string; fractionOfSlide: number; areaMm2: number | null; note: string };
  cropsScored: number;
  /** statistics of the tile scores; null when no crop was scored */
  score: SummaryStats | null;
  blur: FocusReportBlur;
  qc: { pass: boolean | null; maxBlurShare: number; rule: string; verdict?: string; reason?: string | null };
  /** pass | fail | no-tissue | unsupported-modality (slide-modality.ts) */
  verdict?: SlideVerdict;
  modality?: ModalityJson;
  maps: { thumbnail: { width: number; height: number }; [key: string]: unknown };
  timingsMs: { totalMs: number; [key: string]: number };
  /** the model, or under --modality fluorescence the measure that scored (`method`) */
  model: { file: string; kernels: number; pooling: string; scale: string; parameters: number; source: string; [key: string]: unknown }
    | { method: string; kind: string; scale: string; [key: string]: unknown };
  /** SHA-256 of `<name>.tiles.csv` as written with this report: a verdict is recomputed only from that file */
  tilesCsvSha256: string;
  /** when the tile scores were computed */
  scoredAt: string;
  /** when this file was written (a recomputed verdict rewrites it, keeping scoredAt) */
  createdAt: string;
  outputs: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Validation

export type ParsedFocusReport =
  | { kind: 'ok'; report: FocusReport }
  /** a focus.json of an older format: complete, but without what resume needs; `slide` if readable */
  | { kind: 'outdated'; slide: string | null; reason: string }
  | { kind: 'corrupt'; reason: string };

type Check = (v: unknown) => boolean;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const numOrNull: Check = (v) => v === null || num(v);
const str: Check = (v) => typeof v === 'string';
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const time: Check = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The fields resume and the summary read, with their checks (dotted paths). */
const FIELDS: ReadonlyArray<[string, Check]> = [
  ['slide', str], ['name', str],
  ['identity.path', str], ['identity.kind', (v) => v === 'file' || v === 'folder'], ['identity.size', num], ['identity.mtimeMs', num], ['identity.sha256', str],
  ['settings.score.model', str], ['settings.score.mpp', numOrNull], ['settings.score.modelMpp', numOrNull], ['settings.score.cropSize', num], ['settings.score.stride', num],
  ['settings.score.minTissue', num], ['settings.score.thumbnailSize', num], ['settings.score.backend', str], ['settings.score.modality', (v) => v === undefined || str(v)],
  ['settings.verdict.threshold', num], ['settings.verdict.maxBlurShare', num], ['settings.output.geojsonCells', (v) => typeof v === 'boolean'],
  ['cropsScored', (v) => Number.isInteger(v) && (v as number) >= 0],
  ['score', (v) => v === null || (obj(v) && ['count', 'mean', 'median', 'p90', 'min', 'max'].every((k) => numOrNull(v[k])))],
  ['tissue.areaMm2', numOrNull], ['blur.threshold', num], ['blur.shareOfTissueAbove', numOrNull],
  ['qc.pass', (v) => v === null || typeof v === 'boolean'], ['qc.maxBlurShare', num],
  ['mpp', (v) => v === null || (obj(v) && num(v.x) && num(v.y))],
  ['maps.thumbnail.width', num], ['maps.thumbnail.height', num], ['timingsMs.totalMs', num],
  ['tilesCsvSha256', str], ['scoring.warning', (v) => v === undefined || v === null || typeof v === 'string'],
  ['scoredAt', time], ['createdAt', time], ['outputs', obj],
];

function at(doc: unknown, path: string): unknown {
  let v = doc;
  for (const k of path.split('.')) v = obj(v) ? v[k] : undefined;
  return v;
}

/** Parse and check a focus.json's text: the report, an older format, or why it is corrupt. */
export function parseFocusReport(text: string): ParsedFocusReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const why = text.length === 0 ? 'empty file' : `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
    return { kind: 'corrupt', reason: why };
  }
  if (!obj(doc) || doc.format !== FOCUS_REPORT_FORMAT) return { kind: 'corrupt', reason: `not a focuslite focus.json (format ${JSON.stringify(obj(doc) ? doc.format : undefined)})` };
  if (doc.version !== FOCUS_REPORT_VERSION) {
    if (Number.isInteger(doc.version) && (doc.version as number) < FOCUS_REPORT_VERSION) {
      return { kind: 'outdated', slide: typeof doc.slide === 'string' ? doc.slide : null, reason: `written by an older focuslite (format version ${doc.version}: no slide identity or settings recorded)` };
    }
    return { kind: 'corrupt', reason: `unknown format version ${JSON.stringify(doc.version)}` };
  }
  for (const [path, check] of FIELDS) {
    if (!check(at(doc, path))) return { kind: 'corrupt', reason: `field ${path} is missing or invalid` };
  }
  return { kind: 'ok', report: doc as unknown as FocusReport };
}

// ---------------------------------------------------------------------------------------------
// Settings

export interface SettingsChanges {
  score: string[];
  verdict: string[];
  output: string[];
}

function changes<T extends object>(stored: T, now: T): string[] {
  const out: string[] = [];
  for (const key of Object.keys(now) as Array<keyof T>) {
    const a = stored[key], b = now[key];
    if (a === b) continue;
    const show = (v: unknown): string => (typeof v === 'string' && v.length === 64 ? v.slice(0, 12) : JSON.stringify(v));
    out.push(`${String(key)} ${show(a)} → ${show(b)}`);
  }
  return out;
}

/** What differs between the stored settings and this run's, by kind (`threshold 3 → 4`). */
export function settingsChanges(stored: FocusReportSettings, now: FocusReportSettings): SettingsChanges {
  return { score: changes(stored.score, now.score), verdict: changes(stored.verdict, now.verdict), output: changes(stored.output, now.output) };
}
