/**
 * DICOM whole-slide series stored as a folder of instances (one file per pyramid level, plus
 * label / overview / thumbnail images): which folders are one slide, and which files they hold.
 * Only the first bytes of each file are read (synchronously: input expansion is synchronous).
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasDicmMarker, summarizePrefix, type InstanceSummary } from './dicom-header.js';

// The attributes that group instances come early in the header; a larger prefix is tried only
// when a file has big elements before them.
const PREFIXES = [64 << 10, 1 << 20];
// A folder with more files than this is not scanned as a series (a DICOM WSI series has a few
// dozen instances at most; concatenations of huge levels stay far below this).
const MAX_SERIES_FILES = 2000;

function readPrefix(path: string, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** The grouping attributes of a DICOM WSI file, or null when it is not one (or unreadable). */
export function peekWsiInstance(path: string): InstanceSummary | null {
  try {
    if (!hasDicmMarker(readPrefix(path, 132))) return null;
    for (const n of PREFIXES) {
      const s = summarizePrefix(readPrefix(path, n));
      if (s) return s.isWsi ? s : null;
    }
  } catch {
    // Unreadable files are not part of a series; they are reported when opened on their own.
  }
  return null;
}

export interface DicomSeriesFiles {
  /** Instances of the one series that holds pyramid (VOLUME) images, and associated images. */
  readonly files: readonly string[];
}

/**
 * The instance files when `dir` holds one DICOM whole-slide series: at least two DICOM WSI files
 * (any extension, by their DICM marker), of which exactly one series has pyramid (VOLUME)
 * images. Label / overview / thumbnail instances of other series in the folder belong to it
 * too (some converters give them their own series). Null otherwise.
 */
export function dicomSeriesFiles(dir: string): DicomSeriesFiles | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const candidates = entries.filter((e) => !e.name.startsWith('.') && e.name.toUpperCase() !== 'DICOMDIR' && (e.isFile() || e.isSymbolicLink()));
  if (candidates.length < 2 || candidates.length > MAX_SERIES_FILES) return null;
  const found: Array<{ path: string; summary: InstanceSummary }> = [];
  for (const e of candidates) {
    const path = join(dir, e.name);
    if (e.isSymbolicLink() && !statSafe(path)?.isFile()) continue;
    const summary = peekWsiInstance(path);
    if (summary) found.push({ path, summary });
  }
  if (found.length < 2) return null;
  const volumeSeries = new Set(found.filter((f) => f.summary.flavor === 'VOLUME').map((f) => f.summary.seriesUid ?? ''));
  if (volumeSeries.size !== 1) return null;
  const series = [...volumeSeries][0]!;
  const files = found
    .filter((f) => (f.summary.seriesUid ?? '') === series || f.summary.flavor === 'LABEL' || f.summary.flavor === 'OVERVIEW' || f.summary.flavor === 'THUMBNAIL')
    .map((f) => f.path)
    .sort();
  return { files };
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
