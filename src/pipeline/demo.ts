/**
 * The self-contained demo: a procedural tissue-like image with a KNOWN focus gradient (sharp on the
 * left, defocus level rising to the right), scored crop by crop. Needs no external data.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FocusLiteModel } from '../core/model.js';
import { heatmapThreshold, type ImageScore } from '../core/score.js';
import { spearman } from '../core/stats.js';
import { writeFileAtomic } from '../io/atomic.js';
import { applyFocusGradient, focusGradientLevel, makeTissueLikeImage } from '../synth/tissue-image.js';
import { gridRows } from './score-output.js';
import { scoreImage } from './score-image.js';
import { cropTiles } from './image-heatmap.js';
import { renderHeatmap } from './slide-outputs.js';
import { encodePng } from '../io/encode.js';

export interface DemoOptions {
  outDir: string;
  width?: number;
  height?: number;
  maxLevel?: number;
  seed?: number;
  kernel?: string;
}

export interface DemoResult {
  score: ImageScore;
  /** known defocus level at each crop's centre, same order as score.crops */
  knownLevels: number[];
  /** Spearman correlation of crop scores with the known level (the model should rank blur) */
  srcc: number;
  /** mean crop score per grid column (left = sharp) */
  columnMeans: number[];
  files: { image: string; scoresJson: string; scoresCsv: string; heatmap: string };
}

export async function runDemo(model: FocusLiteModel, modelLabel: string, opts: DemoOptions): Promise<DemoResult> {
  const width = opts.width ?? 2048;
  const height = opts.height ?? 1024;
  const maxLevel = opts.maxLevel ?? 8;
  const seed = opts.seed ?? 1;
  mkdirSync(opts.outDir, { recursive: true });
  const sharpImage = makeTissueLikeImage(width, height, seed);
  const image = applyFocusGradient(sharpImage, maxLevel, 'left-to-right');
  const score = await scoreImage(model, image, { label: 'demo image', kernel: opts.kernel });
  const { grid } = score;
  const half = grid.cropSize / 2;
  const knownLevels: number[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) knownLevels.push(focusGradientLevel(grid.xs[c]! + half, grid.ys[r]! + half, width, height, maxLevel));
  }
  const srcc = spearman(score.crops, knownLevels);
  const rows = gridRows(score.crops, grid.rows, grid.cols);
  const columnMeans = grid.xs.map((_, c) => rows.reduce((s, row) => s + row[c]!, 0) / grid.rows);

  const files = {
    image: join(opts.outDir, 'demo-image.png'),
    scoresJson: join(opts.outDir, 'scores.json'),
    scoresCsv: join(opts.outDir, 'crops.csv'),
    heatmap: join(opts.outDir, 'heatmap.png'),
  };
  await writeFileAtomic(files.image, await encodePng(image));
  const csv = ['row,col,x,y,known_level,score'];
  score.crops.forEach((v, i) => {
    const r = Math.floor(i / grid.cols), c = i % grid.cols;
    csv.push(`${r},${c},${grid.xs[c]},${grid.ys[r]},${knownLevels[i]!.toFixed(3)},${v.toFixed(6)}`);
  });
  await writeFileAtomic(files.scoresCsv, csv.join('\n') + '\n');
  const tiles = cropTiles({ crops: score.crops, xs: grid.xs, ys: grid.ys, cols: grid.cols, width, height }, grid.cropSize);
  const threshold = heatmapThreshold(model.scale, score.crops, undefined, model.threshold);
  await writeFileAtomic(files.heatmap, await renderHeatmap(image, 1, tiles, { scale: model.scale, threshold }));
  await writeFileAtomic(files.scoresJson, JSON.stringify({
    model: modelLabel,
    image: { width, height, seed, focusGradient: `defocus level 0 at the left edge rising linearly to ${maxLevel} at the right edge` },
    score: score.score,
    srccWithKnownLevel: srcc,
    grid: { rows: grid.rows, cols: grid.cols, xs: grid.xs, ys: grid.ys, scores: rows },
    columnMeans,
  }, null, 2) + '\n');
  return { score, knownLevels, srcc, columnMeans, files };
}
