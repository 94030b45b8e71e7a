/**
 * Summary statistics of a slide's tile scores and the share of its scored tissue area that is out
 * of focus (on the map cells, so overlapping crops are not counted twice). Pure TS.
 */
import { finite, positiveNumber } from '../core/check.js';
import { type MappedTile } from './slide-tiles.js';

/** Linear-interpolated percentile (numpy's default) of ascending-sorted values; p in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface SummaryStats {
  count: number;
  mean: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** Mean, median, 90th percentile, min and max of the finite scores (NaN for all when there are none; JSON writes NaN as null). */
export function summaryStats(scores: ArrayLike<number>): SummaryStats {
  const v = Array.from(scores).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { count: 0, mean: NaN, median: NaN, p90: NaN, min: NaN, max: NaN };
  let sum = 0;
  for (const x of v) sum += x;
  return {
    count: v.length, mean: sum / v.length, median: percentileSorted(v, 50), p90: percentileSorted(v, 90),
    min: v[0]!, max: v[v.length - 1]!,
  };
}
export interface BlurShareOptions {
  /** µm per level-0 pixel: adds areas in mm² */
  mpp?: number;
}

export interface BlurShare {
  /** numerator / denominator; NaN when there is no tissue (JSON writes null) */
  share: number;
  /** tissue area (level-0 px²) in the map cells of tiles scored above the threshold */
  numerator: number;
  /** tissue area (level-0 px²) in the map cells of all scored tiles, each point counted once */
  denominator: number;
  numerator_mm2?: number;
  denominator_mm2?: number;
  /** number of map cells counted (= scored tiles) */
  cells: number;
}

/**
 * Share of the scored tissue area that is out of focus, on the tiles' map cells (which never
 * overlap, so no area counts twice; the same cells the heat map and mask are drawn with):
 *   numerator   = sum over tiles with score > threshold of cell tissue fraction * cell area,
 *   denominator = sum over all scored tiles of cell tissue fraction * cell area.
 * A function of the tiles CSV rows alone. Tiles with a non-finite score are ignored.
 */
export function blurShare(tiles: readonly MappedTile[], threshold: number, opts: BlurShareOptions = {}): BlurShare {
  finite('threshold', threshold);
  if (opts.mpp !== undefined) positiveNumber('mpp', opts.mpp);
  let numerator = 0, denominator = 0, cells = 0;
  for (const t of tiles) {
    if (!Number.isFinite(t.score)) continue;
    const c = t.cell;
    if (!c) throw new Error(`Expected a map cell for the tile at (${t.x}, ${t.y})`);
    const tissue = Number.isFinite(c.tissue) ? Math.min(1, Math.max(0, c.tissue)) : 0;
    const area = tissue * c.w * c.h;
    denominator += area;
    if (t.score > threshold) numerator += area;
    cells++;
  }
  const result: BlurShare = { share: denominator > 0 ? numerator / denominator : NaN, numerator, denominator, cells };
  if (opts.mpp !== undefined) {
    const mm2 = (opts.mpp * opts.mpp) / 1e6;
    result.numerator_mm2 = numerator * mm2;
    result.denominator_mm2 = denominator * mm2;
  }
  return result;
}
