/**
 * Batch whole-slide QC: for each slide, score it and write its outputs into one folder, atomically,
 * with `<name>.focus.json` written last as the completion marker (resume skips slides that have it).
 * One failing slide never stops the batch: its error goes to `errors.txt` and the summary.
 */
import { existsSync, readFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { FocusLiteModel } from '../core/model.js';
import { parameterCount } from '../core/model.js';
import { openSlide } from '../io/slide/index.js';
import type { SlideReader } from '../io/slide/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { ComputeEngine } from '../runtime/compute-engine.js';
import { slideMetadataReport } from './slide-metadata.js';
import { defaultThreshold as defaultThresholdOf } from '../core/score.js';
import { scoreSlide, type SlideScore, type SlideScoreOptions } from './slide-score.js';
import { blurShare, mapsInfo, renderHeatmap, renderMask, summaryStats, tilesCsv, tilesGeoJsonChunks } from './slide-outputs.js';

export interface SlideQcOptions extends Omit<SlideScoreOptions, 'onProgress'> {
  outDir: string;
  /** tile score above which a tile is out of focus */
  threshold: number;
  /** a slide fails QC when more than this share of its scored tissue area is out of focus */
  maxBlurShare: number;
  force?: boolean;
  backend?: 'auto' | 'sharp' | 'dicom' | 'openslide';
  /** recorded in outputs: where the model came from */
  modelLabel: string;
  /** GeoJSON of the non-overlapping map cells instead of the (overlapping) crop squares */
  geojsonCells?: boolean;
}

export interface SlideSummaryRow {
  slide: string;
  name: string;
  status: 'ok' | 'skipped' | 'error';
  crops: number;
  tissueMm2: number | null;
  mean: number | null;
  median: number | null;
  p90: number | null;
  blurShare: number | null;
  pass: boolean | null;
  seconds: number | null;
  error: string;
  /** why the slide was not scored at the resolution asked for (no MPP), else '' */
  warning: string;
}

/** Default blur threshold of a slide run: core/score's one rule (null: the user must give one). */
export function defaultThreshold(model: FocusLiteModel): number | null {
  return defaultThresholdOf(model.scale, model.threshold);
}

export function outputPaths(outDir: string, name: string) {
  return {
    focusJson: join(outDir, `${name}.focus.json`),
    tilesCsv: join(outDir, `${name}.tiles.csv`),
    geojson: join(outDir, `${name}.geojson`),
    heatmap: join(outDir, `${name}.heatmap.png`),
    mask: join(outDir, `${name}.mask.png`),
  };
}

/** Output names per slide: the file name without extension, made unique within a batch. */
export function slideNames(files: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return files.map((f) => {
    const stem = basename(f, extname(f));
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    return n === 1 ? stem : `${stem}-${n}`;
  });
}

/** Share of tissue area above the threshold + QC verdict + stats, in the form focus.json holds. */
export function slideReport(result: SlideScore, reader: SlideReader, model: FocusLiteModel, opts: SlideQcOptions, name: string) {
  const { info } = reader;
  const scores = result.tiles.map((t) => t.score);
  const stats = scores.length > 0 ? summaryStats(scores) : null;
  // Geometric mean of x and y, so areas stay right where pixels are not square.
  const mpp = info.mpp ? Math.sqrt(info.mpp.x * info.mpp.y) : null;
  const share = blurShare(result.tiles, opts.threshold, { mpp: mpp ?? undefined });
  let maskPixels = 0;
  for (const v of result.tissueMask) maskPixels += v ? 1 : 0;
  const tissueMm2 = mpp ? (maskPixels * result.thumbScaleX * result.thumbScaleY * mpp * mpp) / 1e6 : null;
  const pass = scores.length > 0 ? share.share <= opts.maxBlurShare : null;
  return {
    format: 'focuslite-slide-focus',
    version: 1,
    slide: info.path,
    name,
    reader: info.reader,
    slideFormat: info.format,
    dimensions: { width: info.levels[0]!.width, height: info.levels[0]!.height },
    levels: info.levels.map((l) => ({ width: l.width, height: l.height, downsample: l.downsample })),
    mpp: info.mpp,
    objectivePower: info.objectivePower,
    ...withResolutionWarning(slideMetadataReport(info), result.resolution.warning),
    scoring: {
      level: result.level,
      resolutionFactor: result.grid.factor,
      mpp: result.resolution.mpp,
      // the resolution asked for and by whom: --mpp ('option'), the model's training resolution ('model'), or neither ('none')
      targetMpp: result.resolution.targetMpp,
      mppSource: result.resolution.source,
      modelMpp: model.mpp,
      warning: result.resolution.warning,
      resampling: resamplingOf(result.grid.factor / (info.levels[result.level]!.downsample)),
      cropSize: result.grid.cropSize,
      stride: result.grid.stride,
      minTissue: opts.minTissue ?? 0.5,
      gridCrops: result.grid.xs.length * result.grid.ys.length,
    },
    tissue: {
      method: result.tissueMethod,
      fractionOfSlide: result.tissueFraction,
      areaMm2: tissueMm2,
      note: mpp ? 'area of the tissue pixels on the thumbnail (holes and tears excluded), scaled to level 0' : 'slide has no MPP: area unknown',
    },
    cropsScored: result.tiles.length,
    score: stats,
    blur: {
      threshold: opts.threshold,
      shareOfTissueAbove: scores.length > 0 ? share.share : null,
      ...share,
    },
    qc: { pass, maxBlurShare: opts.maxBlurShare, rule: 'pass when the out-of-focus share of scored tissue area <= maxBlurShare' },
    maps: { ...mapsInfo(result.thumbnail.width, result.thumbnail.height, opts.threshold, opts.minTissue ?? 0.5), geojson: opts.geojsonCells ? 'cells' : 'crops' },
    timingsMs: result.timings,
    model: { file: opts.modelLabel, kernels: model.kernels, pooling: model.pooling, scale: model.scale, parameters: parameterCount(model), source: model.provenance.source },
    createdAt: new Date().toISOString(),
  };
}

/** How the chosen level is resampled onto the scoring pixels (see core/resample.ts). */
function resamplingOf(rel: number): string {
  if (Math.abs(rel - 1) < 1e-6) return 'none';
  return rel > 1 ? 'area average (shrink)' : 'Lanczos-3 (enlarge)';
}

function withResolutionWarning<T extends { warnings: string[] }>(report: T, warning: string | null): T {
  return warning ? { ...report, warnings: [...report.warnings, warning] } : report;
}

export interface BatchEvents {
  onSlideStart?(index: number, file: string): void;
  onSlideProgress?(done: number, total: number): void;
  onSlideEnd?(index: number, row: SlideSummaryRow): void;
}

function rowFromExisting(file: string, name: string, path: string): SlideSummaryRow {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  return {
    slide: file, name, status: 'skipped', crops: doc.cropsScored ?? 0, tissueMm2: doc.tissue?.areaMm2 ?? null,
    mean: doc.score?.mean ?? null, median: doc.score?.median ?? null, p90: doc.score?.p90 ?? null,
    blurShare: doc.blur?.shareOfTissueAbove ?? null, pass: doc.qc?.pass ?? null, seconds: null, error: '', warning: doc.scoring?.warning ?? '',
  };
}

/** Score one slide and write all its outputs; focus.json is written last. */
export async function processSlide(file: string, name: string, model: FocusLiteModel, engine: ComputeEngine, opts: SlideQcOptions, events: BatchEvents = {}): Promise<SlideSummaryRow> {
  const t0 = performance.now();
  const paths = outputPaths(opts.outDir, name);
  const reader = await openSlide(file, { backend: opts.backend ?? 'auto' });
  try {
    const result = await scoreSlide(reader, engine, { ...opts, modelMpp: opts.modelMpp !== undefined ? opts.modelMpp : model.mpp, onProgress: events.onSlideProgress });
    const report = slideReport(result, reader, model, opts, name);
    const legendScale = model.scale;
    await writeFileAtomic(paths.tilesCsv, tilesCsv(result.tiles));
    const polygons = opts.geojsonCells ? 'cells' : 'crops';
    const minTissue = opts.minTissue ?? 0.5;
    await writeFileAtomic(paths.geojson, tilesGeoJsonChunks(result.tiles, { threshold: opts.threshold, modelName: opts.modelLabel, scale: legendScale, polygons }));
    await writeFileAtomic(paths.heatmap, await renderHeatmap(result.thumbnail, result.thumbScaleX, result.tiles, { scale: legendScale, threshold: opts.threshold, tissueMask: result.tissueMask, minTissue }));
    await writeFileAtomic(paths.mask, await renderMask(result.thumbnail.width, result.thumbnail.height, result.thumbScaleX, result.tiles, opts.threshold, { tissueMask: result.tissueMask, minTissue }));
    await writeFileAtomic(paths.focusJson, JSON.stringify({ ...report, outputs: { ...paths } }, null, 2) + '\n');
    return {
      slide: file, name, status: 'ok', crops: result.tiles.length, tissueMm2: report.tissue.areaMm2,
      mean: report.score?.mean ?? null, median: report.score?.median ?? null, p90: report.score?.p90 ?? null,
      blurShare: report.blur.shareOfTissueAbove, pass: report.qc.pass, seconds: (performance.now() - t0) / 1000, error: '', warning: result.resolution.warning ?? '',
    };
  } finally {
    await reader.close();
  }
}

const SUMMARY_HEADER = 'slide,name,status,crops,tissue_mm2,mean,median,p90,blur_share,qc,seconds,error,warning';

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(Number(v.toFixed(6))) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function summaryCsv(rows: readonly SlideSummaryRow[]): string {
  const lines = rows.map((r) =>
    [r.slide, r.name, r.status, r.crops, r.tissueMm2, r.mean, r.median, r.p90, r.blurShare, r.pass === null ? '' : r.pass ? 'pass' : 'fail', r.seconds, r.error, r.warning]
      .map(csvField)
      .join(','),
  );
  return [SUMMARY_HEADER, ...lines].join('\n') + '\n';
}

/** Run the batch; the summary is rewritten after every slide so a crash keeps what was done. */
export async function runSlideBatch(files: readonly string[], model: FocusLiteModel, engine: ComputeEngine, opts: SlideQcOptions, events: BatchEvents = {}): Promise<SlideSummaryRow[]> {
  mkdirSync(opts.outDir, { recursive: true });
  const names = slideNames(files);
  const errorsFile = join(opts.outDir, 'errors.txt');
  const rows: SlideSummaryRow[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!, name = names[i]!;
    events.onSlideStart?.(i, file);
    const done = outputPaths(opts.outDir, name).focusJson;
    let row: SlideSummaryRow;
    if (!opts.force && existsSync(done)) {
      row = rowFromExisting(file, name, done);
    } else {
      try {
        row = await processSlide(file, name, model, engine, opts, events);
      } catch (err) {
        const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
        const line = msg.includes(file) ? msg : `${file}: ${msg}`;
        appendFileSync(errorsFile, `${new Date().toISOString()}\t${line}\n`);
        row = { slide: file, name, status: 'error', crops: 0, tissueMm2: null, mean: null, median: null, p90: null, blurShare: null, pass: null, seconds: null, error: line, warning: '' };
      }
    }
    rows.push(row);
    events.onSlideEnd?.(i, row);
    await writeFileAtomic(join(opts.outDir, 'summary.csv'), summaryCsv(rows));
  }
  return rows;
}
