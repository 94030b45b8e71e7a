/** `focuslite train`: train a FocusLiteNN model (see src/train/trainer.ts for what a run does). */
import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Pooling } from '../core/model.js';
import { DATASET_FORMATS, type DatasetFormat } from '../io/datasets/index.js';
import { LOSS_NAMES, type LossName } from '../train/losses.js';
import { DEFAULT_CONFIG } from '../train/config.js';
import type { TrainConfig } from '../train/trainer.js';
import { choiceOption, intOption, numberOption } from './options.js';
import { createProgress, type Progress } from './progress.js';

interface TrainOpts {
  list?: string;
  csv?: string;
  images?: string;
  format: DatasetFormat | 'auto';
  valList?: string;
  valImages?: string;
  valFraction: number;
  valCrops: number;
  kernels: number;
  pooling: Pooling;
  loss: LossName;
  epochs: number;
  batch: number;
  lr: number;
  step: number;
  seed: number;
  threads: number;
  checkpointEvery: number;
  resume?: string;
  init?: string;
  force?: boolean;
  cacheMem: number;
  cacheDir?: string;
  keepCache?: boolean;
  kernel?: string;
  output: string;
}

/** option name -> TrainConfig key, for the settings a checkpoint fixes */
const CONFIG_OPTIONS: Array<[keyof TrainOpts, keyof TrainConfig]> = [
  ['kernels', 'kernels'], ['pooling', 'pooling'], ['loss', 'loss'], ['epochs', 'epochs'], ['batch', 'batchSize'],
  ['lr', 'lr'], ['step', 'stepSize'], ['seed', 'seed'], ['valCrops', 'valCrops'],
];

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('Train a FocusLiteNN model: one random 235x235 crop per image and step, Adam, StepLR; writes <out>/model.json, log.csv, checkpoint.json')
    .option('--list <file>', 'training list: FocusPath (name.tif,slide,strip,slice,position,score,z-level; target |z|) or TCGA@Focus')
    .option('--images <dir>', 'folder the listed image names are relative to')
    .option('--csv <file>', 'training list as a CSV of path,score (instead of --list)')
    .option('--format <format>', `list format: auto, ${DATASET_FORMATS.join(', ')}`, choiceOption('format', ['auto', ...DATASET_FORMATS] as const), 'auto')
    .option('--val-list <file>', 'validation list (same format); default: split --val-fraction off the training list by slide')
    .option('--val-images <dir>', 'folder for the validation list (default: --images)')
    .option('--val-fraction <f>', 'fraction of the training list held out for validation when there is no --val-list', numberOption('val-fraction', 0, 0.9), 0.2)
    .option('--val-crops <k>', 'validation scores each image on a k x k grid of crops (1 = centre crop)', intOption('val-crops', 1, 100), DEFAULT_CONFIG.valCrops)
    .option('--kernels <n>', 'conv kernels', intOption('kernels', 1, 1024), DEFAULT_CONFIG.kernels)
    .option('--pooling <p>', 'pooling: min or min-max', choiceOption('pooling', ['min', 'min-max'] as const), DEFAULT_CONFIG.pooling)
    .option('--loss <loss>', `loss: ${LOSS_NAMES.join(', ')} (plcc: relative scores; mse/mae: |z-level| scores)`, choiceOption('loss', LOSS_NAMES), DEFAULT_CONFIG.loss)
    .option('--epochs <n>', 'epochs', intOption('epochs', 1, 100000), DEFAULT_CONFIG.epochs)
    .option('--batch <n>', 'images per step', intOption('batch', 1, 100000), DEFAULT_CONFIG.batchSize)
    .option('--lr <x>', 'initial Adam learning rate', numberOption('lr', 1e-9, 10), DEFAULT_CONFIG.lr)
    .option('--step <n>', 'StepLR: learning rate x0.1 every n epochs', intOption('step', 1, 100000), DEFAULT_CONFIG.stepSize)
    .option('--seed <n>', 'random seed (same seed, data and settings -> identical weights)', intOption('seed', 0, 0xffffffff), DEFAULT_CONFIG.seed)
    .option('-t, --threads <n>', 'worker threads for crops and forward passes', intOption('threads', 1, 256), availableParallelism())
    .option('--checkpoint-every <k>', 'write checkpoint.json every k epochs (and after the last)', intOption('checkpoint-every', 1, 100000), 1)
    .option('--resume <checkpoint>', 'continue a run from its checkpoint.json (same data; --epochs may be raised)')
    .option('--init <weights>', 'start from these weights (focuslite JSON or .pt of the same --kernels and --pooling) instead of a random initialisation: fine-tuning, e.g. a built-in on the z-stacks of your own scanner')
    .option('--force', 'train into an output folder that already holds a run, replacing its model.json, checkpoint.json and log.csv')
    .option('--cache-mem <GB>', 'keep decoded training pixels in memory up to this size, else in a disk cache under the output folder', numberOption('cache-mem', 0, 1e6), 4)
    .option('--cache-dir <dir>', 'disk cache folder (default <out>/pixel-cache)')
    .option('--keep-cache', 'keep the disk pixel cache after a successful run')
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference); default: the fastest available')
    .requiredOption('-o, --output <dir>', 'output folder');
  cmd.action(async (opts: TrainOpts) => {
    // commander keeps the argv it parsed as an (untyped) rawArgs; recorded in the model's provenance
    const raw = ((cmd.parent as { rawArgs?: string[] } | null)?.rawArgs ?? []).slice(2);
    process.exitCode = await runTrain(opts, (key) => cmd.getOptionValueSource(key) === 'cli', ['focuslite', ...raw].map(quoteArg).join(' '));
  });
  return cmd;
}

async function runTrain(opts: TrainOpts, given: (key: string) => boolean, command: string): Promise<number> {
  // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
  const [{ loadInitWeights, loadTrainingData }, { claimOutputFolder, train }, { readCheckpoint }] = await Promise.all([import('../train/training-data.js'), import('../train/trainer.js'), import('../train/checkpoint.js')]);
  // Before anything slow: a folder holding another run is refused (or cleared with --force).
  claimOutputFolder(opts.output, { resume: opts.resume !== undefined, force: opts.force === true });
  // A resumed run takes its settings (and the seed of its validation split) from the checkpoint;
  // only options given explicitly are passed on, and the trainer rejects any that conflict.
  const resumed = opts.resume ? readCheckpoint(opts.resume) : null;
  const config: Partial<TrainConfig> = {};
  for (const [opt, key] of CONFIG_OPTIONS) {
    if (!resumed || given(opt)) (config as Record<string, unknown>)[key] = opts[opt];
  }
  const seed = resumed && !given('seed') ? resumed.config.seed : opts.seed;
  const init = opts.init ? await loadInitWeights(opts.init) : undefined;
  const data = await loadTrainingData({
    list: opts.list, csv: opts.csv, images: opts.images, format: opts.format,
    valList: opts.valList, valImages: opts.valImages, valFraction: opts.valFraction, seed,
  });
  const log = (line: string): void => void process.stderr.write(line + '\n');
  log(`focuslite train: ${data.train.length} training and ${data.val.length} validation images -> ${opts.output}${resumed ? ` (resuming after epoch ${resumed.epochsDone})` : ''}`);
  let bar: Progress | null = null;
  let cacheBar: Progress | null = null;
  let totalEpochs = resumed && !given('epochs') ? resumed.config.epochs : opts.epochs;
  // Ctrl-C / kill: files are written synchronously between epochs, so the handler never runs
  // mid-write; it says what is on disk (model.json records the run as unfinished) and how to go on.
  let epochsDone = resumed?.epochsDone ?? 0;
  let checkpointed = resumed?.epochsDone ?? 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    const checkpoint = join(opts.output, 'checkpoint.json');
    const next = checkpointed > 0 ? `continue with --resume ${checkpoint} (epoch ${checkpointed})` : 'no checkpoint was written yet';
    const model = epochsDone > 0 ? `${join(opts.output, 'model.json')} is marked unfinished` : 'no model was written';
    log(`\nfocuslite train: interrupted (${signal}) after ${epochsDone} of ${totalEpochs} epochs; ${model}; ${next}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const res = await train({
    config,
    train: data.train,
    val: data.val,
    outDir: opts.output,
    threads: opts.threads,
    kernel: opts.kernel,
    checkpointEvery: opts.checkpointEvery,
    resume: opts.resume,
    init,
    cacheMemBytes: opts.cacheMem * 2 ** 30,
    cacheDir: opts.cacheDir,
    keepCache: opts.keepCache,
    command,
    manifest: data.manifest,
    events: {
      onCacheProgress(what, done, total) {
        cacheBar ??= createProgress(total, `decoding ${what}`);
        cacheBar.tick();
        if (done === total) {
          cacheBar.stop();
          cacheBar = null;
        }
      },
      onCacheReady(what, info) {
        log(`${what} pixels: ${(info.bytes / 2 ** 30).toFixed(2)} GB ${info.kind === 'memory' ? 'in memory' : `on disk${info.reused ? ' (reused)' : ''}`}, ${info.seconds.toFixed(1)} s`);
      },
      onEpochStart(epoch, steps) {
        bar = createProgress(steps, `epoch ${epoch}/${totalEpochs}`, ' | loss {loss}');
      },
      onStep(_step, _steps, loss) {
        bar?.tick(1, { loss: Number.isFinite(loss) ? loss.toFixed(4) : '-' });
      },
      onEpochEnd(row, improved) {
        bar?.stop();
        bar = null;
        const val = row.valSrcc !== null || row.valPlcc !== null ? `, val SRCC ${row.valSrcc?.toFixed(4) ?? '-'} PLCC ${row.valPlcc?.toFixed(4) ?? '-'}` : '';
        epochsDone = row.epoch;
        if (row.epoch % opts.checkpointEvery === 0 || row.epoch === totalEpochs) checkpointed = row.epoch;
        log(`epoch ${row.epoch}/${totalEpochs}: lr ${row.lr.toPrecision(3)}, loss ${row.trainLoss.toFixed(4)}${val}, ${row.seconds.toFixed(1)} s${improved ? ' (best so far)' : ''}`);
      },
    },
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  totalEpochs = res.log.length;
  const b = res.best;
  log(`best epoch ${b.epoch}${b.srcc !== null ? ` (val SRCC ${b.srcc.toFixed(4)}, PLCC ${b.plcc?.toFixed(4) ?? '-'})` : ''}; kernel ${res.kernel}`);
  process.stdout.write(`${join(opts.output, 'model.json')}\n`);
  return 0;
}
