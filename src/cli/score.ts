/** `focuslite score <files|folders|globs...>`: focus scores of image patches. */
import { Command } from 'commander';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../core/model.js';
import { DEFAULT_MODEL_HELP } from '../io/model-source.js';
import { DEFAULT_MAX_PIXELS } from '../core/image.js';
import { defaultThreads } from '../runtime/threads.js';
import { SCORE_FORMATS, csvHeader, csvLines, tableHeader, tableLines, toRecord, type ScoreFormat, type ScoreRecord } from '../pipeline/score-output.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { mkdirSync } from 'node:fs';
import { createProgress } from './progress.js';

interface ScoreOpts {
  weights?: string;
  method?: string;
  format: ScoreFormat;
  crop: number;
  stride: number;
  threads: number;
  grid?: boolean;
  kernel?: string;
  heatmap?: string;
  threshold?: number;
  maxPixels: number;
  mpp?: number;
}

export function scoreCommand(): Command {
  return new Command('score')
    .description('Score image patches (PNG, JPEG, TIFF, WebP): mean over 235x235 crops at stride 128; higher = blurrier')
    .argument('<inputs...>', 'image files, folders (searched recursively) or glob patterns')
    .option('-w, --weights <file>', `model: focuslite weights JSON, an original FocusLiteNN .pt checkpoint or an ONNX model (default: ${DEFAULT_MODEL_HELP})`)
    .option('-m, --method <name>', 'focus measure instead of a model: focuslitenn or a registered measure (fqpath, hvs-maxpol-1, laplacian-variance, ...); classic measures score the whole image unless --crop, --stride, --grid or --heatmap ask for the crop grid')
    .option('-f, --format <format>', `output format: ${SCORE_FORMATS.join(', ')}`, choiceOption('format', SCORE_FORMATS), 'table')
    .option('--crop <px>', 'crop size', intOption('crop', 7, 100000), DEFAULT_CROP)
    .option('--stride <px>', 'crop stride', intOption('stride', 1, 100000), DEFAULT_STRIDE)
    .option('-t, --threads <n>', 'compute threads', intOption('threads', 1, 256), defaultThreads())
    .option('--grid', 'include the per-crop score grid (rows x cols)')
    .option('--heatmap <dir>', 'also write <name>.heatmap.png per image into this folder')
    .option('--threshold <score>', 'blur threshold marked on heat maps (default: the threshold the model carries, else 3 for z-level models, else the median crop score)', numberOption('threshold', -1e6, 1e6))
    .option('--max-pixels <n>', 'refuse images with more pixels than this (read from the header; larger images up to it are scored in row bands with bounded memory)',
      intOption('max-pixels', 1, Number.MAX_SAFE_INTEGER), DEFAULT_MAX_PIXELS)
    .option('--mpp <um>', "the images' pixel size in µm/px (overrides what TIFF/PNG resolution tags say): images are resampled to the model's training resolution before scoring", numberOption('mpp', 0.01, 100))
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference); default: the fastest available')
    .action(async (inputs: string[], opts: ScoreOpts, cmd: Command) => {
      // a crop grid asked for explicitly (a classic measure otherwise scores the whole image, as the paper ran it)
      const gridAsked = cmd.getOptionValueSource('crop') === 'cli' || cmd.getOptionValueSource('stride') === 'cli' || !!opts.grid || opts.heatmap !== undefined;
      process.exitCode = await runScore(inputs, opts, gridAsked);
    });
}

async function runScore(inputs: string[], opts: ScoreOpts, gridAsked: boolean): Promise<number> {
  // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
  const [{ scoreFiles }, { writeImageHeatmap }, { expandInputs }, { resolveMeasure, measureSource }] = await Promise.all([
    import('../pipeline/score-files.js'), import('../pipeline/image-heatmap.js'), import('../io/inputs.js'), import('../pipeline/measure-source.js'),
  ]);
  const measure = await resolveMeasure({ weights: opts.weights, method: opts.method, kernel: opts.kernel });
  const unit = measure.info.nativeUnit === 'image' && !gridAsked ? 'image' : 'crops';
  const by = { label: measure.label, scale: measure.info.scale };
  const { files, errors } = await expandInputs(inputs);
  for (const e of errors) process.stderr.write(`focuslite: ${e}\n`);
  if (files.length === 0) {
    process.stderr.write('focuslite: no images to score\n');
    return 1;
  }
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const collected: ScoreRecord[] = [];
  if (opts.format === 'table') tableHeader(by).forEach(out);
  if (opts.format === 'csv') out(csvHeader(!!opts.grid));
  const progress = createProgress(files.length, 'scoring');
  let failed = errors.length;
  let scored = 0;
  let heatmapsFailed = 0;
  let unknownMpp = 0;
  for await (const r of scoreFiles(files, measureSource(measure), { cropSize: opts.crop, stride: opts.stride, threads: opts.threads, kernel: opts.kernel, maxPixels: opts.maxPixels, unit, mpp: opts.mpp })) {
    progress.tick();
    if (!r.ok) {
      failed++;
      progress.log(`focuslite: ${r.error}`);
      continue;
    }
    if (opts.heatmap) {
      try {
        mkdirSync(opts.heatmap, { recursive: true });
        await writeImageHeatmap(r, measure.info.scale, opts.crop, opts.heatmap, opts.threshold ?? measure.model?.threshold?.value, measure.model ? undefined : measure.info.name);
      } catch (err) {
        heatmapsFailed++;
        progress.log(`focuslite: ${r.file}: heat map not written (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    scored++;
    if (r.mpp === null) unknownMpp++;
    const rec = toRecord(r, !!opts.grid, by);
    if (opts.format === 'json') collected.push(rec);
    else if (opts.format === 'jsonl') out(JSON.stringify(rec));
    else if (opts.format === 'csv') csvLines(rec).forEach(out);
    else tableLines(rec).forEach(out);
  }
  progress.stop();
  if (opts.format === 'json') out(JSON.stringify(collected, null, 2));
  const modelMpp = measure.model?.mpp ?? null;
  if (modelMpp !== null && unknownMpp > 0) {
    process.stderr.write(`focuslite: ${unknownMpp} image(s) record no pixel size and were scored as stored; the model was trained at ${modelMpp} µm/px (pass --mpp <µm/px> to resample them to it)\n`);
  }
  if (failed > 0 || heatmapsFailed > 0) {
    const maps = heatmapsFailed > 0 ? `, ${heatmapsFailed} heat map(s) not written` : '';
    process.stderr.write(`focuslite: ${failed} input(s) failed, ${scored} scored${maps}\n`);
  }
  return failed > 0 || heatmapsFailed > 0 ? 1 : 0;
}
