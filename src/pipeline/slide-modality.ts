/**
 * Modality and verdicts of a slide in the batch: gathers what core/modality.ts decides from (the
 * thumbnail the plan already read, the reader's metadata), applies `--modality`, picks the tissue
 * detector, and names the outcomes that are not a QC verdict: "no tissue found" and
 * "unsupported modality (fluorescence)". Neither is a failure of the input nor a QC failure: they
 * get their own value in the summary's qc column and their own count, and leave the exit code alone.
 */
import type { RgbImage } from '../core/image.js';
import { decideModality, metadataEvidence, thumbnailStats, type Modality, type ModalityMode, type ThumbnailStats } from '../core/modality.js';
import type { SlideInfo } from '../io/slide/types.js';
import { detectTissue, type TissueOptions, type TissueResult } from '../core/tissue/detect.js';
import { detectTissueFluorescence } from '../core/tissue/fluorescence.js';

/**
 * The focus measure of `--modality fluorescence` (a registered, knowledge-based one): HVS-MaxPol-1
 * on each pixel's brightest channel. It leaves near-black pixels (gray <= 0.05) out by design, so
 * the dark background inside a crop does not count, and its MaxPol kernels model natural-image
 * sharpness, not brightfield stain (README: Fluorescence).
 */
export const FLUORESCENCE_MEASURE = 'hvs-maxpol-1';

export interface SlideModality {
  /** what --modality asked for */
  readonly mode: ModalityMode;
  /** what the slide looks like (thumbnail + metadata) */
  readonly detected: Modality;
  /** how it is processed: null = not scored (a fluorescence slide under --modality auto) */
  readonly used: Modality | null;
  readonly basis: string;
  readonly reasons: readonly string[];
  readonly stainHints: readonly string[];
  readonly thumbnail: ThumbnailStats;
  /** set when the processing differs from what the slide looks like (forced by --modality) */
  readonly warning: string | null;
}

export function slideModality(info: Pick<SlideInfo, 'format' | 'properties'>, thumbnail: RgbImage, mode: ModalityMode): SlideModality {
  const stats = thumbnailStats(thumbnail);
  const d = decideModality(stats, metadataEvidence(info.format, info.properties));
  const used: Modality | null = mode === 'auto' ? (d.modality === 'brightfield' ? 'brightfield' : null) : mode;
  const warning = mode !== 'auto' && mode !== d.modality
    ? `the slide looks ${d.modality} (${d.basis}) but was processed as ${mode}, as --modality ${mode} asks`
    : null;
  return { mode, detected: d.modality, used, basis: d.basis, reasons: d.reasons, stainHints: d.stainHints, thumbnail: stats, warning };
}

/** The tissue detector of a modality (fluorescence: foreground = bright). */
export function detectTissueAs(modality: Modality, thumbnail: RgbImage, opts: Pick<TissueOptions, 'downsample' | 'mpp'>): TissueResult {
  return modality === 'fluorescence' ? detectTissueFluorescence(thumbnail, opts) : detectTissue(thumbnail, opts);
}

/** What focus.json's `verdict` holds. */
export type SlideVerdict = 'pass' | 'fail' | 'no-tissue' | 'unsupported-modality';

export function verdictOf(modality: Pick<SlideModality, 'used'>, cropsScored: number, pass: boolean | null): SlideVerdict {
  if (modality.used === null) return 'unsupported-modality';
  if (cropsScored === 0) return 'no-tissue';
  return pass ? 'pass' : 'fail';
}

/** The words of a verdict in summary.csv's qc column, on the heat map and on the console. */
export function verdictText(verdict: SlideVerdict, detected?: Modality): string {
  switch (verdict) {
    case 'no-tissue': return 'no tissue found';
    case 'unsupported-modality': return `unsupported modality (${detected ?? 'fluorescence'})`;
    default: return verdict;
  }
}

/** Why a slide has no verdict, one line (focus.json `qc.reason`, the heat map's legend). */
export function verdictReason(verdict: SlideVerdict, modality: Pick<SlideModality, 'detected'>, tissueFraction: number, minTissue: number): string | null {
  if (verdict === 'unsupported-modality') {
    return `the slide looks ${modality.detected}; FocusLiteNN was trained on brightfield slides, so it is not scored (--modality fluorescence maps it with ${FLUORESCENCE_MEASURE})`;
  }
  if (verdict === 'no-tissue') {
    return tissueFraction === 0
      ? 'the tissue detector found no tissue on the thumbnail'
      : `no crop has at least ${Number((minTissue * 100).toFixed(1))}% tissue (tissue is ${Number((tissueFraction * 100).toFixed(2))}% of the thumbnail)`;
  }
  return null;
}

/** focus.json's `modality` block. */
export interface ModalityJson {
  mode: ModalityMode;
  detected: Modality;
  used: Modality | null;
  basis: string;
  reasons: readonly string[];
  stainHints: readonly string[];
  thumbnail: { darkFraction: number; brightFraction: number; medianBrightness: number; channelP99: readonly number[]; grey: boolean };
  warning: string | null;
  measure?: string;
  measureInput?: string;
}

export function modalityJson(m: SlideModality): ModalityJson {
  return {
    mode: m.mode,
    detected: m.detected,
    used: m.used,
    basis: m.basis,
    reasons: m.reasons,
    stainHints: m.stainHints,
    thumbnail: {
      darkFraction: m.thumbnail.darkFraction,
      brightFraction: m.thumbnail.brightFraction,
      medianBrightness: m.thumbnail.medianLuma,
      channelP99: m.thumbnail.channelP99,
      grey: m.thumbnail.grey,
    },
    warning: m.warning,
    ...(m.used === 'fluorescence' ? { measure: FLUORESCENCE_MEASURE, measureInput: "each pixel's brightest channel" } : {}),
  };
}

/**
 * What the heat map adds for a modality and verdict: a banner when there is no verdict, and short
 * legend notes (the reasons are in focus.json; long lines would widen the legend panel).
 */
export function heatmapExtras(verdict: SlideVerdict, m: Pick<SlideModality, 'used' | 'detected'>): { banner?: string; notes: string[]; scoreLabel?: string } {
  const notes: string[] = [];
  if (verdict === 'no-tissue') notes.push('no tissue found: no crop had enough tissue to be scored');
  if (verdict === 'unsupported-modality') notes.push(`${m.detected} slide: not scored (brightfield model); see focus.json`);
  if (m.used === 'fluorescence') notes.push(`fluorescence: ${FLUORESCENCE_MEASURE} on the brightest channel`);
  const banner = verdict === 'no-tissue' || verdict === 'unsupported-modality' ? verdictText(verdict, m.detected).toUpperCase() : undefined;
  return { ...(banner ? { banner } : {}), notes, ...(m.used === 'fluorescence' ? { scoreLabel: `${FLUORESCENCE_MEASURE}, fluorescence` } : {}) };
}

/** The modality a focus.json recorded; files written before modality detection were brightfield. */
export function storedModality(m: ModalityJson | undefined): Pick<SlideModality, 'used' | 'detected'> {
  return m ?? { used: 'brightfield', detected: 'brightfield' };
}

/** The verdict words of a report: focus.json `verdict`, and `qc` with its verdict text and reason. */
export function judged<Q extends { pass: boolean | null }>(qc: Q, m: Pick<SlideModality, 'used' | 'detected'>, cropsScored: number, tissueFraction: number, minTissue: number) {
  const pass = m.used === null ? null : qc.pass;
  const verdict = verdictOf(m, cropsScored, pass);
  return { verdict, qc: { ...qc, pass, verdict: verdictText(verdict, m.detected), reason: verdictReason(verdict, m, tissueFraction, minTissue) } };
}

/** The score scale of a slide's maps: fluorescence scores (hvs-maxpol-1) are relative. */
export function mapScale<S extends string>(m: Pick<SlideModality, 'used'>, modelScale: S): S | 'relative' {
  return m.used === 'fluorescence' ? 'relative' : modelScale;
}
