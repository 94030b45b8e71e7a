/**
 * Batch whole-slide QC: for each slide, score it and write its outputs into one folder, atomically,
 * with `<name>.focus.json` written last as the completion marker. Resume trusts a focus.json only
 * for the slide and settings it records (slide-resume.ts): a changed slide or a setting that
 * changes the scores means scoring again, a setting that changes only the verdict means
 * recomputing it from the stored tile scores. A per-slide lock file (`<name>.lock`, io/file-lock.ts)
 * keeps concurrent runs from scoring a slide twice: a slide another live run holds is put off
 * until the end of the list, then waited for. summary.csv is rebuilt from the whole folder after
 * every slide (slide-summary.ts). One failing slide never stops the batch: its error goes to
 * `errors.txt`, `<name>.failed.json` and the summary.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FocusLiteModel } from '../core/model.js';
import { openSlide } from '../io/slide/index.js';
import type { SlideReader } from '../io/slide/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { fileIdentity, type FileIdentity } from '../io/file-identity.js';
import { tryLock, describeHolder, type HeldLock, type LockInfo, type LockOptions } from '../io/file-lock.js';
import { fsReason } from '../io/fs-errors.js';
import type { ComputeEngine } from '../runtime/compute-engine.js';
import { FOCUS_REPORT_FORMAT, FOCUS_REPORT_VERSION, type FocusReport, type FocusReportBlur, type FocusReportSettings } from './focus-report.js';
import { FAILURE_FORMAT, OutputFolder, type FailureRecord } from './output-folder.js';
import { slideMetadataReport } from './slide-metadata.js';
import { assignNames, decideResume, nextFreeName, slideKeys, type ResumeDecision } from './slide-resume.js';
import { scorerOf, scorerThreshold, type SlideScorer } from './slide-scorer.js';
import { planSlide, scoreSlide, unscoredSlide, type SlideScore, type SlideScoreOptions } from './slide-score.js';
import { FLUORESCENCE_MEASURE, heatmapExtras, judged, mapScale, modalityJson, storedModality } from './slide-modality.js';
import { blurShare, mapsInfo, parseTilesCsv, renderHeatmap, renderMask, summaryStats, tilesCsv, tilesGeoJsonChunks, type MappedTile } from './slide-outputs.js';
import { rowFromFailure, rowFromReport, writeFolderSummary, type FolderProblem, type SlideSummaryRow } from './slide-summary.js';

export { summaryCsv, SUMMARY_HEADER, type SlideSummaryRow } from './slide-summary.js';
export { measureScorer, modelScorer, type SlideScorer } from './slide-scorer.js';

/** What scores the slides: a FocusLiteNN model (labelled by opts.modelLabel) or any SlideScorer. */
export type SlideScoring = FocusLiteModel | SlideScorer;

export interface SlideQcOptions extends Omit<SlideScoreOptions, 'onProgress'> {
  outDir: string;
  /** tile score above which a tile is out of focus */
  threshold: number;
  /** a slide fails QC when more than this share of its scored tissue area is out of focus */
  maxBlurShare: number;
  force?: boolean;
  backend?: 'auto' | 'sharp' | 'dicom' | 'openslide';
  /** recorded in outputs: where the model came from (a SlideScorer carries its own label) */
  modelLabel: string;
  /** GeoJSON of the non-overlapping map cells instead of the (overlapping) crop squares */
  geojsonCells?: boolean;
  /** per-slide lock files: when a lock is stale (tests shorten these) */
  lock?: LockOptions & { pollMs?: number };
}

/** Default blur threshold of a slide run: core/score's one rule (null: the user must give one). */
export function defaultThreshold(scoring: SlideScoring): number | null {
  return scorerThreshold(scorerOf(scoring, ''));
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

/** Output names per slide in an empty folder: the file name without extension, made unique within a batch. */
export function slideNames(files: readonly string[]): string[] {
  return assignNames(files, new Map());
}

/** This run's settings, as focus.json records them and resume compares them. */
export function runSettings(scoring: SlideScoring, opts: SlideQcOptions): FocusReportSettings {
  const scorer = scorerOf(scoring, opts.modelLabel);
  return {
    score: {
      model: scorer.fingerprint,
      mpp: opts.mpp ?? null,
      modelMpp: opts.modelMpp !== undefined ? opts.modelMpp : scorer.mpp,
      cropSize: opts.cropSize ?? 235,
      stride: opts.stride ?? 128,
      minTissue: opts.minTissue ?? 0.5,
      thumbnailSize: opts.thumbnailSize ?? 1024,
      backend: opts.backend ?? 'auto',
      modality: opts.modality ?? 'auto',
    },
    verdict: { threshold: opts.threshold, maxBlurShare: opts.maxBlurShare },
    output: { geojsonCells: !!opts.geojsonCells },
  };
}

/** Blur share and QC verdict of scored tiles: the part of focus.json a verdict recomputation rewrites. */
export function slideVerdict(tiles: readonly MappedTile[], threshold: number, maxBlurShare: number, mpp: number | null): { blur: FocusReportBlur; qc: FocusReport['qc'] } {
  const share = blurShare(tiles, threshold, { mpp: mpp ?? undefined });
  const scored = tiles.length > 0 && Number.isFinite(share.share);
  return {
    blur: { threshold, shareOfTissueAbove: scored ? share.share : null, ...share, share: scored ? share.share : null },
    qc: { pass: scored ? share.share <= maxBlurShare : null, maxBlurShare, rule: 'pass when the out-of-focus share of scored tissue area <= maxBlurShare' },
  };
}

/** Geometric mean of x and y, so areas stay right where pixels are not square. */
function areaMpp(mpp: { x: number; y: number } | null | undefined): number | null {
  return mpp ? Math.sqrt(mpp.x * mpp.y) : null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface SlideReportContext {
  name: string;
  identity: FileIdentity;
  settings: FocusReportSettings;
  /** SHA-256 of the tiles.csv written beside it (a verdict is recomputed only from that file) */
  tilesCsvSha256: string;
}

/** Share of tissue area above the threshold + QC verdict + stats, in the form focus.json holds. */
export function slideReport(result: SlideScore, reader: SlideReader, scoring: SlideScoring, opts: SlideQcOptions, ctx: SlideReportContext): FocusReport {
  const scorer = scorerOf(scoring, opts.modelLabel);
  const { info } = reader;
  const { name } = ctx;
  const scores = result.tiles.map((t) => t.score);
  const stats = scores.length > 0 ? summaryStats(scores) : null;
  const mpp = areaMpp(info.mpp);
  let maskPixels = 0;
  for (const v of result.tissueMask) maskPixels += v ? 1 : 0;
  const tissueMm2 = mpp ? (maskPixels * result.thumbScaleX * result.thumbScaleY * mpp * mpp) / 1e6 : null;
  const now = new Date().toISOString();
  const minTissue = opts.minTissue ?? 0.5;
  const { blur, qc } = slideVerdict(result.tiles, opts.threshold, opts.maxBlurShare, mpp);
  const words = judged(qc, result.modality, result.tiles.length, result.tissueFraction, minTissue);
  return {
    format: FOCUS_REPORT_FORMAT,
    version: FOCUS_REPORT_VERSION,
    slide: info.path,
    name,
    identity: ctx.identity,
    settings: ctx.settings,
    reader: info.reader,
    slideFormat: info.format,
    dimensions: { width: info.levels[0]!.width, height: info.levels[0]!.height },
    levels: info.levels.map((l) => ({ width: l.width, height: l.height, downsample: l.downsample })),
    mpp: info.mpp ?? null,
    objectivePower: info.objectivePower ?? null,
    ...withResolutionWarning(slideMetadataReport(info), result.resolution.warning),
    verdict: words.verdict,
    modality: modalityJson(result.modality),
    scoring: {
      level: result.level,
      resolutionFactor: result.grid.factor,
      mpp: result.resolution.mpp,
      // the resolution asked for and by whom: --mpp ('option'), the model's training resolution ('model'), or neither ('none')
      targetMpp: result.resolution.targetMpp,
      mppSource: result.resolution.source,
      modelMpp: scorer.mpp,
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
    blur,
    qc: words.qc,
    maps: { ...mapsInfo(result.thumbnail.width, result.thumbnail.height, opts.threshold, opts.minTissue ?? 0.5), geojson: opts.geojsonCells ? 'cells' : 'crops' },
    timingsMs: { ...result.timings },
    model: result.modality.used === 'fluorescence'
      ? { method: FLUORESCENCE_MEASURE, kind: 'knowledge-based', scale: 'relative', input: "each pixel's brightest channel", note: 'FocusLiteNN was trained on brightfield slides; fluorescence is scored with a knowledge-based measure' }
      : scorer.report,
    tilesCsvSha256: ctx.tilesCsvSha256,
    scoredAt: now,
    createdAt: now,
    outputs: { ...outputPaths(opts.outDir, name) },
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
  /** another live run holds the slide: it is put off to the end of the list (`later`), then waited for */
  onSlideWait?(index: number, file: string, holder: LockInfo, later: boolean): void;
  /** something the user should know that is no slide's result (a corrupt file in the folder, a stale lock taken over) */
  onNote?(line: string): void;
}

/** The files of a slide's outputs, written focus.json last; the old focus.json goes first, so a crash midway leaves none. */
async function writeOutputs(paths: ReturnType<typeof outputPaths>, files: { tilesCsv?: string; geojson?: Iterable<string>; heatmap?: Uint8Array; mask?: Uint8Array }, report: FocusReport): Promise<void> {
  rmSync(paths.focusJson, { force: true });
  if (files.tilesCsv !== undefined) await writeFileAtomic(paths.tilesCsv, files.tilesCsv);
  if (files.geojson !== undefined) await writeFileAtomic(paths.geojson, files.geojson);
  if (files.heatmap !== undefined) await writeFileAtomic(paths.heatmap, files.heatmap);
  if (files.mask !== undefined) await writeFileAtomic(paths.mask, files.mask);
  await writeFileAtomic(paths.focusJson, JSON.stringify(report, null, 2) + '\n');
}

function geojsonOf(tiles: readonly MappedTile[], scorer: SlideScorer, opts: SlideQcOptions, modality: { used: 'brightfield' | 'fluorescence' | null }): Iterable<string> {
  const fluorescence = modality.used === 'fluorescence';
  return tilesGeoJsonChunks(tiles, { threshold: opts.threshold, modelName: fluorescence ? FLUORESCENCE_MEASURE : scorer.label, scale: mapScale(modality, scorer.scale), polygons: opts.geojsonCells ? 'cells' : 'crops' });
}

/** The legend's name for the scores when a measure (not a model) made them. */
function mapLabelOf(scorer: SlideScorer): { scoreLabel?: string } {
  return scorer.mapLabel ? { scoreLabel: scorer.mapLabel } : {};
}

function scoreOptions(scorer: SlideScorer, opts: SlideQcOptions): SlideScoreOptions {
  return { ...opts, modelMpp: opts.modelMpp !== undefined ? opts.modelMpp : scorer.mpp };
}

/** Score one slide and write all its outputs; focus.json is written last. */
export async function processSlide(
  file: string, name: string, scoring: SlideScoring, engine: ComputeEngine, opts: SlideQcOptions, events: BatchEvents = {},
  ctx: { identity?: FileIdentity; settings?: FocusReportSettings } = {},
): Promise<SlideSummaryRow> {
  const scorer = scorerOf(scoring, opts.modelLabel);
  const t0 = performance.now();
  const paths = outputPaths(opts.outDir, name);
  const identity = ctx.identity ?? fileIdentity(file);
  const settings = ctx.settings ?? runSettings(scorer, opts);
  const reader = await openSlide(file, { backend: opts.backend ?? 'auto' });
  try {
    // The plan (thumbnail, modality, tissue) first: a slide of an unsupported modality is not scored.
    const scoreOpts = { ...scoreOptions(scorer, opts), onProgress: events.onSlideProgress };
    const plan = await planSlide(reader, scoreOpts);
    const result = plan.modality.used === null ? unscoredSlide(plan) : await scoreSlide(reader, engine, scoreOpts, plan);
    const tiles = tilesCsv(result.tiles);
    const report = slideReport(result, reader, scorer, opts, { name, identity, settings, tilesCsvSha256: sha256(tiles) });
    const minTissue = opts.minTissue ?? 0.5;
    const heatmap = await renderHeatmap(result.thumbnail, result.thumbScaleX, result.tiles, {
      scale: mapScale(result.modality, scorer.scale), threshold: opts.threshold, tissueMask: result.tissueMask, minTissue, ...mapLabelOf(scorer), ...heatmapExtras(report.verdict!, result.modality),
    });
    const mask = await renderMask(result.thumbnail.width, result.thumbnail.height, result.thumbScaleX, result.tiles, opts.threshold, { tissueMask: result.tissueMask, minTissue });
    await writeOutputs(paths, { tilesCsv: tiles, geojson: geojsonOf(result.tiles, scorer, opts, result.modality), heatmap, mask }, report);
    return { ...rowFromReport(report, 'ok', (performance.now() - t0) / 1000), slide: file };
  } finally {
    await reader.close();
  }
}

/**
 * A verdict from the stored tile scores (tiles.csv, checked against the hash focus.json recorded),
 * with this run's threshold and max blur share; the maps that show the threshold (GeoJSON
 * classes, heat map, mask) are redrawn on the slide's thumbnail and tissue mask, which are made
 * again (cheap: no crop is read or scored). Returns why the slide must be scored instead when
 * the stored scores cannot be used.
 */
export async function recomputeVerdict(file: string, stored: FocusReport, scoring: SlideScoring, opts: SlideQcOptions, settings: FocusReportSettings): Promise<{ row: SlideSummaryRow } | { rescore: string }> {
  const scorer = scorerOf(scoring, opts.modelLabel);
  const t0 = performance.now();
  const paths = outputPaths(opts.outDir, stored.name);
  let text: string;
  try {
    text = readFileSync(paths.tilesCsv, 'utf8');
  } catch (err) {
    return { rescore: `${paths.tilesCsv}: cannot read the stored tile scores (${fsReason(err)})` };
  }
  if (sha256(text) !== stored.tilesCsvSha256) return { rescore: `${paths.tilesCsv}: not the tile scores ${paths.focusJson} was written with` };
  let tiles: MappedTile[];
  try {
    tiles = parseTilesCsv(text);
  } catch (err) {
    return { rescore: `${paths.tilesCsv}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const modality = storedModality(stored.modality);
  const { blur, qc } = slideVerdict(tiles, opts.threshold, opts.maxBlurShare, areaMpp(stored.mpp));
  const words = judged(qc, modality, tiles.length, stored.tissue.fractionOfSlide, opts.minTissue ?? 0.5);
  const files: Parameters<typeof writeOutputs>[1] = {};
  const thresholdChanged = stored.blur.threshold !== opts.threshold;
  if (thresholdChanged) {
    const reader = await openSlide(file, { backend: opts.backend ?? 'auto' });
    try {
      const plan = await planSlide(reader, scoreOptions(scorer, opts));
      const { width, height } = plan.thumbnail;
      if (width !== stored.maps.thumbnail.width || height !== stored.maps.thumbnail.height) {
        return { rescore: `thumbnail is ${width}x${height}, the stored maps ${stored.maps.thumbnail.width}x${stored.maps.thumbnail.height}` };
      }
      const minTissue = opts.minTissue ?? 0.5;
      files.heatmap = await renderHeatmap(plan.thumbnail, plan.thumbScaleX, tiles, {
        scale: mapScale(modality, scorer.scale), threshold: opts.threshold, tissueMask: plan.tissueMask, minTissue, ...mapLabelOf(scorer), ...heatmapExtras(words.verdict, modality),
      });
      files.mask = await renderMask(width, height, plan.thumbScaleX, tiles, opts.threshold, { tissueMask: plan.tissueMask, minTissue });
    } finally {
      await reader.close();
    }
  }
  if (thresholdChanged || stored.settings.output.geojsonCells !== !!opts.geojsonCells) files.geojson = geojsonOf(tiles, scorer, opts, modality);
  const report: FocusReport = {
    ...stored,
    slide: file,
    settings,
    blur,
    qc: words.qc,
    verdict: words.verdict,
    maps: { ...mapsInfo(stored.maps.thumbnail.width, stored.maps.thumbnail.height, opts.threshold, opts.minTissue ?? 0.5), geojson: opts.geojsonCells ? 'cells' : 'crops' },
    createdAt: new Date().toISOString(),
  };
  await writeOutputs(paths, files, report);
  return { row: { ...rowFromReport(report, 'recomputed', (performance.now() - t0) / 1000), slide: file } };
}

/** The slide (real path) an output name belongs to now, or null when it is free. */
function nameOwner(folder: OutputFolder, name: string): string | null {
  const f = folder.readFocus(name);
  if (f?.kind === 'ok') return f.report.identity.path;
  if (f?.kind === 'outdated' && f.slide) return slideKeys(f.slide).values().next().value ?? null;
  return folder.readFailure(name)?.key ?? null;
}

function oneLine(err: unknown, file: string): string {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return msg.includes(file) ? msg : `${file}: ${msg}`;
}

/**
 * Run the batch. Returns one row per file, in list order; summary.csv is rebuilt from the whole
 * output folder after every slide, so a crash keeps what was done and overlapping runs keep
 * each other's rows.
 */
export async function runSlideBatch(files: readonly string[], scoring: SlideScoring, engine: ComputeEngine, opts: SlideQcOptions, events: BatchEvents = {}): Promise<SlideSummaryRow[]> {
  const scorer = scorerOf(scoring, opts.modelLabel);
  mkdirSync(opts.outDir, { recursive: true });
  const folder = new OutputFolder(opts.outDir);
  const settings = runSettings(scorer, opts);
  const names = assignNames(files, folder.owners());
  const errorsFile = join(opts.outDir, 'errors.txt');
  const rows: SlideSummaryRow[] = new Array(files.length);
  const told = new Set<string>();

  const takenBesides = (i: number, avoid: ReadonlySet<string>): Set<string> =>
    new Set([...folder.owners().keys(), ...names.filter((_, j) => j !== i), ...avoid]);

  const scoreLocked = async (i: number, file: string, name: string): Promise<SlideSummaryRow> => {
    events.onSlideStart?.(i, file);
    const paths = outputPaths(opts.outDir, name);
    let identity: FileIdentity | null = null;
    try {
      identity = fileIdentity(file);
      const decision: ResumeDecision = decideResume(folder.readFocus(name), paths.focusJson, identity, settings, !!opts.force);
      if (decision.action === 'skip') return { ...rowFromReport(decision.report, 'skipped', null), slide: file };
      let note = decision.action === 'score' ? decision.reason : null;
      if (decision.action === 'recompute') {
        const r = await recomputeVerdict(file, decision.report, scorer, opts, settings);
        if ('row' in r) return { ...r.row, note: [...decision.verdict, ...decision.output].join(', ') };
        note = `stored tile scores not usable: ${r.rescore}`;
      }
      const row = await processSlide(file, name, scorer, engine, opts, events, { identity, settings });
      rmSync(folder.failedPath(name), { force: true });
      return note ? { ...row, note } : row;
    } catch (err) {
      const line = oneLine(err, file);
      appendFileSync(errorsFile, `${new Date().toISOString()}\t${line}\n`);
      const record: FailureRecord = {
        format: FAILURE_FORMAT, version: 1, slide: file, name, identity,
        key: identity?.path ?? [...slideKeys(file)].pop()!, error: line, createdAt: new Date().toISOString(),
      };
      await writeFileAtomic(folder.failedPath(name), JSON.stringify(record, null, 2) + '\n');
      return rowFromFailure(record);
    }
  };

  /** One slide under its lock; 'busy' when another live run holds it and `wait` is false. */
  const attempt = async (i: number, wait: boolean): Promise<SlideSummaryRow | 'busy'> => {
    const file = files[i]!;
    const keys = slideKeys(file);
    const owner = [...keys].pop()!;
    const avoid = new Set<string>();
    let name = names[i]!;
    let toldWait = false;
    for (;;) {
      const got = tryLock(join(opts.outDir, `${name}.lock`), owner, opts.lock);
      if (!got.acquired) {
        if (!keys.has(got.holder.owner)) {
          // another slide is being written under this name: take the next free one
          avoid.add(name);
          name = nextFreeName(file, takenBesides(i, avoid));
          continue;
        }
        if (!toldWait) events.onSlideWait?.(i, file, got.holder, !wait);
        toldWait = true;
        if (!wait) return 'busy';
        await new Promise((r) => setTimeout(r, opts.lock?.pollMs ?? 250));
        continue;
      }
      const lock: HeldLock = got.lock;
      try {
        if (got.tookOver) events.onNote?.(`${lock.path}: took over a stale lock (${got.tookOver.info ? describeHolder(got.tookOver.info) + ': ' : ''}${got.tookOver.reason})`);
        const ownerNow = nameOwner(folder, name);
        if (ownerNow !== null && !keys.has(ownerNow)) {
          avoid.add(name);
          name = nextFreeName(file, takenBesides(i, avoid));
          continue;
        }
        names[i] = name;
        return await scoreLocked(i, file, name);
      } finally {
        lock.release();
      }
    }
  };

  const finish = async (i: number, row: SlideSummaryRow): Promise<void> => {
    rows[i] = row;
    events.onSlideEnd?.(i, row);
    const { problems } = await writeFolderSummary(folder);
    reportProblems(problems);
  };
  const reportProblems = (problems: readonly FolderProblem[]): void => {
    for (const p of problems) {
      const line = `${p.path}: ${p.reason}; not in summary.csv until its slide is run again`;
      if (told.has(line)) continue;
      told.add(line);
      events.onNote?.(line);
    }
  };

  const deferred: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const r = await attempt(i, false);
    if (r === 'busy') deferred.push(i);
    else await finish(i, r);
  }
  for (const i of deferred) await finish(i, (await attempt(i, true)) as SlideSummaryRow);
  return rows;
}

/**
 * The exit code of a batch (README, Exit codes): 1 when any input failed (1 wins), else 3 when
 * any slide did not pass QC (failed it, or got no verdict: no tissue found, unsupported
 * modality), else 0.
 */
export function batchExitCode(rows: readonly SlideSummaryRow[], inputErrors = 0): 0 | 1 | 3 {
  if (inputErrors > 0 || rows.some((r) => r.status === 'error')) return 1;
  return rows.every((r) => r.pass === true) ? 0 : 3;
}
