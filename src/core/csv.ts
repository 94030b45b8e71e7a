/**
 * The one CSV writer of every output (score, slide tiles and summary, eval, compare, training
 * logs): RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled),
 * one way to write numbers (as JavaScript prints them; a non-finite number is an empty field, as
 * are null and undefined). Rounding is the caller's choice, by `round6`/`precise` before writing.
 * Pure TS.
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
