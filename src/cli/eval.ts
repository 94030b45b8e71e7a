/**
 * `focuslite eval`: metrics of a model on a labelled dataset (FocusPath, TCGA@Focus or a score CSV),
 * as a Table-1-style Markdown table or JSON on stdout. See src/eval/evaluate-dataset.ts.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_MODEL_HELP } from '../io/model-source.js';
import type { EvalSource } from '../eval/evaluate-dataset.js';
import { defaultThreads } from '../runtime/threads.js';
import { choiceOption, intOption } from './options.js';
import { createProgress } from './progress.js';

const REPORT_FORMATS = ['markdown', 'json'] as const;

interface EvalOpts {
  weights?: string;
  method?: string;
  focuspath?: string;
  tcga?: string;
  csv?: string;
  images?: string;
  threads: number;
  format: (typeof REPORT_FORMATS)[number];
  out?: string;
  scores?: string;
  name?: string;
  kernel?: string;
}

/** Exactly one dataset option; its list and --images. */
export function evalSourceOf(opts: { focuspath?: string; tcga?: string; csv?: string; images?: string }, prefix = ''): EvalSource {
  const given = [
    opts.focuspath !== undefined ? { format: 'focuspath' as const, list: opts.focuspath } : null,
    opts.tcga !== undefined ? { format: 'tcga-at-focus' as const, list: opts.tcga } : null,
    opts.csv !== undefined ? { format: 'csv' as const, list: opts.csv } : null,
  ].filter((s) => s !== null);
  if (given.length !== 1) {
    throw new Error(`Expected exactly one of --${prefix}focuspath, --${prefix}tcga, --${prefix}csv but received ${given.length}`);
  }
  return { ...given[0]!, ...(opts.images !== undefined ? { images: opts.images } : {}) };
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate a model on a labelled dataset: SRCC, PLCC, ROC-AUC, AP (higher score = blurrier = positive)')
    .option('-w, --weights <file>', `model: focuslite weights JSON, an original FocusLiteNN .pt checkpoint or an ONNX model (default: ${DEFAULT_MODEL_HELP})`)
    .option('-m, --method <name>', 'focus measure instead of a model: focuslitenn or a registered measure (fqpath, hvs-maxpol-1, ...); classic measures score whole images, as the paper ran them')
    .option('--focuspath <list>', 'FocusPath list (name.tif,slide,strip,slice,position,score,z-level); metrics vs |z|, ROC/PR with |z|>=3 blurry, <=2 sharp')
    .option('--tcga <list>', 'TCGA@Focus list (path,organ,marker,label); positive = out of focus (label 1)')
    .option('--csv <file>', 'CSV path,score[,label]: correlations vs score, ROC/PR vs label when present')
    .option('--images <dir>', 'folder the listed images are relative to (default: <list folder>/images for FocusPath if present, else the list folder)')
    .option('-t, --threads <n>', 'compute threads', intOption('threads', 1, 256), defaultThreads())
    .option('-f, --format <format>', `report format on stdout: ${REPORT_FORMATS.join(', ')}`, choiceOption('format', REPORT_FORMATS), 'markdown')
    .option('-o, --out <dir>', 'also write report.md, report.json and scores.csv into this folder')
    .option('--scores <file.csv>', 'write per-image scores (name,path,score,target,label,width,height)')
    .option('--name <text>', 'model name in the table (default: FocusLiteNN-<kernels>, or the measure\'s name)')
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference); default: the fastest available')
    .action(async (opts: EvalOpts) => {
      process.exitCode = await runEval(opts);
    });
}

async function runEval(opts: EvalOpts): Promise<number> {
  const source = evalSourceOf(opts);
  // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
  const { evaluateDataset, formatEvaluationJson, formatEvaluationMarkdown, loadEvalDataset, makeOutputDir, scoresCsv, timingLine, writeOutputFile } = await import('../eval/evaluate-dataset.js');
  const { resolveMeasure } = await import('../pipeline/measure-source.js');
  // Both checks before any scoring: every missing image is listed, and the weights load.
  const dataset = await loadEvalDataset(source);
  const measure = await resolveMeasure({ weights: opts.weights, method: opts.method, kernel: opts.kernel });
  const weights = measure.path;
  if (opts.out) makeOutputDir(opts.out);

  const progress = createProgress(dataset.items.length, 'evaluating');
  const ev = await evaluateDataset(dataset, measure.model ?? measure, {
    threads: opts.threads,
    kernel: opts.kernel,
    ...(weights !== undefined ? { weights } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    onImage: () => progress.tick(),
    onScored: (scored) => {
      progress.stop();
      // Written before the metrics, so the scores survive an undefined metric (e.g. constant scores).
      const csv = scoresCsv(scored.images);
      if (opts.scores) writeOutputFile(opts.scores, csv);
      if (opts.out) writeOutputFile(join(opts.out, 'scores.csv'), csv);
    },
  });
  const markdown = formatEvaluationMarkdown(ev);
  const json = formatEvaluationJson(ev);
  if (opts.out) {
    writeOutputFile(join(opts.out, 'report.md'), markdown);
    writeOutputFile(join(opts.out, 'report.json'), json);
  }
  process.stderr.write(`focuslite: ${timingLine(ev.timing)}\n`);
  process.stdout.write(opts.format === 'json' ? json : markdown);
  return 0;
}
