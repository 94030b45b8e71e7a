/**
 * Metrics tables for `focuslite eval` (one run) and `focuslite cv` (mean ± std over folds):
 * a Markdown table laid out like Table 1 of the FocusLiteNN paper, and the same rows as JSON.
 * Pure TS (no node: imports).
 */
import type { MeanStd } from '../core/stats.js';

/** A single value, or mean ± sample std over cross-validation folds (see meanStd in metrics.ts). */
export type MetricValue = number | MeanStd;

export interface MetricsRow {
  model: string;
  /** number of trainable parameters */
  params: number;
  /** number of images evaluated (JSON only; Table 1 has no column for it) */
  n?: number;
  srcc: MetricValue;
  plcc: MetricValue;
  rocAuc?: MetricValue;
  ap?: MetricValue;
  /** scoring time per image in milliseconds */
  msPerImage?: MetricValue;
}

export interface MarkdownOptions {
  /** decimals for SRCC, PLCC, ROC-AUC and AP (default 4) */
  digits?: number;
  /** decimals for ms/image (default 1) */
  msDigits?: number;
}

type OptionalMetric = 'rocAuc' | 'ap' | 'msPerImage';

interface Column {
  header: string;
  key: 'srcc' | 'plcc' | OptionalMetric;
  digits: number;
}

/** Throws unless the value (or both parts of mean ± std) is finite: JSON would turn NaN into null. */
function requireFiniteMetric(value: MetricValue, what: string): void {
  const parts = typeof value === 'number' ? [value] : [value.mean, value.std];
  for (const part of parts) {
    if (!Number.isFinite(part)) throw new Error(`Expected a finite ${what} but received ${part}`);
  }
}

function requireValidRows(rows: readonly MetricsRow[]): void {
  rows.forEach((row, i) => {
    const where = `row ${i} (${row.model})`;
    if (!Number.isInteger(row.params) || row.params < 0) throw new Error(`Expected a non-negative integer params in ${where} but received ${row.params}`);
    if (row.n !== undefined && (!Number.isInteger(row.n) || row.n < 0)) throw new Error(`Expected a non-negative integer n in ${where} but received ${row.n}`);
    for (const key of ['srcc', 'plcc', 'rocAuc', 'ap', 'msPerImage'] as const) {
      const value = row[key];
      if (value !== undefined) requireFiniteMetric(value, `${key} in ${where}`);
    }
  });
}

/** 1234567 -> "1,234,567", independent of the machine's locale. */
export function formatThousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "0.9123" or "0.9123 ± 0.0045". */
export function formatMetricValue(value: MetricValue, digits: number): string {
  if (typeof value === 'number') return value.toFixed(digits);
  return `${value.mean.toFixed(digits)} ± ${value.std.toFixed(digits)}`;
}

/** Model names go into a table cell: a "|" would split it and a newline would end the row. */
function escapeCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/**
 * Markdown table with columns Model, Params, SRCC, PLCC and, when any row has them, ROC-AUC, AP and
 * ms/image. Rows missing an optional value show "-". Numbers are right-aligned.
 */
export function formatMetricsMarkdown(rows: readonly MetricsRow[], options: MarkdownOptions = {}): string {
  const digits = options.digits ?? 4;
  const msDigits = options.msDigits ?? 1;
  for (const [name, d] of [['digits', digits], ['msDigits', msDigits]] as const) {
    if (!Number.isInteger(d) || d < 0 || d > 20) throw new Error(`Expected ${name} to be an integer from 0 to 20 but received ${d}`);
  }
  requireValidRows(rows);

  const columns: Column[] = [
    { header: 'SRCC', key: 'srcc', digits },
    { header: 'PLCC', key: 'plcc', digits },
  ];
  const optional: Array<[string, OptionalMetric, number]> = [
    ['ROC-AUC', 'rocAuc', digits],
    ['AP', 'ap', digits],
    ['ms/image', 'msPerImage', msDigits],
  ];
  for (const [header, key, d] of optional) {
    if (rows.some((row) => row[key] !== undefined)) columns.push({ header, key, digits: d });
  }

  const header = `| Model | Params | ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `| :--- | ---: | ${columns.map(() => '---:').join(' | ')} |`;
  const body = rows.map((row) => {
    const cells = columns.map((c) => {
      const value = row[c.key];
      return value === undefined ? '-' : formatMetricValue(value, c.digits);
    });
    return `| ${escapeCell(row.model)} | ${formatThousands(row.params)} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...body].join('\n') + '\n';
}

/**
 * The rows as pretty-printed JSON (full precision, keys in table order, absent metrics omitted),
 * e.g. `{"rows": [{"model": "FocusLiteNN-1", "params": 148, "srcc": {"mean": 0.87, "std": 0.01}, ...}]}`.
 */
export function formatMetricsJson(rows: readonly MetricsRow[]): string {
  requireValidRows(rows);
  const ordered = rows.map((row) => {
    const out: Record<string, unknown> = { model: row.model, params: row.params };
    for (const key of ['n', 'srcc', 'plcc', 'rocAuc', 'ap', 'msPerImage'] as const) {
      const value = row[key];
      if (value === undefined) continue;
      out[key] = typeof value === 'number' ? value : { mean: value.mean, std: value.std };
    }
    return out;
  });
  return JSON.stringify({ rows: ordered }, null, 2) + '\n';
}
