/**
 * The CSV reader of the dataset lists (and of cross-validation split lists): one line split into
 * fields, double quotes optionally wrapping a field. Pure TS.
 */

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
