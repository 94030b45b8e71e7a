/**
 * What a slide batch's output folder holds, read back: every `<name>.focus.json` (a scored slide)
 * and `<name>.failed.json` (a slide whose last attempt failed), which slide each name belongs to,
 * and the files that cannot be trusted (corrupt, truncated, an older format), each with its path
 * and reason. Runs that overlap, or run on parts of a list, share the folder: summary.csv and the
 * choice of output names are made from what is in it, not from one run's memory.
 *
 * Files are parsed again only when their size, mtime or inode changed, so rebuilding the summary
 * after every slide stays cheap in a folder of thousands.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FileIdentity } from '../io/file-identity.js';
import { fsReason } from '../io/fs-errors.js';
import { parseFocusReport, type FocusReport, type ParsedFocusReport } from './focus-report.js';

export const FOCUS_SUFFIX = '.focus.json';
export const FAILED_SUFFIX = '.failed.json';
export const FAILURE_FORMAT = 'focuslite-slide-failure';

/** A slide's failed attempt, so that its error stays in summary.csv whichever run writes it. */
export interface FailureRecord {
  format: typeof FAILURE_FORMAT;
  version: 1;
  slide: string;
  name: string;
  /** null when the slide could not even be identified (unreadable) */
  identity: FileIdentity | null;
  /** the slide's resolved path: the key of its summary row */
  key: string;
  error: string;
  createdAt: string;
}

export function parseFailure(text: string): FailureRecord | null {
  try {
    const d = JSON.parse(text) as Partial<FailureRecord>;
    if (d.format === FAILURE_FORMAT && typeof d.slide === 'string' && typeof d.name === 'string' && typeof d.key === 'string'
      && typeof d.error === 'string' && typeof d.createdAt === 'string' && !Number.isNaN(Date.parse(d.createdAt))) return d as FailureRecord;
  } catch {
    // corrupt: ignored like a missing record (the slide is simply retried)
  }
  return null;
}

/** Key of a slide's summary row: its real path when known. */
export function slideKey(report: Pick<FocusReport, 'identity'>): string {
  return report.identity.path;
}

export interface FolderEntry {
  name: string;
  path: string;
  parsed: ParsedFocusReport;
}

interface Cached<T> { size: number; mtimeMs: number; ino: number; value: T }

export class OutputFolder {
  private readonly focusCache = new Map<string, Cached<ParsedFocusReport>>();
  private readonly failedCache = new Map<string, Cached<FailureRecord | null>>();

  constructor(readonly dir: string) {}

  focusPath(name: string): string {
    return join(this.dir, `${name}${FOCUS_SUFFIX}`);
  }

  failedPath(name: string): string {
    return join(this.dir, `${name}${FAILED_SUFFIX}`);
  }

  private cachedRead<T>(cache: Map<string, Cached<T>>, path: string, parse: (text: string) => T, unreadable: (reason: string) => T): T | undefined {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      cache.delete(path);
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      return unreadable(fsReason(err));
    }
    const hit = cache.get(path);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.value;
    let value: T;
    try {
      value = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      return unreadable(fsReason(err));
    }
    cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, value });
    return value;
  }

  /** The focus.json of `name` as it is now, or null when there is none. */
  readFocus(name: string): ParsedFocusReport | null {
    return this.cachedRead(this.focusCache, this.focusPath(name), parseFocusReport, (reason) => ({ kind: 'corrupt', reason: `cannot read (${reason})` })) ?? null;
  }

  readFailure(name: string): FailureRecord | null {
    return this.cachedRead(this.failedCache, this.failedPath(name), parseFailure, () => null) ?? null;
  }

  private names(suffix: string): string[] {
    let files: string[];
    try {
      files = readdirSync(this.dir);
    } catch {
      return [];
    }
    return files.filter((f) => f.endsWith(suffix) && !f.startsWith('.') && f.length > suffix.length).map((f) => f.slice(0, -suffix.length)).sort();
  }

  /** Every focus.json in the folder, parsed. */
  focusEntries(): FolderEntry[] {
    return this.names(FOCUS_SUFFIX).flatMap((name) => {
      const parsed = this.readFocus(name);
      return parsed ? [{ name, path: this.focusPath(name), parsed }] : [];
    });
  }

  failures(): FailureRecord[] {
    return this.names(FAILED_SUFFIX).flatMap((name) => {
      const f = this.readFailure(name);
      return f && f.name === name ? [f] : [];
    });
  }

  /**
   * Which slide (real path) each output name belongs to: from focus.json files, older-format ones
   * included (their slide path resolved as well as it can be), and failure records. A corrupt
   * focus.json belongs to nobody: its name is free for the slide it was made for.
   */
  owners(): Map<string, string> {
    const owners = new Map<string, string>();
    for (const f of this.failures()) owners.set(f.name, f.key);
    for (const e of this.focusEntries()) {
      if (e.parsed.kind === 'ok') owners.set(e.name, slideKey(e.parsed.report));
      else if (e.parsed.kind === 'outdated' && e.parsed.slide) owners.set(e.name, resolve(e.parsed.slide));
    }
    return owners;
  }
}
