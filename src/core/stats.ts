/**
 * Statistics shared by evaluation, training and the demo, matching the reference libraries the
 * paper's numbers come from: SRCC/PLCC as scipy.stats.spearmanr/pearsonr, ROC-AUC and AP as
 * sklearn.metrics.roc_auc_score/average_precision_score (test/core/fixtures/metrics.json holds
 * their values, made by scripts/make-metric-fixtures.py).
 *
 * Pure TS (core: no platform imports). All arithmetic is float64. Where the references quietly
 * return NaN or a number with a warning (constant input, a single class), we throw instead: an
 * undefined metric in a results table is a bug upstream, not a value.
 */

/** Sample mean and standard deviation. */
export interface MeanStd {
  readonly mean: number;
  /** sample standard deviation (ddof = 1) */
  readonly std: number;
}

/** Throws unless every value is finite; NaN/Infinity make every metric here meaningless. */
export function requireFinite(values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`Expected finite values in ${name} but found ${v} at index ${i}`);
  }
}

export function requireEqualLengths(a: ArrayLike<number>, aName: string, b: ArrayLike<number>, bName: string): void {
  if (a.length !== b.length) {
    throw new Error(`Expected equal lengths for ${aName} and ${bName} but received ${a.length} and ${b.length}`);
  }
}

function requireAtLeastTwo(n: number, what: string): void {
  if (n < 2) throw new Error(`Expected at least 2 samples for ${what} but received ${n}`);
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/**
 * Mean by two passes: the plain mean, then the mean of the residuals added back. The second pass
 * removes most of the rounding error of the first when values share a large offset (e.g. 1e8 + noise).
 */
function accurateMean(values: ArrayLike<number>): number {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const rough = sum / n;
  let residual = 0;
  for (let i = 0; i < n; i++) residual += values[i]! - rough;
  return rough + residual / n;
}

/** Deviations from the mean, divided by their largest magnitude so squares cannot overflow or underflow. */
function scaledDeviations(values: ArrayLike<number>): Float64Array {
  const mean = accurateMean(values);
  const out = new Float64Array(values.length);
  let largest = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[i]! - mean;
    largest = Math.max(largest, Math.abs(out[i]!));
  }
  // largest > 0 because callers reject constant input first
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / largest;
  return out;
}

/** Validation shared by Pearson and Spearman; `name` goes into the messages. */
function requireCorrelationInputs(x: ArrayLike<number>, y: ArrayLike<number>, name: string): void {
  requireEqualLengths(x, 'x', y, 'y');
  requireAtLeastTwo(x.length, `${name} correlation`);
  requireFinite(x, 'x');
  requireFinite(y, 'y');
  if (isConstant(x)) throw new Error(`${name} correlation is undefined when x is constant (all ${x.length} values equal ${x[0]})`);
  if (isConstant(y)) throw new Error(`${name} correlation is undefined when y is constant (all ${y.length} values equal ${y[0]})`);
}

/** Pearson correlation of already-validated, non-constant inputs. */
function pearsonUnchecked(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const dx = scaledDeviations(x);
  const dy = scaledDeviations(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < dx.length; i++) {
    sxy += dx[i]! * dy[i]!;
    sxx += dx[i]! * dx[i]!;
    syy += dy[i]! * dy[i]!;
  }
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  // rounding can push |r| a hair past 1 for (anti)linear data; scipy clips the same way
  return Math.max(-1, Math.min(1, r));
}

/**
 * Ranks 1..n with ties given the average of the ranks they span, as
 * scipy.stats.rankdata(values, method='average'). -0 and 0 tie.
 */
export function rankAverage(values: ArrayLike<number>): Float64Array {
  requireFinite(values, 'values');
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    // positions start..end-1 (0-based) hold ranks start+1..end; their average is exact in float64
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson linear correlation coefficient (PLCC), as scipy.stats.pearsonr(x, y)[0]. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  requireCorrelationInputs(x, y, 'Pearson');
  return pearsonUnchecked(x, y);
}

/**
 * Spearman rank correlation (SRCC): Pearson correlation of the average ranks, as
 * scipy.stats.spearmanr(x, y)[0].
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  requireCorrelationInputs(x, y, 'Spearman');
  return pearsonUnchecked(rankAverage(x), rankAverage(y));
}

/** Counts of each class after validating scores against 0/1 labels; `metric` names the caller in messages. */
function requireBinaryProblem(scores: ArrayLike<number>, labels: ArrayLike<number>, metric: string): { positives: number; negatives: number } {
  requireEqualLengths(scores, 'scores', labels, 'labels');
  requireAtLeastTwo(scores.length, metric);
  requireFinite(scores, 'scores');
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label !== 0 && label !== 1) throw new Error(`Expected labels of 0 or 1 but found ${label} at index ${i}`);
    positives += label;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new Error(`${metric} is undefined when labels contain a single class (all ${labels.length} are ${positives === 0 ? 0 : 1})`);
  }
  return { positives, negatives };
}

/**
 * Cumulative true/false positive counts at each distinct threshold, from the highest score down
 * (the points of sklearn's ROC and precision-recall curves, without the (0, 0) start).
 * Tied scores form one threshold, so ties are never broken by input order.
 */
function countsAtThresholds(scores: ArrayLike<number>, labels: ArrayLike<number>): Array<{ tp: number; fp: number }> {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points: Array<{ tp: number; fp: number }> = [];
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < n) {
    const threshold = scores[order[k]!]!;
    while (k < n && scores[order[k]!] === threshold) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
      k++;
    }
    points.push({ tp, fp });
  }
  return points;
}

/**
 * Area under the ROC curve for 0/1 labels (positive = 1), as sklearn.metrics.roc_auc_score:
 * trapezoids between distinct thresholds, so a tie between a positive and a negative counts 1/2.
 * The area is accumulated in integer counts (exact below 2^53) and divided once at the end.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { positives, negatives } = requireBinaryProblem(scores, labels, 'ROC-AUC');
  let twiceArea = 0;
  let prev = { tp: 0, fp: 0 };
  for (const point of countsAtThresholds(scores, labels)) {
    twiceArea += (point.fp - prev.fp) * (point.tp + prev.tp);
    prev = point;
  }
  return twiceArea / (2 * positives * negatives);
}

/**
 * The ROC curve's points (false positive rate, true positive rate) from (0, 0) to (1, 1), one per
 * distinct threshold from the highest score down (sklearn's roc_curve with drop_intermediate=False):
 * the curve whose trapezoid area is `rocAuc`.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Array<{ fpr: number; tpr: number }> {
  const { positives, negatives } = requireBinaryProblem(scores, labels, 'ROC curve');
  return [{ fpr: 0, tpr: 0 }, ...countsAtThresholds(scores, labels).map(({ tp, fp }) => ({ fpr: fp / negatives, tpr: tp / positives }))];
}

/**
 * Average precision for 0/1 labels (positive = 1), as sklearn.metrics.average_precision_score:
 * sum over distinct thresholds of (R_n - R_{n-1}) * P_n, with no interpolation of precision.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { positives } = requireBinaryProblem(scores, labels, 'Average precision');
  let ap = 0;
  let prevTp = 0;
  for (const { tp, fp } of countsAtThresholds(scores, labels)) {
    if (tp !== prevTp) ap += ((tp - prevTp) / positives) * (tp / (tp + fp));
    prevTp = tp;
  }
  return ap;
}

/**
 * Mean and sample standard deviation (ddof = 1, like numpy std(ddof=1) and pandas), the usual
 * "mean ± std" over cross-validation folds. ddof = 1 needs at least 2 values.
 */
export function meanStd(values: ArrayLike<number>): MeanStd {
  requireAtLeastTwo(values.length, 'a sample standard deviation (ddof=1)');
  requireFinite(values, 'values');
  const mean = accurateMean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

/**
 * The middle value of the sorted values; for an even count the upper of the two middle ones (not
 * their average), so the result is always one of the values (a real crop score to mark on a heat
 * map). NaN for no values.
 */
export function upperMedian(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
