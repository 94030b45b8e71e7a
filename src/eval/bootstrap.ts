/**
 * Uncertainty of a held-out figure, and a threshold read off held-out data (pure TS).
 *
 * Images of one tile are not independent (its z-stack shares the tissue), so the bootstrap
 * resamples whole groups (tiles) with replacement and recomputes the statistic on the pooled
 * images of the drawn groups; the interval is the percentile interval of those values.
 */
import { Mulberry32 } from '../core/random.js';
import { integer, finiteNumber } from '../core/check.js';
import { spearman } from '../core/stats.js';

export interface GroupedScore {
  readonly group: string;
  readonly score: number;
  readonly target: number;
}

export interface Interval {
  /** the statistic on all rows */
  readonly value: number;
  /** percentile bootstrap interval */
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
  readonly groups: number;
  readonly resamples: number;
}

/** Pooled SRCC of score against target. */
export function pooledSrcc(rows: readonly GroupedScore[]): number {
  return spearman(rows.map((r) => r.score), rows.map((r) => r.target));
}

/**
 * A statistic with a group-bootstrap percentile interval. Resamples whose statistic is not
 * finite (e.g. every draw the same constant group) are left out of the interval.
 */
export function groupBootstrap(
  rows: readonly GroupedScore[],
  statistic: (rows: readonly GroupedScore[]) => number = pooledSrcc,
  options: { resamples?: number; level?: number; seed?: number } = {},
): Interval {
  const resamples = integer('resamples', options.resamples ?? 2000, 1, 1e6);
  const level = options.level ?? 0.95;
  finiteNumber('confidence level', level, 0.5, 0.999);
  const byGroup = new Map<string, GroupedScore[]>();
  for (const r of rows) {
    const list = byGroup.get(r.group);
    if (list) list.push(r);
    else byGroup.set(r.group, [r]);
  }
  const groups = [...byGroup.values()];
  if (groups.length === 0) throw new Error('no rows to bootstrap');
  const rng = new Mulberry32((options.seed ?? 11) >>> 0);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const sample: GroupedScore[] = [];
    for (let i = 0; i < groups.length; i++) sample.push(...groups[rng.int(groups.length)]!);
    const v = statistic(sample);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number): number => values[Math.min(values.length - 1, Math.max(0, Math.floor(p * values.length)))] ?? Number.NaN;
  const tail = (1 - level) / 2;
  return { value: statistic(rows), lo: q(tail), hi: q(1 - tail), level, groups: groups.length, resamples };
}

export interface SeparatingThreshold {
  readonly value: number;
  /** true when every negative scores below every positive */
  readonly separates: boolean;
  /** negatives (in focus) scoring above the threshold */
  readonly negativesAbove: number;
  /** positives (clearly blurred) scoring at or below it */
  readonly positivesBelow: number;
  readonly negatives: number;
  readonly positives: number;
}

/**
 * The threshold between in-focus (negative) and clearly blurred (positive) scores: the midpoint
 * of the gap when the two separate, else the midpoint between neighbouring scores with the least
 * balanced error (false-alarm rate + miss rate; the lowest such value on ties).
 */
export function separatingThreshold(negatives: readonly number[], positives: readonly number[]): SeparatingThreshold {
  if (negatives.length === 0 || positives.length === 0) throw new Error('a threshold needs in-focus and blurred scores');
  for (const v of [...negatives, ...positives]) if (!Number.isFinite(v)) throw new Error(`Expected finite scores for a threshold but received ${v}`);
  const count = (t: number): [number, number] => [negatives.filter((v) => v > t).length, positives.filter((v) => v <= t).length];
  const maxNeg = Math.max(...negatives), minPos = Math.min(...positives);
  let value: number;
  if (maxNeg < minPos) value = (maxNeg + minPos) / 2;
  else {
    const cands = [...negatives, ...positives].sort((a, b) => a - b);
    value = cands[0]! - 1;
    let best = Infinity;
    for (let i = 0; i + 1 < cands.length; i++) {
      if (cands[i] === cands[i + 1]) continue;
      const t = (cands[i]! + cands[i + 1]!) / 2;
      const [fa, mi] = count(t);
      const err = fa / negatives.length + mi / positives.length;
      if (err < best) {
        best = err;
        value = t;
      }
    }
  }
  const [negativesAbove, positivesBelow] = count(value);
  return { value, separates: maxNeg < minPos, negativesAbove, positivesBelow, negatives: negatives.length, positives: positives.length };
}
