/**
 * The data side of a training run: load the list (FocusPath / TCGA@Focus / score CSV, through
 * datasets.ts), take the validation set from --val-list or split a seeded, slide-grouped fraction
 * off the training list, and describe the list files for the model's provenance (name + sha256);
 * also the weights a run starts from (--init).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadDataset, loadScoreCsv, type DatasetFormat, type DatasetItem } from '../io/datasets/index.js';
import { loadModel } from '../io/weights-file.js';
import type { FocusLiteModel } from '../core/model.js';
import { splitValidation } from './split.js';
import type { TrainItem } from './trainer.js';

export interface TrainingDataOptions {
  /** list file (format detected unless `format` is given) */
  list?: string;
  /** score CSV `path,score[,label]` */
  csv?: string;
  /** folder the listed names are relative to */
  images?: string;
  format?: DatasetFormat | 'auto';
  valList?: string;
  valImages?: string;
  /** fraction split off the training list when there is no validation list */
  valFraction: number;
  seed: number;
}

export interface TrainingData {
  train: TrainItem[];
  val: TrainItem[];
  manifest: Record<string, unknown>;
}

function fileDigest(path: string): { file: string; sha256: string } {
  return { file: basename(path), sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

/** `train --init`: the weights to start from, and the file's SHA-256 for the new model's provenance. */
export async function loadInitWeights(path: string): Promise<{ model: FocusLiteModel; label: string; sha256: string }> {
  return { model: await loadModel(path), label: path, sha256: fileDigest(path).sha256 };
}

const toItem = (d: DatasetItem): TrainItem => ({ path: d.path, target: d.target, group: d.group });

export async function loadTrainingData(o: TrainingDataOptions): Promise<TrainingData> {
  if (!!o.list === !!o.csv) throw new Error('Expected exactly one of --list or --csv for the training data');
  const file = (o.list ?? o.csv)!;
  const imagesDir = o.images ? { imagesDir: o.images } : {};
  const ds = o.csv ? await loadScoreCsv(o.csv, imagesDir) : await loadDataset(file, o.format ?? 'auto', imagesDir);
  if (ds.items.length === 0) throw new Error(`${file}: the list holds no images`);
  const manifest: Record<string, unknown> = { format: ds.format, list: fileDigest(file) };
  let train: TrainItem[];
  let val: TrainItem[];
  if (o.valList) {
    const vds = await loadDataset(o.valList, o.format ?? 'auto', (o.valImages ?? o.images) ? { imagesDir: (o.valImages ?? o.images)! } : {});
    train = ds.items.map(toItem);
    val = vds.items.map(toItem);
    manifest.validationList = fileDigest(o.valList);
  } else {
    const split = splitValidation(ds.items.map(toItem), o.valFraction, o.seed);
    train = split.train;
    val = split.val;
    manifest.validationSplit = { fraction: o.valFraction, seed: o.seed, byGroup: ds.items.some((i) => i.group !== undefined) };
  }
  return { train, val, manifest };
}
