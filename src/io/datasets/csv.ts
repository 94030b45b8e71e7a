/**
 * The CSV reader of the dataset lists (and of cross-validation split lists): lines split into
 * fields by core/csv's splitCsvLine, comments and blank lines skipped. Pure TS.
 */
import { splitCsvLine } from '../../core/csv.js';

export { splitCsvLine } from '../../core/csv.js';


export interface CsvLine {
  /** 1-based line number in the file */
  line: number;
  fields: string[];
}

/** Non-empty, non-comment lines split into trimmed fields (BOM and CRLF tolerated). */
export function csvLines(text: string): CsvLine[] {
  const out: CsvLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    out.push({ line: i + 1, fields: splitCsvLine(raw).map((f) => f.trim()) });
  });
  return out;
}
