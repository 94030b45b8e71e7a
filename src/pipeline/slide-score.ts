/**
 * Whole-slide scoring: tissue mask on a thumbnail, crop grid at the scoring resolution (the
 * model's training resolution, or --mpp, reached from the slide's MPP; level 0 when either is
 * unknown), crops
 * with enough tissue read as chunk regions (sharp / OpenSlide decode on their own threads), scored
 * on the compute engine's worker threads, streamed with a bounded number of chunks in flight so
 * memory stays flat whatever the slide size.
 */
import type { RgbImage } from '../core/image.js';
import { resampleRgb } from '../core/resample.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../core/model.js';
import type { SlideReader } from '../io/slide/types.js';
import type { ComputeEngine } from '../runtime/compute-engine.js';
import { transferablePixels } from '../runtime/compute-task.js';
import { gridChunks, pickLevel, scoringResolution, slideCellBounds, slideGrid, sourceWindow, toLevel0, type Chunk, type ScoringResolution, type SlideGrid } from './slide-grid.js';
import { fluorescenceSignal, type ModalityMode } from '../core/modality.js';
import { buildIntegral, fractionFromIntegral } from '../core/tissue/detect.js';
import { detectTissueAs, slideModality, type SlideModality } from './slide-modality.js';
import { mapCell, type MappedTile } from './slide-outputs.js';
import { finiteNumber, integerAtLeast } from '../core/check.js';

export interface SlideScoreOptions {
  cropSize?: number;
  stride?: number;
  /** score at this resolution (µm per pixel) instead of the model's; needs the slide's MPP */
  mpp?: number;
  /** the model's training resolution (µm per pixel; null = unknown): the default scoring resolution */
  modelMpp?: number | null;
  /** minimum tissue fraction of a crop for it to be scored (0..1) */
  minTissue?: number;
  /** longer side of the thumbnail used for the tissue mask and the heat map */
  thumbnailSize?: number;
  /** crops per chunk side: one region read covers up to K x K crops */
  chunkCrops?: number;
  /** score every crop, tissue or not (benchmarks) */
  allCrops?: boolean;
  /** --modality: auto (detect; fluorescence is not scored), or force brightfield / fluorescence processing */
  modality?: ModalityMode;
  onProgress?: (done: number, total: number) => void;
}

/** A scored crop in level-0 pixels with its map cell (the type the output writers take). */
export type TileScore = MappedTile;

export interface SlideTimings {
  thumbnailMs: number;
  tissueMs: number;
  /** summed time of region reads (decode), across concurrent reads */
  readMs: number;
  /** summed compute time on the worker threads */
  computeMs: number;
  /** time the scheduler spent waiting for a free slot (reads and compute both busy) */
  waitMs: number;
  totalMs: number;
}

export interface SlideScore extends Omit<SlidePlan, 'timings'> {
  tiles: TileScore[];
  cropsTotal: number;
  timings: SlideTimings;
}

function validate(opts: SlideScoreOptions): Required<Omit<SlideScoreOptions, 'mpp' | 'modelMpp' | 'onProgress' | 'modality'>> {
  const minTissue = opts.minTissue ?? 0.5;
  finiteNumber('minTissue', minTissue, 0, 1);
  const thumbnailSize = opts.thumbnailSize ?? 1024;
  integerAtLeast('thumbnailSize', thumbnailSize, 64);
  return {
    cropSize: opts.cropSize ?? DEFAULT_CROP,
    stride: opts.stride ?? DEFAULT_STRIDE,
    minTissue,
    thumbnailSize,
    chunkCrops: opts.chunkCrops ?? 16,
    allCrops: opts.allCrops ?? false,
  };
}

/**
 * What a slide is scored on, before any crop is read: the crop grid, the level to read, the
 * thumbnail and its tissue mask. Separate from scoring so that a caller can look at the thumbnail
 * first (modality, no tissue) and so that a verdict can be recomputed from stored tile scores with
 * exactly the tissue fractions a fresh run would use.
 */
export interface SlidePlan {
  grid: SlideGrid;
  /** the resolution scored at, where it came from, and a warning when it is not the one asked for */
  resolution: ScoringResolution;
  level: number;
  thumbnail: RgbImage;
  /** level-0 pixels per thumbnail pixel on x and y */
  thumbScaleX: number;
  thumbScaleY: number;
  /** the tissue pixels at thumbnail size (holes and tears excluded: TissueResult.pixelMask) */
  tissueMask: Uint8Array;
  tissueMethod: string;
  /** fraction of thumbnail pixels that are tissue (in tissueMask) */
  tissueFraction: number;
  /** tissue fraction of a level-0 rectangle, from tissueMask */
  tissueOf: (x: number, y: number, w: number, h: number) => number;
  /** detected and used modality (slide-modality.ts); used = null: not to be scored */
  modality: SlideModality;
  timings: { thumbnailMs: number; tissueMs: number };
}

export async function planSlide(reader: SlideReader, options: SlideScoreOptions = {}): Promise<SlidePlan> {
  const opts = validate(options);
  const t0 = performance.now();
  const { info } = reader;
  const level0 = info.levels[0]!;
  // Geometric mean of x and y (as for areas), so non-square pixels land in between.
  const slideMpp = info.mpp ? Math.sqrt(info.mpp.x * info.mpp.y) : null;
  const resolution = scoringResolution(slideMpp, options.mpp, options.modelMpp ?? null, info.path);
  const { factor } = resolution;
  const grid = slideGrid(level0.width, level0.height, opts.cropSize, opts.stride, factor);
  if (grid.xs.length === 0 || grid.ys.length === 0) {
    throw new Error(`${info.path}: slide is ${grid.width}x${grid.height} at the scoring resolution, smaller than one ${opts.cropSize}x${opts.cropSize} crop`);
  }

  const thumbnail = await reader.thumbnail(opts.thumbnailSize);
  const tThumb = performance.now();
  const thumbScaleX = level0.width / thumbnail.width;
  const thumbScaleY = level0.height / thumbnail.height;
  // The thumbnail keeps the aspect ratio, so one scale (their mean, within a pixel of each) serves.
  const thumbScale = (thumbScaleX + thumbScaleY) / 2;
  const modality = slideModality(info, thumbnail, options.modality ?? 'auto');
  // Slides without MPP: assume 0.5 µm/px (20x), the common scanning resolution, for the mask's size rules.
  // A fluorescence slide that is not scored still gets its tissue measured, by the detector that fits it.
  const tissue = detectTissueAs(modality.used ?? modality.detected, thumbnail, { downsample: thumbScale, mpp: info.mpp?.x ?? 0.5 });
  // Fractions count the tissue pixels themselves, not the filled regions: a crop half over a
  // tear or lumen is half glass, and glass must never be scored as (blurry) tissue.
  const integral = buildIntegral(tissue.pixelMask, thumbnail.width, thumbnail.height);
  const tissueOf = (x: number, y: number, w: number, h: number): number => fractionFromIntegral(integral, thumbScale, x, y, w, h);
  const tTissue = performance.now();
  const level = pickLevel(info.levels.map((l) => l.downsample), factor);
  return {
    grid, resolution, level, thumbnail, thumbScaleX, thumbScaleY,
    tissueMask: tissue.pixelMask, tissueMethod: tissue.method, tissueFraction: tissue.pixelTissueFraction, tissueOf, modality,
    timings: { thumbnailMs: tThumb - t0, tissueMs: tTissue - tThumb },
  };
}

/** Score a slide's tissue crops; `plan` (from planSlide with the same options) saves reading the thumbnail twice. */
export async function scoreSlide(reader: SlideReader, engine: ComputeEngine, options: SlideScoreOptions = {}, plan?: SlidePlan): Promise<SlideScore> {
  const opts = validate(options);
  const t0 = performance.now();
  const { info } = reader;
  const given = plan !== undefined;
  plan ??= await planSlide(reader, options);
  const { grid, level, tissueOf } = plan;
  const level0 = info.levels[0]!;
  const cells = slideCellBounds(grid, level0.width, level0.height);

  // Select crops with enough tissue, grouped by chunk. When a chunk is read from a finer level
  // and shrunk, its window grows by that ratio: fewer crops per chunk keep each window (and so
  // memory) within about MAX_WINDOW level pixels a side.
  const chunks = gridChunks(grid, chunkCropsFor(opts.chunkCrops, opts.cropSize, opts.stride, grid.factor / info.levels[level]!.downsample));
  const work: Array<{ chunk: Chunk; picks: Array<{ c: number; r: number; tissue: number }> }> = [];
  let cropsTotal = 0;
  for (const chunk of chunks) {
    const picks: Array<{ c: number; r: number; tissue: number }> = [];
    for (let r = chunk.r0; r < chunk.r1; r++) {
      for (let c = chunk.c0; c < chunk.c1; c++) {
        const rect = toLevel0(grid, grid.xs[c]!, grid.ys[r]!, opts.cropSize, opts.cropSize);
        const t = tissueOf(rect.x, rect.y, rect.w, rect.h);
        if (opts.allCrops || t >= opts.minTissue) picks.push({ c, r, tissue: t });
      }
    }
    cropsTotal += picks.length;
    if (picks.length > 0) work.push({ chunk, picks });
  }

  const tiles: TileScore[] = [];
  const timings = { readMs: 0, computeMs: 0, waitMs: 0 };
  let done = 0;
  options.onProgress?.(0, cropsTotal);
  // Two chunks per compute thread in flight: one being read/decoded while the other computes.
  const maxInFlight = Math.max(2, engine.threads * 2);
  const running = new Set<Promise<void>>();
  const processChunk = async (item: (typeof work)[number]): Promise<void> => {
    const { picks } = item;
    // Read only the bounding box of the chunk's picked crops.
    let cMin = Infinity, cMax = -Infinity, rMin = Infinity, rMax = -Infinity;
    for (const p of picks) {
      cMin = Math.min(cMin, p.c); cMax = Math.max(cMax, p.c);
      rMin = Math.min(rMin, p.r); rMax = Math.max(rMax, p.r);
    }
    const x0 = grid.xs[cMin]!, y0 = grid.ys[rMin]!;
    const w = grid.xs[cMax]! + opts.cropSize - x0;
    const h = grid.ys[rMax]! + opts.cropSize - y0;
    const tr = performance.now();
    let region = await readScoringRegion(reader, level, grid, x0, y0, w, h);
    // Fluorescence: the measure sees each pixel's brightest channel (core/modality.ts says why).
    if (plan.modality.used === 'fluorescence') region = fluorescenceSignal(region);
    timings.readMs += performance.now() - tr;
    const res = await engine.run({
      width: region.width,
      height: region.height,
      pixels: transferablePixels(region.data),
      cropSize: opts.cropSize,
      stride: opts.stride,
      label: info.path,
      xs: picks.map((p) => grid.xs[p.c]! - x0),
      ys: picks.map((p) => grid.ys[p.r]! - y0),
    });
    timings.computeMs += res.computeMs;
    picks.forEach((p, i) => {
      const rect = toLevel0(grid, grid.xs[p.c]!, grid.ys[p.r]!, opts.cropSize, opts.cropSize);
      tiles.push({ ...rect, score: res.crops[i]!, tissue: p.tissue, cell: mapCell(cells, p.c, p.r, tissueOf) });
    });
    done += picks.length;
    options.onProgress?.(done, cropsTotal);
  };
  for (const item of work) {
    if (running.size >= maxInFlight) {
      const tw = performance.now();
      await Promise.race(running);
      timings.waitMs += performance.now() - tw;
    }
    const p: Promise<void> = processChunk(item).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  // Chunks finish out of order: sort tiles into reading order (y, then x) for stable outputs.
  tiles.sort((a, b) => a.y - b.y || a.x - b.x);
  const { timings: planTimings, ...planned } = plan;
  return {
    ...planned,
    tiles,
    cropsTotal,
    // The plan's stages count towards the total whether they ran here or before the call.
    timings: { ...planTimings, ...timings, totalMs: performance.now() - t0 + (given ? planTimings.thumbnailMs + planTimings.tissueMs : 0) },
  };
}

/** Longest side of a level window read for one chunk, in level pixels (when shrinking). */
export const MAX_WINDOW = 4096;

/** Crops per chunk side so that a chunk's window at `rel` level px per scoring px stays within MAX_WINDOW. */
export function chunkCropsFor(k: number, crop: number, stride: number, rel: number): number {
  if (!(rel > 1)) return k;
  return Math.max(1, Math.min(k, Math.floor((MAX_WINDOW / rel - crop) / stride) + 1));
}

/** A planned slide that is not scored (unsupported modality): no tiles, the plan's timings. */
export function unscoredSlide(plan: SlidePlan): SlideScore {
  const { timings, ...planned } = plan;
  return { ...planned, tiles: [], cropsTotal: 0, timings: { ...timings, readMs: 0, computeMs: 0, waitMs: 0, totalMs: timings.thumbnailMs + timings.tissueMs } };
}

/**
 * Read a scoring-space rectangle: from the chosen level, resampled onto the scoring pixels (area
 * average when shrinking, Lanczos-3 when enlarging; core/resample.ts) with the exact phase of
 * the rectangle, from a window with a filter margin so chunk edges match their neighbours.
 */
async function readScoringRegion(reader: SlideReader, level: number, grid: SlideGrid, x: number, y: number, w: number, h: number): Promise<RgbImage> {
  const l0 = reader.info.levels[0]!, l = reader.info.levels[level]!;
  const win = sourceWindow(grid.factor, l.width / l0.width, l.height / l0.height, l.width, l.height, x, y, w, h);
  if (win.filter === 'none') return reader.readRegion(level, x, y, w, h);
  const region = await reader.readRegion(level, win.x, win.y, win.w, win.h);
  return resampleRgb(region, { width: w, height: h, scale: win.scaleX, scaleX: win.scaleX, scaleY: win.scaleY, x0: win.x0, y0: win.y0, filter: win.filter });
}
