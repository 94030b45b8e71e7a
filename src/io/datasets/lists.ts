/**
 * Dataset loaders for training and evaluation: a list file plus an image folder, turned into
 * items { path, target, label?, group? }.
 *
 *   FocusPath      `name.tif,slide,strip,slice,position,score,z-level` (no header). Images are
 *                  stored as .png although listed as .tif: the .png is tried first, then the name
 *                  as listed. target = |z-level|, group = slide (so splits keep a slide's z-stack
 *                  together). `focuslite synth` writes this layout (list.txt + images/).
 *   TCGA@Focus     `<top>/<organ>/<slide>/patch_i_<y>_j_<x>.png,<organ>,<marker>,<label>`;
 *                  label 1 = out of focus; target = label, group = slide folder.
 *   score CSV      `path,score[,label]`, optional header (columns then found by name: path/file/
 *                  image/name, score/target, label, group/slide); relative paths resolve against
 *                  --images or the CSV's folder.
 *
 * This file holds the formats and their pure parsers, which name the file and line of a malformed
 * row; load.ts reads the files.
 */
import { csvLines, type CsvLine } from './csv.js';

export interface DatasetItem {
  /** image file to read */
  path: string;
  /** regression target: |z-level| (FocusPath), label (TCGA@Focus), score (CSV) */
  target: number;
  /** binary label where the format has one (1 = out of focus) */
  label?: number;
  /** items sharing a group (a slide) stay on one side of a train/validation split */
  group?: string;
  /** the entry as written in the list (for messages) */
  name: string;
}

export type DatasetFormat = 'focuspath' | 'tcga-at-focus' | 'csv';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['focuspath', 'tcga-at-focus', 'csv'];

export interface Dataset {
  format: DatasetFormat;
  listFile: string;
  /** folder relative image names were resolved against */
  imagesDir: string;
  items: DatasetItem[];
}

/** A malformed list or missing images: the message is one line naming the file. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export class MissingImagesError extends DatasetError {
  constructor(readonly listFile: string, readonly missing: readonly string[], readonly total: number) {
    const shown = missing.slice(0, 5).join(', ');
    const more = missing.length > 5 ? ` (and ${missing.length - 5} more)` : '';
    super(`${listFile}: ${missing.length} of ${total} listed images are missing or unreadable: ${shown}${more}`);
    this.name = 'MissingImagesError';
  }
}

function isNumeric(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

function num(file: string, l: CsvLine, idx: number, what: string, integer = false): number {
  const s = l.fields[idx] ?? '';
  const v = Number(s);
  if (s === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new DatasetError(`${file}:${l.line}: ${what} "${s}" is not ${integer ? 'an integer' : 'a number'}`);
  }
  return v;
}

export interface FocusPathRow {
  line: number;
  name: string;
  slide: number;
  strip: number;
  slice: number;
  position: number;
  score: number;
  zLevel: number;
}

const FOCUSPATH_COLUMNS = 'name,slide,strip,slice,position,score,z-level';

/** Parse a FocusPath list (an optional header row, whose slide and z-level columns are not numbers, is skipped). */
export function parseFocusPathList(text: string, file: string): FocusPathRow[] {
  const lines = csvLines(text);
  const first = lines[0]?.fields;
  if (first && first.length === 7 && !isNumeric(first[1]!) && !isNumeric(first[6]!)) lines.shift();
  if (lines.length === 0) throw new DatasetError(`${file}: no rows (expected ${FOCUSPATH_COLUMNS})`);
  return lines.map((l) => {
    if (l.fields.length !== 7) {
      throw new DatasetError(`${file}:${l.line}: expected 7 fields (${FOCUSPATH_COLUMNS}) but found ${l.fields.length}`);
    }
    const name = l.fields[0]!;
    if (name === '') throw new DatasetError(`${file}:${l.line}: empty image name`);
    return {
      line: l.line,
      name,
      slide: num(file, l, 1, 'slide', true),
      strip: num(file, l, 2, 'strip', true),
      slice: num(file, l, 3, 'slice', true),
      position: num(file, l, 4, 'position', true),
      score: num(file, l, 5, 'score'),
      zLevel: num(file, l, 6, 'z-level'),
    };
  });
}

export interface TcgaAtFocusRow {
  line: number;
  /** relative path as listed: <top>/<organ>/<slide>/patch_i_<y>_j_<x>.png */
  path: string;
  organ: string;
  /** 1 = out of focus because of a pen marker */
  marker: number;
  /** 1 = out of focus */
  label: number;
  /** slide folder (third path component), the group for splits */
  slide: string;
}

/** Parse the TCGA@Focus list. The last three fields are organ, marker, label; the rest is the path. */
export function parseTcgaAtFocusList(text: string, file: string): TcgaAtFocusRow[] {
  const lines = csvLines(text);
  if (lines.length > 0 && lines[0]!.fields.length >= 4 && !isNumeric(lines[0]!.fields[lines[0]!.fields.length - 1]!)) lines.shift();
  if (lines.length === 0) throw new DatasetError(`${file}: no rows (expected path,organ,marker,label)`);
  return lines.map((l) => {
    const n = l.fields.length;
    if (n < 4) throw new DatasetError(`${file}:${l.line}: expected 4 fields (path,organ,marker,label) but found ${n}`);
    const path = l.fields.slice(0, n - 3).join(',');
    const marker = num(file, { line: l.line, fields: l.fields.slice(n - 2) }, 0, 'marker', true);
    const label = num(file, { line: l.line, fields: l.fields.slice(n - 1) }, 0, 'label', true);
    if (marker !== 0 && marker !== 1) throw new DatasetError(`${file}:${l.line}: marker must be 0 or 1 but is ${marker}`);
    if (label !== 0 && label !== 1) throw new DatasetError(`${file}:${l.line}: label must be 0 or 1 but is ${label}`);
    if (path === '') throw new DatasetError(`${file}:${l.line}: empty image path`);
    const parts = path.split('/');
    const slide = parts.length >= 4 ? parts[2]! : parts.slice(0, -1).join('/');
    return { line: l.line, path, organ: l.fields[n - 3]!, marker, label, slide };
  });
}

export interface ScoreCsvRow {
  line: number;
  path: string;
  score: number;
  label?: number;
  group?: string;
}

const CSV_NAMES = {
  path: ['path', 'file', 'filename', 'image', 'name'],
  score: ['score', 'target'],
  label: ['label', 'class'],
  group: ['group', 'slide'],
} as const;

/**
 * Parse a `path,score[,label]` CSV. A first row whose second field is not a number is a header;
 * its column names (path/file/image/name, score/target, label, group/slide) then pick the columns.
 */
export function parseScoreCsv(text: string, file: string): ScoreCsvRow[] {
  const lines = csvLines(text);
  // column indices; -1 = absent
  let cols: { path: number; score: number; label: number; group: number } = { path: 0, score: 1, label: 2, group: -1 };
  if (lines.length > 0 && !isNumeric(lines[0]!.fields[1] ?? '')) {
    const header = lines.shift()!.fields.map((h) => h.toLowerCase());
    const find = (names: readonly string[]): number => header.findIndex((h) => names.includes(h));
    const path = find(CSV_NAMES.path), score = find(CSV_NAMES.score);
    if (path >= 0 && score >= 0) cols = { path, score, label: find(CSV_NAMES.label), group: find(CSV_NAMES.group) };
    else if (header.length < 2) throw new DatasetError(`${file}:1: expected path,score[,label] but found "${header.join(',')}"`);
  }
  if (lines.length === 0) throw new DatasetError(`${file}: no rows (expected path,score[,label])`);
  const minFields = Math.max(cols.path, cols.score) + 1;
  return lines.map((l) => {
    if (l.fields.length < minFields) {
      throw new DatasetError(`${file}:${l.line}: expected at least ${minFields} fields (path,score[,label]) but found ${l.fields.length}`);
    }
    const path = l.fields[cols.path]!;
    if (path === '') throw new DatasetError(`${file}:${l.line}: empty image path`);
    const row: ScoreCsvRow = { line: l.line, path, score: num(file, l, cols.score, 'score') };
    if (cols.label >= 0 && (l.fields[cols.label] ?? '') !== '') row.label = num(file, l, cols.label, 'label');
    if (cols.group >= 0 && (l.fields[cols.group] ?? '') !== '') row.group = l.fields[cols.group]!;
    return row;
  });
}

/** Guess a list's format from its first row. */
export function detectFormat(text: string): DatasetFormat {
  const lines = csvLines(text).slice(0, 2);
  const row = lines.find((l) => isNumeric(l.fields[l.fields.length - 1] ?? '')) ?? lines[0];
  if (!row) return 'csv';
  const f = row.fields;
  if (f.length === 7 && /\.(tif|tiff|png)$/i.test(f[0]!)) return 'focuspath';
  if (f.length >= 4 && f[0]!.split('/').length >= 4 && /^[01]$/.test(f[f.length - 1]!) && /^[01]$/.test(f[f.length - 2]!)) return 'tcga-at-focus';
  return 'csv';
}
