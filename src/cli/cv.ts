/**
 * `focuslite cv`: the paper's protocol, k random 60/20/20 splits (or given ones), train on each,
 * select by validation, report test metrics as mean ± std, optionally a transfer dataset.
 * See src/eval/cv.ts.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { GROUP_BY, type GroupBy } from '../eval/cv-splits.js';
import { defaultThreads } from '../runtime/threads.js';
import type { Dataset } from '../io/datasets/index.js';
import { LOSS_NAMES, type LossName } from '../train/losses.js';
import { DEFAULT_CONFIG } from '../train/config.js';
import type { TrainConfig } from '../train/trainer.js';
import { evalSourceOf } from './eval.js';
import { choiceOption, intOption, numberOption } from './options.js';

interface CvOpts {
  focuspath: string;
  images?: string;
  splits: number;
  splitList?: string[];
  seed: number;
  groupBy: GroupBy;
  kernels: number;
  pooling: TrainConfig['pooling'];
  loss: LossName;
  epochs: number;
  batch: number;
  lr: number;
  step: number;
  gamma: number;
  crop: number;
  valCrops: number;
  threads: number;
  kernel?: string;
  transferTcga?: string;
  transferCsv?: string;
  transferImages?: string;
  out: string;
  timingRepeats: number;
  cacheMem: number;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read ${what} (${code === 'ENOENT' ? 'not found' : (err as Error).message})`);
  }
}

export function cvCommand(): Command {
  const cmd = new Command('cv')
    .description('Cross-validation as in the paper: k random 60/20/20 splits, train, select on validation, test; mean ± std')
    .requiredOption('--focuspath <list>', 'FocusPath list (name.tif,slide,strip,slice,position,score,z-level)')
    .option('--images <dir>', 'FocusPath image folder (default: <list folder>/images if present, else the list folder)')
    .option('--splits <k>', 'number of random splits', intOption('splits', 1, 100), 10)
    .option('--split-list <files...>', 'given splits instead: one path,split file (train/val/test) per split')
    .option('--seed <n>', 'seed of the splits and of training', intOption('seed', 0, 0xffffffff), 1)
    .option('--group-by <what>', `split unit: ${GROUP_BY.join(', ')} (slide keeps a slide's images in one part)`, choiceOption('group-by', GROUP_BY), 'image')
    .option('--kernels <n>', 'conv kernels', intOption('kernels', 1, 1024), DEFAULT_CONFIG.kernels)
    .option('--pooling <kind>', 'pooling: min, min-max', choiceOption('pooling', ['min', 'min-max'] as const), DEFAULT_CONFIG.pooling)
    .option('--loss <name>', `training loss: ${LOSS_NAMES.join(', ')}`, choiceOption('loss', LOSS_NAMES), DEFAULT_CONFIG.loss)
    .option('--epochs <n>', 'training epochs per split', intOption('epochs', 1, 100000), DEFAULT_CONFIG.epochs)
    .option('--batch <n>', 'batch size', intOption('batch', 1, 100000), DEFAULT_CONFIG.batchSize)
    .option('--lr <x>', 'initial learning rate', numberOption('lr', 1e-12, 10), DEFAULT_CONFIG.lr)
    .option('--step <n>', 'StepLR step size in epochs', intOption('step', 1, 100000), DEFAULT_CONFIG.stepSize)
    .option('--gamma <x>', 'StepLR factor', numberOption('gamma', 1e-12, 1), DEFAULT_CONFIG.gamma)
    .option('--crop <px>', 'training crop size', intOption('crop', 7, 100000), DEFAULT_CONFIG.cropSize)
    .option('--val-crops <k>', 'validation crops per image: a k x k grid (1 = centre crop)', intOption('val-crops', 1, 100), DEFAULT_CONFIG.valCrops)
    .option('--transfer-tcga <list>', 'also evaluate each split model on a TCGA@Focus list')
    .option('--transfer-csv <file>', 'also evaluate each split model on a path,score[,label] CSV')
    .option('--transfer-images <dir>', 'image folder of the transfer list (default: the list folder)')
    .option('-t, --threads <n>', 'threads for training and scoring', intOption('threads', 1, 256), defaultThreads())
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference); default: the fastest available')
    .option('--cache-mem <GB>', 'keep decoded training pixels in memory up to this size, else in a disk cache under each split folder', numberOption('cache-mem', 0, 1e6), 4)
    .option('--timing-repeats <n>', 'runs per model of the 1024x1024 timing (median)', intOption('timing-repeats', 1, 1000), 5)
    .requiredOption('-o, --out <dir>', 'output folder: split-<j>/ (model.json, scores), report.md, report.json');
  return cmd.action(async (opts: CvOpts) => {
    if (opts.splitList && cmd.getOptionValueSource('splits') === 'cli') {
      throw new Error('Expected either --splits or --split-list but received both');
    }
    process.exitCode = await runCv(opts, ['focuslite', 'cv', ...process.argv.slice(3)].join(' '));
  });
}

async function runCv(opts: CvOpts, command: string): Promise<number> {
  // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
  const [{ runCrossValidation }, { formatCvMarkdown }, { parseSplitList }, { loadEvalDataset }] = await Promise.all([
    import('../eval/cv.js'), import('../eval/cv-report.js'), import('../eval/cv-splits.js'), import('../eval/evaluate-dataset.js'),
  ]);
  // Every list is parsed and every image checked (all missing ones listed) before any training.
  const dataset = await loadEvalDataset({ format: 'focuspath', list: opts.focuspath, ...(opts.images !== undefined ? { images: opts.images } : {}) });
  let transfer: Dataset | undefined;
  if (opts.transferTcga !== undefined || opts.transferCsv !== undefined) {
    transfer = await loadEvalDataset(evalSourceOf({ tcga: opts.transferTcga, csv: opts.transferCsv, images: opts.transferImages }, 'transfer-'));
  } else if (opts.transferImages !== undefined) {
    throw new Error('--transfer-images needs --transfer-tcga or --transfer-csv');
  }
  const splitLists = opts.splitList?.map((file) => ({ file, split: parseSplitList(readText(file, 'split list'), file, dataset) }));

  const log = (line: string): void => void process.stderr.write(line + '\n');
  const report = await runCrossValidation({
    dataset,
    outDir: opts.out,
    splits: opts.splits,
    seed: opts.seed,
    groupBy: opts.groupBy,
    ...(splitLists ? { splitLists } : {}),
    config: {
      kernels: opts.kernels,
      pooling: opts.pooling,
      loss: opts.loss,
      epochs: opts.epochs,
      batchSize: opts.batch,
      lr: opts.lr,
      stepSize: opts.step,
      gamma: opts.gamma,
      cropSize: opts.crop,
      valCrops: opts.valCrops,
    },
    threads: opts.threads,
    ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}),
    ...(transfer ? { transfer } : {}),
    timingRepeats: opts.timingRepeats,
    cacheMemBytes: opts.cacheMem * 2 ** 30,
    command,
    events: {
      onSplitStart: (k, n, s) => log(`split ${k}/${n}: train ${s.train}, val ${s.val}, test ${s.test} images`),
      train: (k) => ({
        onEpochEnd: (row, improved) => {
          const val = row.valSrcc === null ? '-' : row.valSrcc.toFixed(4);
          log(`  split ${k} epoch ${row.epoch}: loss ${row.trainLoss.toFixed(4)}, val SRCC ${val}${improved ? ' (best)' : ''}, ${row.seconds.toFixed(1)} s`);
        },
      }),
      onSplitDone: (r) => {
        const t = r.transfer ? `; transfer SRCC ${r.transfer.srcc.toFixed(4)}` : '';
        log(`split ${r.split}${r.reused ? ' (reused from an earlier run)' : ''}: test SRCC ${r.test.srcc.toFixed(4)}, PLCC ${r.test.plcc.toFixed(4)}${t}; ${r.msPer1024.toFixed(1)} ms per 1024x1024 image`);
      },
    },
  });
  process.stdout.write(formatCvMarkdown(report));
  log(`focuslite: wrote ${opts.out}/report.md and report.json`);
  return 0;
}
