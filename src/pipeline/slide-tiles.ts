/**
 * Scored tiles and their map cells (level-0 pixel rectangles), and the tiles CSV that stores them:
 * what every other slide output is built from. Pure TS.
 */
import { csvDocument, round6 } from '../core/csv.js';

export interface ScoredTile {
  /** level-0 pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  /** the crop's score after the scale rule (core/score.ts applyScaleRule); higher = blurrier */
  score: number;
  /** tissue fraction of the tile, 0..1 */
  tissue: number;
  /** the part of the plane this tile stands for in maps and areas (see MapCell) */
  cell?: MapCell;
}

/**
 * A tile's map cell (level-0 pixels): the pixels nearer to this crop's centre than to any other
 * crop's of the grid. Cells of one grid never overlap and together cover the whole slide.
 */
export interface MapCell {
  x: number;
  y: number;
  w: number;
  h: number;
  /** tissue fraction of the cell (tissue pixels only), 0..1 */
  tissue: number;
}

/** A tile with its map cell: what the maps, the blurred share and cell GeoJSON need. */
export type MappedTile = ScoredTile & { cell: MapCell };

/**
 * The map cell of crop (col, row) from per-axis cell bounds (slide-grid.ts cellBounds), with its
 * tissue fraction from `tissueOf` (default: the whole cell is tissue, for plain images).
 */
export function mapCell(
  bounds: { xs: readonly number[]; ys: readonly number[] }, col: number, row: number,
  tissueOf: (x: number, y: number, w: number, h: number) => number = () => 1,
): MapCell {
  const x = bounds.xs[col]!, y = bounds.ys[row]!;
  const w = bounds.xs[col + 1]! - x, h = bounds.ys[row + 1]! - y;
  if (!(w > 0 && h > 0)) throw new Error(`Expected a crop column and row inside the grid but received (${col}, ${row})`);
  return { x, y, w, h, tissue: tissueOf(x, y, w, h) };
}

/** `relative`: PLCC-trained model, only the ranking means something; `z-level`: MSE-trained, ~|z|. */
export type ScoreScale = 'relative' | 'z-level';
export const TILES_CSV_HEADER = 'x,y,w,h,score,tissue_fraction,cell_x,cell_y,cell_w,cell_h,cell_tissue_fraction';

/**
 * Header and one row per tile: the crop (`x,y,w,h`, its score and tissue fraction), then its map
 * cell (empty fields for a tile without one); non-finite values are empty fields. The blurred
 * share is a function of these rows alone (see blurShare).
 */
export function tilesCsv(tiles: readonly ScoredTile[]): string {
  return csvDocument(TILES_CSV_HEADER.split(','), tiles.map((t) => {
    const c = t.cell;
    return [t.x, t.y, t.w, t.h, round6(t.score), round6(t.tissue), c?.x, c?.y, c?.w, c?.h, c ? round6(c.tissue) : null];
  }));
}

/**
 * Tiles back from tilesCsv's text (scores and fractions as written: 6 decimals), for a verdict
 * recomputed from stored scores. Throws a one-line reason on any malformed row.
 */
export function parseTilesCsv(text: string): MappedTile[] {
  const lines = text.split('\n');
  if (lines[0] !== TILES_CSV_HEADER) throw new Error('tiles.csv header is not the expected one');
  if (lines[lines.length - 1] !== '') throw new Error('tiles.csv is truncated (no final newline)');
  const tiles: MappedTile[] = [];
  for (let i = 1; i < lines.length - 1; i++) {
    const f = lines[i]!.split(',');
    const v = f.map((s) => (s === '' ? NaN : Number(s)));
    if (f.length !== 11 || [0, 1, 2, 3, 6, 7, 8, 9].some((k) => !Number.isInteger(v[k])) || !Number.isFinite(v[5]!) || !Number.isFinite(v[10]!)) {
      throw new Error(`tiles.csv line ${i + 1} is malformed`);
    }
    tiles.push({ x: v[0]!, y: v[1]!, w: v[2]!, h: v[3]!, score: v[4]!, tissue: v[5]!, cell: { x: v[6]!, y: v[7]!, w: v[8]!, h: v[9]!, tissue: v[10]! } });
  }
  return tiles;
}
