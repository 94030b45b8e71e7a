/**
 * The comparison as Table 1 of the paper: Markdown, JSON and a CSV of every score. Pure TS.
 */
import { csvDocument } from '../core/csv.js';
import { formatThousands } from './report.js';
import { PROTOCOLS } from './evaluate-dataset.js';
import { TIMING_PIXELS, type Comparison, type MethodResult } from './compare.js';

const FORMAT_NAMES = { focuspath: 'FocusPath', 'tcga-at-focus': 'TCGA@Focus', csv: 'score CSV' } as const;

/** Data-driven rows first, then knowledge-based (the paper's grouping); given order within each. */
export function tableOrder(methods: readonly MethodResult[]): MethodResult[] {
  const rank = (m: MethodResult): number => (m.info.kind === 'data-driven' ? 0 : 1);
  return methods.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m);
}

const cell = (text: string): string => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
const num = (v: number | undefined, digits: number): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** "1,491", or "~192,981" when counted from an ONNX file's initializers rather than declared. */
function paramsCell(m: MethodResult): string {
  const approx = 'parametersFrom' in m.info && (m.info as { parametersFrom?: string }).parametersFrom === 'initializers';
  return `${approx ? '~' : ''}${formatThousands(m.info.parameters)}`;
}

function msCell(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function formatComparisonMarkdown(c: Comparison): string {
  const d = c.dataset;
  const rows = tableOrder(c.methods).map((m) => {
    const e = m.metrics;
    return `| ${m.info.kind} | ${cell(m.label)} | ${paramsCell(m)} | ${num(e?.srcc, 4)} | ${num(e?.plcc, 4)} | ${num(e?.rocAuc, 4)} | ${num(e?.ap, 4)} | ${msCell(m.msPer1024)} | ${m.scored.length} |`;
  });
  const lines = [
    `## ${FORMAT_NAMES[d.format]}: ${d.list} (${d.n} images${d.positives !== undefined ? `, ${d.positives} positive` : ''})`,
    '',
    '| Type | Method | Params | SRCC | PLCC | ROC-AUC | PR-AUC | ms per 1024² | n |',
    '| :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `- Metrics: ${PROTOCOLS[d.format]}. Higher score = blurrier for every method (sharpness indices are negated).`,
    `- Each method scores an image as the paper ran it: \`crops\` = mean over the 235/128 crop grid (FocusLiteNN, deep models), \`image\` = the whole image (knowledge-based measures).`,
    `- ms per 1024²: the median over images of each image's compute time on one thread (crop cutting included, decode excluded), scaled by ${formatThousands(TIMING_PIXELS)} / pixels; ${c.threads} thread${c.threads === 1 ? '' : 's'} ran at once, ${c.seconds.toFixed(1)} s in all.`,
    '- PR-AUC is average precision (scikit-learn `average_precision_score`). Params with ~ are counted from an ONNX file\'s initializers (no `parameters` metadata).',
  ];
  const undefinedMetrics = c.methods.filter((m) => m.metricsError !== undefined);
  for (const m of undefinedMetrics) lines.push(`- ${cell(m.label)}: metrics undefined (${m.metricsError}).`);
  const failures = c.imageFailures.length + c.methods.reduce((a, m) => a + m.failures.length, 0);
  if (failures > 0) {
    lines.push('', `### Failures (${failures})`, '');
    for (const f of c.imageFailures) lines.push(`- ${cell(f.error)} (image skipped by every method)`);
    for (const m of c.methods) for (const f of m.failures) lines.push(`- ${cell(f.error)}`);
  }
  const unit = (m: MethodResult): string => `${m.key}: ${m.unit}`;
  lines.push('', `Methods: ${c.methods.map(unit).join('; ')}.`);
  return lines.join('\n') + '\n';
}

const finiteOrNull = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

export function formatComparisonJson(c: Comparison): string {
  const doc = {
    dataset: c.dataset,
    protocol: c.targets.protocol,
    threads: c.threads,
    seconds: c.seconds,
    timing: `median compute ms per image on one thread, scaled to ${TIMING_PIXELS} pixels; crop cutting included, decode excluded`,
    methods: tableOrder(c.methods).map((m) => ({
      key: m.key,
      label: m.label,
      name: m.info.name,
      kind: m.info.kind,
      parameters: m.info.parameters,
      scale: m.info.scale,
      unit: m.unit,
      reference: m.info.reference ?? null,
      n: m.scored.length,
      srcc: finiteOrNull(m.metrics?.srcc),
      plcc: finiteOrNull(m.metrics?.plcc),
      rocAuc: finiteOrNull(m.metrics?.rocAuc),
      prAuc: finiteOrNull(m.metrics?.ap),
      msPer1024: finiteOrNull(m.msPer1024),
      ...(m.metricsError !== undefined ? { metricsError: m.metricsError } : {}),
      failures: m.failures,
    })),
    imageFailures: c.imageFailures,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** One row per image: name, path, target, label, width, height, then one column per method (empty = no score). */
export function comparisonScoresCsv(c: Comparison): string {
  const header = ['name', 'path', 'target', 'label', 'width', 'height', ...c.methods.map((m) => m.key)];
  return csvDocument(header, c.items.map((it, i) => [it.name, it.path, it.target, it.label, it.width || null, it.height || null, ...c.methods.map((m) => m.scores[i])]));
}
