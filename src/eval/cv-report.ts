/** What `focuslite cv` reports: the result types, the Table-1 rows, report.md and report.json (pure). */
import type { DatasetFormat } from '../io/datasets/index.js';
import type { TrainConfig } from '../train/trainer.js';
import type { GroupBy, SplitSizes } from './cv-splits.js';
import type { ScoringTiming } from './evaluate-dataset.js';
import type { Evaluation } from './metrics.js';
import { formatMetricsJson, formatMetricsMarkdown, formatMetricValue, type MetricValue, type MetricsRow } from './report.js';

export interface SplitResult {
  /** 1-based */
  split: number;
  sizes: SplitSizes;
  modelPath: string;
  bestEpoch: number;
  valSrcc: number | null;
  valPlcc: number | null;
  test: Evaluation;
  transfer?: Evaluation;
  /** model time per 1024x1024 image on one thread (see timeModel) */
  msPer1024: number;
  testTiming: ScoringTiming;
  transferTiming?: ScoringTiming;
  /** taken from a previous run's result.json */
  reused: boolean;
}

export interface MetricSummary {
  srcc: MetricValue;
  plcc: MetricValue;
  rocAuc?: MetricValue;
  ap?: MetricValue;
}

export interface DatasetInfo {
  format: DatasetFormat;
  list: string;
  images: string;
  n: number;
}

export interface CvReport {
  model: { name: string; params: number; kernels: number; pooling: string; loss: string };
  config: TrainConfig;
  splits: { count: number; source: 'random' | 'list'; seed: number; groupBy: GroupBy; lists?: string[] };
  dataset: DatasetInfo;
  transfer?: DatasetInfo;
  protocol: { test: string; transfer?: string; timing: string };
  results: SplitResult[];
  summary: { test: MetricSummary; transfer?: MetricSummary; msPerImage: MetricValue };
}

const FORMAT_NAMES: Record<DatasetFormat, string> = { focuspath: 'FocusPath', 'tcga-at-focus': 'TCGA@Focus', csv: 'score CSV' };

/** The Table-1 rows: the test-set row, then the transfer row when there is one. */
export function cvRows(report: CvReport): MetricsRow[] {
  const row = (what: string, s: MetricSummary): MetricsRow => ({
    model: `${report.model.name} (${what})`,
    params: report.model.params,
    srcc: s.srcc,
    plcc: s.plcc,
    ...(s.rocAuc !== undefined ? { rocAuc: s.rocAuc } : {}),
    ...(s.ap !== undefined ? { ap: s.ap } : {}),
    msPerImage: report.summary.msPerImage,
  });
  const rows = [row(`${FORMAT_NAMES[report.dataset.format]} test`, report.summary.test)];
  if (report.transfer && report.summary.transfer) rows.push(row(`${FORMAT_NAMES[report.transfer.format]} transfer`, report.summary.transfer));
  return rows;
}

function cell(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined ? '-' : v.toFixed(digits);
}

/** report.md: summary table (mean ± std), settings, then one row per split. */
export function formatCvMarkdown(report: CvReport): string {
  const c = report.config;
  const s = report.splits;
  const splitText = s.source === 'list' ? `${s.count} given split${s.count === 1 ? '' : 's'} (${s.lists!.join(', ')})` : `${s.count} random 60/20/20 split${s.count === 1 ? '' : 's'} by ${s.groupBy}, seed ${s.seed}`;
  const spread = s.count > 1 ? 'mean ± sample std over splits' : 'one split';
  const lines = [
    `# Cross-validation: ${report.model.name} on ${FORMAT_NAMES[report.dataset.format]}`,
    '',
    formatMetricsMarkdown(cvRows(report)).trimEnd(),
    '',
    `- Values: ${spread}. Higher score = blurrier.`,
    `- Test metrics (${report.dataset.list}, ${report.dataset.n} images): ${report.protocol.test}.`,
    ...(report.transfer ? [`- Transfer (${report.transfer.list}, ${report.transfer.n} images, every split's model): ${report.protocol.transfer}.`] : []),
    `- Splits: ${splitText}; model selected by validation SRCC (trainer: validation on ${c.valCrops === 1 ? 'the centre crop' : `a ${c.valCrops}x${c.valCrops} crop grid`}).`,
    `- Training: ${c.kernels} kernel${c.kernels === 1 ? '' : 's'}, ${c.pooling} pooling, loss ${c.loss}, ${c.epochs} epochs, batch ${c.batchSize}, lr ${c.lr} (x${c.gamma} every ${c.stepSize} epochs), crop ${c.cropSize}, seed ${c.seed}.`,
    `- ${report.protocol.timing}.`,
    '',
    '## Per split',
    '',
  ];
  const hasRoc = report.results.some((r) => r.test.rocAuc !== undefined);
  const header = ['Split', 'Train', 'Val', 'Test', 'Best epoch', 'Val SRCC', 'SRCC', 'PLCC', ...(hasRoc ? ['ROC-AUC', 'AP'] : [])];
  if (report.transfer) header.push('Transfer SRCC', 'Transfer PLCC', 'Transfer ROC-AUC', 'Transfer AP');
  header.push('ms/image');
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? ':---' : '---:')).join(' | ')} |`);
  for (const r of report.results) {
    const cells = [String(r.split), String(r.sizes.train), String(r.sizes.val), String(r.sizes.test), String(r.bestEpoch), cell(r.valSrcc), cell(r.test.srcc), cell(r.test.plcc)];
    if (hasRoc) cells.push(cell(r.test.rocAuc), cell(r.test.ap));
    if (report.transfer) cells.push(cell(r.transfer?.srcc), cell(r.transfer?.plcc), cell(r.transfer?.rocAuc), cell(r.transfer?.ap));
    cells.push(r.msPer1024.toFixed(1));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', `Model time per 1024x1024 image: ${formatMetricValue(report.summary.msPerImage, 2)} ms.`);
  return lines.join('\n') + '\n';
}

/** report.json: the Table-1 rows (as report.ts writes them) plus settings and per-split results. */
export function formatCvJson(report: CvReport): string {
  const table = JSON.parse(formatMetricsJson(cvRows(report))) as { rows: unknown[] };
  return JSON.stringify({ rows: table.rows, ...report }, null, 2) + '\n';
}
