/**
 * The one CSV module: the writer of every output (score, slide tiles and summary, eval, compare, training
 * logs): RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled),
 * one way to write numbers (as JavaScript prints them; a non-finite number is an empty field, as
 * are null and undefined). Rounding is the caller's choice, by `round6`/`precise` before writing.
 * Also the one line splitter every reader uses (dataset lists, summary.csv in serve). Pure TS.
 */

export type CsvValue = string | number | boolean | null | undefined;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line (no line break) of fields. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',');
}

/** A whole document: the header row, then the rows, each line ending in `\n`. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [csvRow(header)];
  for (const r of rows) lines.push(csvRow(r));
  return lines.join('\n') + '\n';
}

/** `v` to 6 decimals (null when not finite): the precision of tile scores and summary figures. */
export function round6(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toFixed(6)) : null;
}

/** `v` to `digits` significant digits (null when null or not finite): training-log figures. */
export function precise(v: number | null, digits = 6): number | null {
  return v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(digits));
}

/**
 * A field of a summary table (summary.csv, the cohort CSV): numbers to 6 decimals, other values
 * as text, through csvField.
 */
export function csvSummaryField(v: unknown): string {
  if (typeof v === 'number') return csvField(round6(v));
  if (v === null || v === undefined || typeof v === 'boolean') return csvField(v);
  return csvField(String(v));
}

/** Split one CSV line; double quotes may wrap a field ("" inside is a quote). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}
