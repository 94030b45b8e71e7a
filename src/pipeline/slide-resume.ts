/**
 * Resume decisions for a slide batch: which output name a slide writes to, and whether its
 * existing focus.json can be kept, needs only its verdict recomputed, or the slide must be scored
 * again (see focus-report.ts for the settings' kinds). Never trusts an output for another slide:
 * names belong to the slide (real path) whose focus.json or failure record holds them, and a
 * slide changed under the same path is scored again.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { FocusLiteModel } from '../core/model.js';
import { modelToJson } from '../core/weights.js';
import { identityChange, type FileIdentity } from '../io/file-identity.js';
import { settingsChanges, type FocusReport, type FocusReportSettings, type ParsedFocusReport } from './focus-report.js';

/**
 * SHA-256 of what makes a model's scores: its weights file content without provenance (where it
 * came from) and without a threshold it may carry (that only sets the default --threshold, a
 * verdict setting). The same weights from another path or a re-import are the same model.
 */
export function modelFingerprint(model: FocusLiteModel): string {
  const { provenance: _p, ...rest } = modelToJson(model) as unknown as Record<string, unknown>;
  delete rest.threshold;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** The paths that name the same slide: as resolved, and with links resolved. */
export function slideKeys(file: string): Set<string> {
  const keys = new Set([resolve(file)]);
  try {
    keys.add(realpathSync(file));
  } catch {
    // missing: the error comes when it is opened
  }
  return keys;
}

/**
 * Output names for a batch: a slide keeps the name its earlier outputs have (found by `owners`,
 * name → slide real path); others get their file name without extension, or `-2`, `-3`, ... when
 * the name belongs to another slide in the folder or in this batch.
 */
export function assignNames(files: readonly string[], owners: ReadonlyMap<string, string>): string[] {
  const byOwner = new Map<string, string>();
  for (const [name, owner] of owners) if (!byOwner.has(owner)) byOwner.set(owner, name);
  const taken = new Set(owners.keys());
  const names: Array<string | null> = files.map((f) => {
    for (const k of slideKeys(f)) {
      const n = byOwner.get(k);
      if (n !== undefined) return n;
    }
    return null;
  });
  // Two list entries for one slide (a link and its target) share its name; the batch runs it twice.
  return names.map((n, i) => {
    if (n !== null) return n;
    const name = nextFreeName(files[i]!, taken);
    taken.add(name);
    return name;
  });
}

/** The file's stem, or stem-2, stem-3, ...: the first not in `taken`. */
export function nextFreeName(file: string, taken: ReadonlySet<string>): string {
  const stem = basename(file, extname(file));
  if (!taken.has(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.has(`${stem}-${n}`)) return `${stem}-${n}`;
}

export type ResumeDecision =
  | { action: 'score'; reason: string | null }
  | { action: 'skip'; report: FocusReport }
  | { action: 'recompute'; report: FocusReport; verdict: string[]; output: string[] };

/**
 * What to do with a slide given its name's focus.json (null: none) and this run's identity and
 * settings. `reason` says why an existing focus.json is not kept (null: there was none).
 */
export function decideResume(existing: ParsedFocusReport | null, focusPath: string, identity: FileIdentity, settings: FocusReportSettings, force: boolean): ResumeDecision {
  if (existing === null) return { action: 'score', reason: null };
  if (existing.kind === 'corrupt') return { action: 'score', reason: `${focusPath}: corrupt focus.json (${existing.reason}); scoring the slide again` };
  if (existing.kind === 'outdated') return { action: 'score', reason: `${focusPath}: ${existing.reason}; scoring the slide again` };
  if (force) return { action: 'score', reason: '--force' };
  const report = existing.report;
  const changed = identityChange(report.identity, identity);
  if (changed) return { action: 'score', reason: `slide ${changed} since ${focusPath} was written` };
  const diff = settingsChanges(report.settings, settings);
  if (diff.score.length > 0) return { action: 'score', reason: `settings that change the scores differ: ${diff.score.join(', ')}` };
  if (diff.verdict.length > 0 || diff.output.length > 0) return { action: 'recompute', report, verdict: diff.verdict, output: diff.output };
  return { action: 'skip', report };
}
