/** `score --heatmap`: the slide heat map renderer applied to one image's crop grid. */
import { basename, extname, join } from 'node:path';
import type { MeasureScale } from '../core/measures/types.js';
import { heatmapThreshold } from '../core/score.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { FileScore } from './score-files.js';
import { cellBounds } from './slide-grid.js';
import { mapCell, renderHeatmap, type MappedTile } from './slide-outputs.js';
import { readResizedRgb } from '../io/resize.js';

/** Heat maps of big images are drawn on a copy whose longer side is at most this. */
const MAX_SIDE = 2048;

/** The dense crop grid of one image as tiles with their map cells (every pixel counts as tissue). */
export function cropTiles(r: { crops: ArrayLike<number>; xs: readonly number[]; ys: readonly number[]; cols: number; width: number; height: number }, cropSize: number): MappedTile[] {
  const bounds = { xs: cellBounds(r.xs, cropSize, r.width), ys: cellBounds(r.ys, cropSize, r.height) };
  return Array.from(r.crops, (score, i) => {
    const c = i % r.cols, row = Math.floor(i / r.cols);
    return { x: r.xs[c]!, y: r.ys[row]!, w: cropSize, h: cropSize, score, tissue: 1, cell: mapCell(bounds, c, row) };
  });
}

/**
 * Writes `<outDir>/<name>.heatmap.png`. z-level measures are drawn on the fixed 0..8 scale with the
 * threshold marked (default 3); relative ones (PLCC models, the classic measures) are normalised
 * per image and, without a threshold, the image's median crop score is marked.
 */
export async function writeImageHeatmap(r: FileScore, scale: MeasureScale, cropSize: number, outDir: string, threshold?: number, scoreLabel?: string): Promise<string> {
  const factor = Math.max(1, Math.max(r.width, r.height) / MAX_SIDE);
  const w = Math.round(r.width / factor), h = Math.round(r.height / factor);
  const thumb = await readResizedRgb(r.file, w, h);
  const marker = heatmapThreshold(scale, r.crops, threshold);
  // Crops cut at the model's resolution cover cropPx of the image's own pixels.
  const png = await renderHeatmap(thumb, factor, cropTiles(r, r.cropPx ?? cropSize), { scale, threshold: marker, ...(scoreLabel ? { scoreLabel } : {}) });
  const path = join(outDir, `${basename(r.file, extname(r.file))}.heatmap.png`);
  await writeFileAtomic(path, png);
  return path;
}
