/**
 * The evaluation protocol's metrics of one model on one data set (SRCC, PLCC, ROC-AUC, AP), built
 * on the statistics in core/stats.ts, and the FocusPath binarisation for ROC/PR.
 */
import { averagePrecision, pearson, requireEqualLengths, requireFinite, rocAuc, spearman } from '../core/stats.js';

export interface Evaluation {
  /** number of images */
  readonly n: number;
  /** Spearman rank correlation of scores with the target */
  readonly srcc: number;
  /** Pearson linear correlation of scores with the target (no logistic mapping first) */
  readonly plcc: number;
  /** ROC-AUC of scores against 0/1 labels (positive = 1 = blurry), when labels are given */
  readonly rocAuc?: number;
  /** average precision of scores against 0/1 labels, when labels are given */
  readonly ap?: number;
}

/**
 * All metrics of one model on one data set: SRCC and PLCC against the continuous `target`
 * (e.g. |z-level| on FocusPath), plus ROC-AUC and AP when 0/1 `labels` are given
 * (e.g. TCGA@Focus, or binarizeFocusPath(|z|)). Higher score = blurrier = positive class.
 */
export function evaluate(scores: ArrayLike<number>, target: ArrayLike<number>, labels?: ArrayLike<number>): Evaluation {
  requireEqualLengths(scores, 'scores', target, 'target');
  const result = { n: scores.length, srcc: spearman(scores, target), plcc: pearson(scores, target) };
  if (labels === undefined) return result;
  return { ...result, rocAuc: rocAuc(scores, labels), ap: averagePrecision(scores, labels) };
}

/**
 * FocusPath 0/1 labels from z-levels: |z| <= 2 is sharp (0), |z| >= 3 is blurry (1).
 *
 * Why this choice: the paper binarizes FocusPath for ROC/PR by z-level but its wording leaves
 * open which class the boundary level belongs to. We keep |z| = 2 sharp and |z| = 3 blurry,
 * i.e. label = |z| >= threshold with threshold = 3. z-levels are integers, so nothing falls between.
 * Signed z-levels are accepted too (the absolute value is taken).
 */
export function binarizeFocusPath(absZ: ArrayLike<number>, threshold = 3): number[] {
  if (!Number.isFinite(threshold) || threshold <= 0) throw new Error(`Expected a positive finite threshold but received ${threshold}`);
  requireFinite(absZ, 'absZ');
  return Array.from(absZ, (z) => (Math.abs(z) >= threshold ? 1 : 0));
}
