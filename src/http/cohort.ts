/**
 * The cohort index of one output folder made by `focuslite slide`: one entry per slide, read
 * from its `<name>.focus.json` (tolerantly: fields may be missing, newer writers may add
 * statuses and fields) plus the failed slides that have no focus.json, from summary.csv's
 * error rows. The folder is re-read when its modification time changes (outputs are written
 * atomically by rename, which touches the folder), so a finished job shows up without a restart.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { csvSummaryField, splitCsvLine } from '../core/csv.js';

export interface CohortEntry {
  /** the output name (`<name>.focus.json`), unique within the folder: the id in every URL */
  readonly id: string;
  /** status as written ('ok', 'error', or what newer batch runners record) */
  readonly status: string;
  /** the slide path recorded by the batch (may be relative to where `slide` ran) */
  readonly slide: string;
  readonly pass: boolean | null;
  /** the QC verdict as focus.json words it ('pass', 'fail', 'no tissue found', 'unsupported modality (fluorescence)', ...), or null */
  readonly verdict: string | null;
  /** why a slide has no pass/fail verdict (focus.json qc.reason), or '' */
  readonly reason: string;
  readonly blurShare: number | null;
  readonly tissueMm2: number | null;
  readonly crops: number | null;
  readonly mean: number | null;
  readonly p90: number | null;
  readonly scanDate: string | null;
  readonly error: string;
  readonly reader: string | null;
  readonly format: string | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly warnings: readonly string[];
  /** focus.json file name inside the folder, when there is one */
  readonly focusJson: string | null;
}

const FOCUS_SUFFIX = '.focus.json';

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** One entry from a parsed focus.json; `id` is its file name without `.focus.json`. */
export function entryFromFocusJson(id: string, file: string, doc: unknown): CohortEntry {
  const d = obj(doc);
  const score = obj(d.score), blur = obj(d.blur), qc = obj(d.qc), tissue = obj(d.tissue), meta = obj(d.metadata), dims = obj(d.dimensions);
  const status = str(d.status) ?? 'ok';
  const warnings = Array.isArray(d.warnings) ? d.warnings.filter((w): w is string => typeof w === 'string') : [];
  return {
    id,
    status,
    slide: str(d.slide) ?? '',
    pass: typeof qc.pass === 'boolean' ? qc.pass : null,
    verdict: str(qc.verdict) ?? (typeof qc.pass === 'boolean' ? (qc.pass ? 'pass' : 'fail') : null),
    reason: str(qc.reason) ?? '',
    blurShare: num(blur.shareOfTissueAbove) ?? num(blur.share),
    tissueMm2: num(tissue.areaMm2),
    crops: num(d.cropsScored),
    mean: num(score.mean),
    p90: num(score.p90),
    scanDate: str(meta.scanDate),
    error: str(d.error) ?? '',
    reader: str(d.reader),
    format: str(d.slideFormat),
    width: num(dims.width),
    height: num(dims.height),
    warnings,
    focusJson: file,
  };
}

/** Rows of a CSV text with a header, as objects keyed by the header's names (quoted newlines are not expected). */
export function csvRecords(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const head = splitCsvLine(lines[0]!);
  return lines.slice(1).map((l) => {
    const f = splitCsvLine(l);
    return Object.fromEntries(head.map((h, i) => [h, f[i] ?? '']));
  });
}

/** Entries of failed slides from summary.csv (rows whose status is not ok/skipped and that have no focus.json). */
export function failedFromSummary(text: string, known: ReadonlySet<string>): CohortEntry[] {
  const out: CohortEntry[] = [];
  for (const r of csvRecords(text)) {
    const id = r.name ?? '';
    if (!id || known.has(id) || r.status === 'ok' || r.status === 'skipped') continue;
    out.push({
      id, status: r.status || 'error', slide: r.slide ?? '', pass: null, verdict: null, reason: '', blurShare: null, tissueMm2: null, crops: null, mean: null, p90: null,
      scanDate: null, error: r.error ?? '', reader: null, format: null, width: null, height: null, warnings: [], focusJson: null,
    });
  }
  return out;
}

/** Read the whole folder now (unparseable focus.json files become error entries). */
export function readCohort(outDir: string): CohortEntry[] {
  const entries: CohortEntry[] = [];
  const names = readdirSync(outDir).filter((f) => f.endsWith(FOCUS_SUFFIX)).sort();
  for (const file of names) {
    const id = file.slice(0, -FOCUS_SUFFIX.length);
    try {
      entries.push(entryFromFocusJson(id, file, JSON.parse(readFileSync(join(outDir, file), 'utf8'))));
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      entries.push({ ...entryFromFocusJson(id, file, {}), status: 'error', error: `${file}: unreadable focus.json (${why})` });
    }
  }
  let summary = '';
  try {
    summary = readFileSync(join(outDir, 'summary.csv'), 'utf8');
  } catch {
    // no summary yet: only focus.json files
  }
  entries.push(...failedFromSummary(summary, new Set(entries.map((e) => e.id))));
  return entries.sort((a, b) => a.id.localeCompare(b.id));
}

/** The cohort of a folder, re-read only when the folder has changed. */
export class CohortIndex {
  private cached: { stamp: string; entries: CohortEntry[]; byId: Map<string, CohortEntry> } | null = null;

  constructor(readonly outDir: string) {}

  private stamp(): string {
    const s = statSync(this.outDir);
    let summary = 0;
    try {
      summary = statSync(join(this.outDir, 'summary.csv')).mtimeMs;
    } catch {
      // none
    }
    return `${s.mtimeMs}:${summary}`;
  }

  entries(): CohortEntry[] {
    return this.load().entries;
  }

  get(id: string): CohortEntry | undefined {
    return this.load().byId.get(id);
  }

  /** Forget the cache (after a job wrote into the folder). */
  invalidate(): void {
    this.cached = null;
  }

  private load() {
    const stamp = this.stamp();
    if (!this.cached || this.cached.stamp !== stamp) {
      const entries = readCohort(this.outDir);
      this.cached = { stamp, entries, byId: new Map(entries.map((e) => [e.id, e])) };
    }
    return this.cached;
  }
}

const CSV_COLUMNS: Array<[string, (e: CohortEntry) => unknown]> = [
  ['id', (e) => e.id], ['slide', (e) => e.slide], ['status', (e) => e.status], ['qc', (e) => e.verdict ?? (e.pass === null ? '' : e.pass ? 'pass' : 'fail')],
  ['blur_share', (e) => e.blurShare], ['tissue_mm2', (e) => e.tissueMm2], ['crops', (e) => e.crops], ['mean', (e) => e.mean], ['p90', (e) => e.p90],
  ['scan_date', (e) => e.scanDate], ['error', (e) => e.error],
];

/** The cohort table as CSV (the cohort page's download). */
export function cohortCsv(entries: readonly CohortEntry[]): string {
  return [CSV_COLUMNS.map(([h]) => h).join(','), ...entries.map((e) => CSV_COLUMNS.map(([, f]) => csvSummaryField(f(e))).join(','))].join('\n') + '\n';
}
