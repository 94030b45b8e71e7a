/** `focuslite slide <files|folders|globs...>`: whole-slide focus maps and a cohort QC summary. */
import { Command } from 'commander';
import type cliProgressModule from 'cli-progress';
import { resolve } from 'node:path';
import { DEFAULT_MODEL_HELP } from '../io/model-source.js';
import type { SlideSummaryRow } from '../pipeline/slide-batch.js';
import { defaultThreads } from '../runtime/threads.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { cliProgress } from './progress.js';

/** Extensions searched for in folders; single files are taken whatever their extension. */
export const SLIDE_EXTENSIONS = ['.svs', '.tif', '.tiff', '.ndpi', '.mrxs', '.scn', '.bif', '.vms', '.vmu', '.svslide', '.dcm', '.png', '.jpg', '.jpeg', '.webp'];

interface SlideOpts {
  output: string;
  weights?: string;
  method?: string;
  threshold?: number;
  maxBlurShare: number;
  minTissue: number;
  mpp?: number;
  threads: number;
  force?: boolean;
  backend: 'auto' | 'sharp' | 'dicom' | 'openslide';
  thumbnail: number;
  kernel?: string;
  geojsonCells?: boolean;
  modality: 'auto' | 'brightfield' | 'fluorescence';
}

export function slideCommand(): Command {
  return new Command('slide')
    .description('Whole-slide focus QC: tissue detection, focus scores of every tissue crop, heat map, QuPath GeoJSON, summary.csv')
    .argument('<inputs...>', 'slides (SVS, TIFF, NDPI, DICOM, MRXS, ... ), folders (searched recursively; a folder of one DICOM series is one slide) or glob patterns')
    .requiredOption('-o, --output <dir>', 'output folder (per slide: .focus.json, .tiles.csv, .geojson, .heatmap.png, .mask.png; plus summary.csv, errors.txt)')
    .option('-w, --weights <file>', `model: focuslite weights JSON, an original FocusLiteNN .pt checkpoint or an ONNX model (default: ${DEFAULT_MODEL_HELP})`)
    .option('-m, --method <name>', 'a registered focus measure instead of a model (fqpath, hvs-maxpol-1, laplacian-variance, ...): it scores every tissue crop of the grid; classic measures have a relative scale, so --threshold is required')
    .option('--threshold <score>', 'tile score above which a tile is out of focus (default: the threshold the model carries, else 3 for z-level models; required for relative models without one)', numberOption('threshold', -1e6, 1e6))
    .option('--max-blur-share <f>', 'a slide fails QC when more than this share of tissue area is out of focus', numberOption('max-blur-share', 0, 1), 0.1)
    .option('--min-tissue <f>', 'score crops with at least this tissue fraction', numberOption('min-tissue', 0, 1), 0.5)
    .option('--mpp <um>', "score at this resolution (µm/px) instead of the model's training resolution (needs the slide's MPP)", numberOption('mpp', 0.01, 100))
    .option('-t, --threads <n>', 'compute threads', intOption('threads', 1, 256), defaultThreads())
    .option('--force', 'score every slide again, even when its outputs are up to date')
    .option('--backend <name>', 'slide reader: auto, sharp, dicom, openslide', choiceOption('backend', ['auto', 'sharp', 'dicom', 'openslide'] as const), 'auto')
    .option('--thumbnail <px>', 'longer side of the thumbnail for tissue detection and heat maps', intOption('thumbnail', 64, 16384), 1024)
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference)')
    .option('--modality <name>', 'auto (fluorescence slides are reported as unsupported), brightfield, or fluorescence (inverted tissue detector, hvs-maxpol-1 instead of the model; needs --threshold)', choiceOption('modality', ['auto', 'brightfield', 'fluorescence'] as const), 'auto')
    .option('--geojson-cells', 'GeoJSON of non-overlapping map cells (areas add up in QuPath) instead of the overlapping crop squares')
    .addHelpText('after', '\nExit codes: 0 every slide scored and passed QC; 1 some input or slide failed (wins over 3); 3 every slide scored, but at least one failed QC or got no verdict (no tissue found, unsupported modality).')
    .action(async (inputs: string[], opts: SlideOpts) => {
      process.exitCode = await runSlide(inputs, opts);
    });
}

async function runSlide(inputs: string[], opts: SlideOpts): Promise<number> {
  // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
  const [{ dicomSeriesFiles }, { openComputeEngine }, { batchExitCode, defaultThreshold, measureScorer, modelScorer, runSlideBatch }, { expandInputs }, { FLUORESCENCE_MEASURE }, { resolveMeasure, measureSource }] = await Promise.all([
    import('../io/slide/index.js'), import('../runtime/compute-engine.js'), import('../pipeline/slide-batch.js'), import('../io/inputs.js'), import('../pipeline/slide-modality.js'),
    import('../pipeline/measure-source.js'),
  ]);
  const fluorescence = opts.modality === 'fluorescence';
  if (fluorescence && opts.method !== undefined) {
    throw new Error(`--modality fluorescence scores with ${FLUORESCENCE_MEASURE} on each pixel's brightest channel; it cannot be combined with --method`);
  }
  // FocusLiteNN (--weights or the built-in default), a registered measure (--method) or an ONNX model
  // (under --modality fluorescence: the knowledge-based measure, which has no training resolution,
  // so each slide is scored at level 0 as stored, never resampled to a model's MPP)
  const measure = await resolveMeasure(fluorescence ? { method: FLUORESCENCE_MEASURE } : { weights: opts.weights, method: opts.method, kernel: opts.kernel });
  const scorer = measure.model ? modelScorer(measure.model, measure.path ?? measure.label) : measureScorer(measure.info, measure.spec, measure.label);
  const path = scorer.label;
  const threshold = fluorescence ? opts.threshold ?? null : opts.threshold ?? defaultThreshold(scorer);
  if (threshold === null && fluorescence) {
    // hvs-maxpol-1 has no absolute scale; README (Fluorescence) gives the figures of the shared DAPI slide.
    throw new Error('--modality fluorescence scores with hvs-maxpol-1, a relative scale: pass --threshold <score> (on a DAPI slide in focus, crops score about 2.3-2.6 and a Gaussian blur of 1 px gives about 4)');
  }
  if (threshold === null && !measure.model) {
    throw new Error(`${path}: ${measure.info.label} has a relative scale (no absolute blur level); pass --threshold <score> (e.g. from \`focuslite score --method ${measure.info.name} --grid\` on a sharp and a blurred tile)`);
  }
  if (threshold === null) {
    throw new Error(`${path}: relative-scale model (PLCC-trained) carries no threshold and has no absolute blur level; pass --threshold <score>`);
  }
  // A folder holding one DICOM series (an instance per pyramid level) is one slide.
  const { files, errors } = await expandInputs(inputs, SLIDE_EXTENSIONS, { slideFolder: (dir) => dicomSeriesFiles(dir)?.files ?? null });
  for (const e of errors) process.stderr.write(`focuslite: ${e}\n`);
  if (files.length === 0) {
    process.stderr.write('focuslite: no slides to process\n');
    return 1;
  }
  // (under --modality fluorescence `measure` is already the knowledge-based measure, not the model)
  const engine = await openComputeEngine(measureSource(measure), opts.threads, opts.kernel);
  const bars = createBars(files.length);
  let rows: SlideSummaryRow[];
  try {
    rows = await runSlideBatch(files, scorer, engine, {
      outDir: resolve(opts.output),
      threshold,
      maxBlurShare: opts.maxBlurShare,
      minTissue: opts.minTissue,
      mpp: opts.mpp,
      force: opts.force,
      backend: opts.backend,
      thumbnailSize: opts.thumbnail,
      modelLabel: path,
      geojsonCells: opts.geojsonCells,
      modality: opts.modality,
    }, {
      onSlideStart: (i, file) => bars.start(i, file),
      onSlideProgress: (done, total) => bars.progress(done, total),
      onSlideEnd: (_i, row) => bars.end(row),
      onSlideWait: (_i, file, holder, later) => bars.log(`waiting ${file}: being scored by another run (pid ${holder.pid} on ${holder.hostname} since ${holder.createdAt}); ${later ? 'coming back to it after the others' : 'waiting for it to finish'}`),
      onNote: (line) => bars.log(`focuslite: ${line}`),
    });
  } finally {
    bars.stop();
    await engine.close();
  }
  const count = (p: (r: SlideSummaryRow) => boolean): number => rows.filter(p).length;
  const unsupported = (r: SlideSummaryRow): boolean => !!r.verdict?.startsWith('unsupported');
  const failed = count((r) => r.status === 'error') + errors.length;
  const scored = count((r) => r.status === 'ok' && !unsupported(r));
  const skipped = count((r) => r.status === 'skipped');
  const recomputed = count((r) => r.status === 'recomputed');
  const failing = count((r) => r.pass === false);
  // Slides without a verdict, by why (no tissue found, unsupported modality): exit 3, as any slide that did not pass.
  const noVerdict = count((r) => r.status !== 'error' && r.pass === null);
  const noTissue = count((r) => r.status !== 'error' && r.verdict === 'no tissue found');
  const notScored = count((r) => r.status !== 'error' && unsupported(r));
  const why = [noTissue ? `${noTissue} no tissue found` : '', notScored ? `${notScored} unsupported modality (fluorescence; --modality fluorescence maps them)` : ''].filter(Boolean).join(', ');
  process.stderr.write(`focuslite: ${scored} slide(s) scored, ${skipped} skipped (outputs up to date; --force to redo), ${recomputed} verdict(s) recomputed from stored scores, ${failed} failed, ${failing} fail QC, ${noVerdict} without a verdict${why ? ` (${why})` : ''}; summary in ${resolve(opts.output, 'summary.csv')}\n`);
  return batchExitCode(rows, errors.length);
}

/** Two bars on a TTY (overall slides with ETA, crops of the current slide); plain lines otherwise. */
function createBars(total: number) {
  const tty = !!process.stderr.isTTY && !process.env.CI;
  const verb = { ok: 'scored ', skipped: 'skipped', recomputed: 'verdict', error: 'failed ' } as const;
  const line = (r: SlideSummaryRow): string =>
    (r.status === 'error' ? `failed  ${r.error}`
      : r.verdict?.startsWith('unsupported') ? `${r.status === 'ok' ? 'not scored' : verb[r.status]} ${r.slide}: ${r.verdict}`
      : `${verb[r.status]} ${r.slide}: ${r.crops} crops, mean ${r.mean?.toFixed(3) ?? '-'}, blur share ${r.blurShare === null ? '-' : (r.blurShare * 100).toFixed(1) + '%'}, QC ${r.pass === null ? r.verdict ?? '-' : r.pass ? 'pass' : 'FAIL'}${r.seconds ? `, ${r.seconds.toFixed(1)} s` : ''}`)
    + (r.note ? ` (${r.status === 'recomputed' ? 'recomputed from stored scores: ' : 'scored again: '}${r.note})` : '');
  if (!tty) {
    const log = (text: string): void => void process.stderr.write(text + '\n');
    return { start() {}, progress() {}, end: (r: SlideSummaryRow) => log(line(r)), log, stop() {} };
  }
  const cp = cliProgress();
  const multi = new cp.MultiBar({ stream: process.stderr, hideCursor: true, clearOnComplete: false, format: '{label} [{bar}] {value}/{total} | ETA {eta_formatted}' }, cp.Presets.shades_classic);
  const overall = multi.create(total, 0, { label: 'slides' });
  let current: cliProgressModule.SingleBar | null = null;
  return {
    start(_i: number, file: string) {
      current = multi.create(1, 0, { label: `crops of ${file.split('/').pop()}` });
    },
    progress(done: number, all: number) {
      current?.setTotal(Math.max(1, all));
      current?.update(done);
    },
    end(r: SlideSummaryRow) {
      if (current) multi.remove(current);
      current = null;
      multi.log(line(r) + '\n');
      overall.increment();
    },
    log(text: string) {
      multi.log(text + '\n');
    },
    stop() {
      multi.stop();
    },
  };
}
