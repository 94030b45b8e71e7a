/**
 * summary.csv: one row per slide of the output folder, built from every complete focus.json and
 * failure record in it (output-folder.ts), the latest of a slide's files winning. So it is right
 * however runs overlap: a run on part of a list, or two runs at once, never erase the others'
 * rows. It is written atomically under a lock (`summary.csv.lock`), and every run rewrites it
 * after each slide it finishes: the last rewrite sees every file written before it.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { waitForLock } from '../io/file-lock.js';
import type { FocusReport } from './focus-report.js';
import { verdictText } from './slide-modality.js';
import { OutputFolder, slideKey, type FailureRecord } from './output-folder.js';
import { csvSummaryField } from '../core/csv.js';

export interface SlideSummaryRow {
  slide: string;
  name: string;
  /**
   * `ok`: scored; `error`: failed. In one run's results also `skipped` (outputs up to date) and
   * `recomputed` (verdict recomputed from the stored tile scores); summary.csv says `ok` for both.
   */
  status: 'ok' | 'skipped' | 'recomputed' | 'error';
  crops: number;
  tissueMm2: number | null;
  mean: number | null;
  median: number | null;
  p90: number | null;
  blurShare: number | null;
  pass: boolean | null;
  /** the qc column when there is no pass/fail: "no tissue found", "unsupported modality (fluorescence)" */
  verdict?: string;
  /** the settings the verdict was made with */
  threshold: number | null;
  maxBlurShare: number | null;
  seconds: number | null;
  /** when the tile scores were computed (ISO time), '' for failures */
  scoredAt: string;
  error: string;
  /** why the slide was not scored at the resolution asked for (no MPP), else '' */
  warning: string;
  /** why the slide was scored again or its verdict recomputed (run results only, not in summary.csv) */
  note?: string;
}

/** A summary row from a focus.json. */
export function rowFromReport(r: FocusReport, status: SlideSummaryRow['status'] = 'ok', seconds: number | null = r.timingsMs.totalMs / 1000): SlideSummaryRow {
  return {
    slide: r.slide, name: r.name, status, crops: r.cropsScored, tissueMm2: r.tissue.areaMm2,
    mean: r.score?.mean ?? null, median: r.score?.median ?? null, p90: r.score?.p90 ?? null,
    blurShare: r.blur.shareOfTissueAbove, pass: r.qc.pass, threshold: r.blur.threshold, maxBlurShare: r.qc.maxBlurShare,
    seconds, scoredAt: r.scoredAt, error: '', warning: typeof r.scoring.warning === 'string' ? r.scoring.warning : '',
    ...(r.verdict === 'no-tissue' || r.verdict === 'unsupported-modality' ? { verdict: verdictText(r.verdict, r.modality?.detected) } : {}),
  };
}

export function rowFromFailure(f: Pick<FailureRecord, 'slide' | 'name' | 'error'>): SlideSummaryRow {
  return {
    slide: f.slide, name: f.name, status: 'error', crops: 0, tissueMm2: null, mean: null, median: null, p90: null,
    blurShare: null, pass: null, threshold: null, maxBlurShare: null, seconds: null, scoredAt: '', error: f.error, warning: '',
  };
}

export const SUMMARY_HEADER = 'slide,name,status,crops,tissue_mm2,mean,median,p90,blur_share,qc,seconds,error,warning,threshold,max_blur_share,scored_at';

export function summaryCsv(rows: readonly SlideSummaryRow[]): string {
  const lines = rows.map((r) =>
    [r.slide, r.name, r.status === 'error' ? 'error' : 'ok', r.crops, r.tissueMm2, r.mean, r.median, r.p90, r.blurShare,
      r.pass === null ? r.verdict ?? '' : r.pass ? 'pass' : 'fail', r.seconds, r.error, r.warning, r.threshold, r.maxBlurShare, r.scoredAt]
      .map(csvSummaryField)
      .join(','),
  );
  return [SUMMARY_HEADER, ...lines].join('\n') + '\n';
}

export interface FolderProblem {
  path: string;
  reason: string;
}

/**
 * One row per slide in the folder, in slide path order: its newest focus.json or failure record
 * (by createdAt). Also the focus.json files that were not used, with why.
 */
export function folderSummary(folder: OutputFolder): { rows: SlideSummaryRow[]; problems: FolderProblem[] } {
  const latest = new Map<string, { at: number; row: SlideSummaryRow }>();
  const offer = (key: string, at: number, row: SlideSummaryRow): void => {
    const cur = latest.get(key);
    if (!cur || at > cur.at) latest.set(key, { at, row });
  };
  const problems: FolderProblem[] = [];
  for (const e of folder.focusEntries()) {
    if (e.parsed.kind === 'ok') offer(slideKey(e.parsed.report), Date.parse(e.parsed.report.createdAt), rowFromReport(e.parsed.report));
    else problems.push({ path: e.path, reason: e.parsed.kind === 'corrupt' ? `corrupt focus.json: ${e.parsed.reason}` : e.parsed.reason });
  }
  for (const f of folder.failures()) offer(f.key, Date.parse(f.createdAt), rowFromFailure(f));
  const rows = [...latest.values()].map((v) => v.row).sort((a, b) => (a.slide < b.slide ? -1 : a.slide > b.slide ? 1 : a.name < b.name ? -1 : 1));
  return { rows, problems };
}

/** Rebuild `<dir>/summary.csv` from the folder, under its lock; returns what it wrote. */
export async function writeFolderSummary(folder: OutputFolder): Promise<{ rows: SlideSummaryRow[]; problems: FolderProblem[] }> {
  const path = join(folder.dir, 'summary.csv');
  const { lock } = await waitForLock(`${path}.lock`, 'summary.csv', { pollMs: 50, heartbeatMs: 0 });
  try {
    const result = folderSummary(folder);
    await writeFileAtomic(path, summaryCsv(result.rows));
    return result;
  } finally {
    lock.release();
  }
}
