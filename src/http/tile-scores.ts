/**
 * The scored tiles of one slide (its `<name>.tiles.csv`) in the form the viewer's overlay needs:
 * each crop with its map cell and its colour on the heat map's scale (same colour map, same
 * range rule, same threshold), so the overlay and the heat-map PNG agree.
 */
import { colourAt, colourRange, type ScoredTile, type ScoreScale } from '../pipeline/slide-outputs.js';
import { csvRecords } from './cohort.js';

export interface OverlayTile {
  x: number; y: number; w: number; h: number;
  score: number;
  tissue: number;
  cell: { x: number; y: number; w: number; h: number; tissue: number } | null;
  /** heat-map colour of the score */
  rgb: [number, number, number];
  /** score above the threshold: out of focus */
  blurred: boolean;
}

export interface OverlayDoc {
  threshold: number | null;
  scale: ScoreScale;
  range: { lo: number; hi: number; legend: string };
  /** the colour bar, lo..hi, as evenly spaced colours */
  bar: Array<[number, number, number]>;
  tiles: OverlayTile[];
}

const field = (r: Record<string, string>, k: string): number => (r[k] === undefined || r[k] === '' ? NaN : Number(r[k]));

/** Tiles from tiles.csv text; rows whose crop fields are not numbers are dropped. */
export function parseTilesCsv(text: string): ScoredTile[] {
  const out: ScoredTile[] = [];
  for (const r of csvRecords(text)) {
    const t: ScoredTile = { x: field(r, 'x'), y: field(r, 'y'), w: field(r, 'w'), h: field(r, 'h'), score: field(r, 'score'), tissue: field(r, 'tissue_fraction') };
    if (![t.x, t.y, t.w, t.h].every(Number.isFinite)) continue;
    const c = { x: field(r, 'cell_x'), y: field(r, 'cell_y'), w: field(r, 'cell_w'), h: field(r, 'cell_h'), tissue: field(r, 'cell_tissue_fraction') };
    if ([c.x, c.y, c.w, c.h].every(Number.isFinite)) t.cell = c;
    out.push(t);
  }
  return out;
}

/** The overlay of a slide, from its tiles and what its focus.json says of the model and threshold. */
export function overlayDoc(tiles: readonly ScoredTile[], focus: unknown): OverlayDoc {
  const doc = (focus ?? {}) as { blur?: { threshold?: unknown }; model?: { scale?: unknown } };
  const scale: ScoreScale = doc.model?.scale === 'relative' ? 'relative' : 'z-level';
  const threshold = typeof doc.blur?.threshold === 'number' ? doc.blur.threshold : null;
  const scored = tiles.filter((t) => Number.isFinite(t.score));
  const range = scored.length > 0 || scale === 'z-level' ? colourRange(scored, { scale }) : { lo: 0, hi: 1, legend: 'no scored tiles' };
  const colour = (s: number): [number, number, number] => colourAt((s - range.lo) / (range.hi - range.lo));
  const bar = Array.from({ length: 32 }, (_, i) => colourAt(i / 31));
  return {
    threshold,
    scale,
    range: { lo: range.lo, hi: range.hi, legend: range.legend },
    bar,
    tiles: scored.map((t) => ({
      x: t.x, y: t.y, w: t.w, h: t.h, score: t.score, tissue: t.tissue,
      cell: t.cell ? { ...t.cell } : null,
      rgb: colour(t.score),
      blurred: threshold !== null && t.score > threshold,
    })),
  };
}
