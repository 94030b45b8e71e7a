/**
 * `focuslite compare`: every method on one labelled dataset, as Table 1 of the paper, with plots.
 * See src/eval/compare.ts.
 */
import { Command } from 'commander';
import { defaultThreads } from '../runtime/threads.js';
import { evalSourceOf } from './eval.js';
import { choiceOption, intOption } from './options.js';
import { createProgress } from './progress.js';

const REPORT_FORMATS = ['markdown', 'json'] as const;

interface CompareOpts {
  focuspath?: string;
  tcga?: string;
  csv?: string;
  images?: string;
  methods: string;
  weights: string[];
  out: string;
  threads: number;
  format: (typeof REPORT_FORMATS)[number];
  maxPixels: number;
  kernel?: string;
  plots: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function compareCommand(): Command {
  return new Command('compare')
    .description('Compare focus methods on a labelled dataset (the paper\'s Table 1): SRCC, PLCC, ROC-AUC, PR-AUC, parameters, ms per 1024² image, with plots')
    .option('--focuspath <list>', 'FocusPath list; metrics vs |z|, ROC/PR with |z|>=3 blurry, <=2 sharp')
    .option('--tcga <list>', 'TCGA@Focus list (path,organ,marker,label); positive = out of focus (label 1)')
    .option('--csv <file>', 'CSV path,score[,label]: correlations vs score, ROC/PR vs label when present')
    .option('--images <dir>', 'folder the listed images are relative to (as for eval)')
    .option('-m, --methods <list>', 'all, or a comma-separated list of focuslitenn and registered measures (fqpath, hvs-maxpol-1, ...)', 'all')
    .option('-w, --weights <file>', 'add a trained model: focuslite JSON, an original FocusLiteNN .pt, or an ONNX model (.onnx); repeatable', collect, [])
    .option('-o, --out <dir>', 'output folder: report.md, report.json, scores.csv, plots (PNG and SVG)', 'focuslite-compare')
    .option('-t, --threads <n>', 'compute threads', intOption('threads', 1, 256), defaultThreads())
    .option('-f, --format <format>', `report format on stdout: ${REPORT_FORMATS.join(', ')}`, choiceOption('format', REPORT_FORMATS), 'markdown')
    .option('--max-pixels <n>', 'skip images with more pixels than this (each is held whole while every method scores it)', intOption('max-pixels', 1, Number.MAX_SAFE_INTEGER), 4096 * 4096)
    .option('--kernel <name>', 'conv kernel backend for FocusLiteNN (wasm-simd, reference); default: the fastest available')
    .option('--no-plots', 'do not draw the plots')
    .action(async (opts: CompareOpts) => {
      process.exitCode = await runCompare(opts);
    });
}

async function runCompare(opts: CompareOpts): Promise<number> {
  const source = evalSourceOf(opts);
  const [{ compareMethods, failureCount }, { resolveCompareMethods }, report, { loadEvalDataset, makeOutputDir, writeOutputFile }] = await Promise.all([
    import('../eval/compare.js'), import('../eval/compare-methods.js'), import('../eval/compare-report.js'), import('../eval/evaluate-dataset.js'),
  ]);
  // Everything that can be refused is checked before any scoring: the list and its images, the methods, the folder.
  const dataset = await loadEvalDataset(source);
  const methods = await resolveCompareMethods({ methods: opts.methods, weights: opts.weights, ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}) });
  makeOutputDir(opts.out);
  const progress = createProgress(dataset.items.length, `comparing ${methods.length} methods`);
  const comparison = await compareMethods(dataset, methods, {
    threads: opts.threads,
    maxPixels: opts.maxPixels,
    onImage: () => progress.tick(),
    onFailure: (line) => progress.log(`focuslite: ${line}`),
  });
  progress.stop();
  const { join } = await import('node:path');
  const markdown = report.formatComparisonMarkdown(comparison);
  writeOutputFile(join(opts.out, 'scores.csv'), report.comparisonScoresCsv(comparison));
  writeOutputFile(join(opts.out, 'report.json'), report.formatComparisonJson(comparison));
  let plotsFailed = 0;
  if (opts.plots) {
    const [{ comparisonPlots }, { svgToPng }, { writeFileAtomic }] = await Promise.all([import('../eval/plots.js'), import('../io/encode.js'), import('../io/atomic.js')]);
    for (const plot of comparisonPlots(comparison)) {
      try {
        await writeFileAtomic(join(opts.out, `${plot.name}.svg`), plot.svg);
        await writeFileAtomic(join(opts.out, `${plot.name}.png`), await svgToPng(plot.svg));
      } catch (err) {
        plotsFailed++;
        process.stderr.write(`focuslite: ${join(opts.out, plot.name)}.png: plot not written (${err instanceof Error ? err.message : String(err)})\n`);
      }
    }
  }
  // report.md last: its presence means the folder is complete
  writeOutputFile(join(opts.out, 'report.md'), markdown);
  process.stdout.write(opts.format === 'json' ? report.formatComparisonJson(comparison) : markdown);
  const failures = failureCount(comparison);
  if (failures > 0) process.stderr.write(`focuslite: ${failures} image/method failure(s); see ${join(opts.out, 'report.md')}\n`);
  return failures > 0 || plotsFailed > 0 ? 1 : 0;
}
