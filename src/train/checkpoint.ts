/**
 * Training checkpoints: the full state needed to continue a run exactly (parameters, Adam
 * moments and step count, the RNG state after the last finished epoch, the best-so-far model and
 * the log rows), as versioned JSON. float64 values survive JSON exactly (shortest round-trip
 * form), so a resumed run draws the same crops and computes the same updates.
 */
import { readFileSync } from 'node:fs';
import type { Pooling } from '../core/model.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import type { LossName } from './losses.js';
import type { RngState } from '../core/random.js';

export const CHECKPOINT_FORMAT = 'focuslite-train-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Settings that define the optimisation path; a resumed run must use the same ones. */
export interface TrainConfig {
  kernels: number;
  pooling: Pooling;
  loss: LossName;
  /** total epochs to train (may be raised when resuming) */
  epochs: number;
  batchSize: number;
  lr: number;
  /** StepLR: multiply the learning rate by `gamma` every `stepSize` epochs */
  stepSize: number;
  gamma: number;
  seed: number;
  cropSize: number;
  /** validation crops per image: a valCrops x valCrops grid (1 = the centre crop) */
  valCrops: number;
}

export interface LogRow {
  epoch: number;
  lr: number;
  trainLoss: number;
  valSrcc: number | null;
  valPlcc: number | null;
  seconds: number;
}

export interface BestState {
  epoch: number;
  srcc: number | null;
  plcc: number | null;
  params: number[];
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  config: TrainConfig;
  /** sha256 of the train/validation item lists (see trainer.ts) */
  dataHash: string;
  /** epochs finished */
  epochsDone: number;
  params: number[];
  adam: { step: number; m: number[]; v: number[] };
  rng: RngState;
  best: BestState | null;
  log: LogRow[];
  /** kernel backend the run used (different backends may round differently) */
  kernel: string;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  writeFileAtomicSync(path, JSON.stringify(cp) + '\n');
}

function isNumberArray(v: unknown, len?: number): v is number[] {
  return Array.isArray(v) && (len === undefined || v.length === len) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

export function readCheckpoint(path: string): Checkpoint {
  let doc: Partial<Checkpoint>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<Checkpoint>;
  } catch (err) {
    throw new Error(`${path}: cannot read checkpoint (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const bad = (what: string): never => {
    throw new Error(`${path}: not a valid focuslite training checkpoint: ${what}`);
  };
  if (!doc || doc.format !== CHECKPOINT_FORMAT) bad(`"format" must be "${CHECKPOINT_FORMAT}"`);
  if (doc.version !== CHECKPOINT_VERSION) bad(`unsupported version ${JSON.stringify(doc.version)}`);
  if (!doc.config || typeof doc.config !== 'object') bad('missing "config"');
  if (typeof doc.dataHash !== 'string') bad('missing "dataHash"');
  if (!Number.isInteger(doc.epochsDone) || doc.epochsDone! < 0) bad('"epochsDone" must be a non-negative integer');
  if (!isNumberArray(doc.params)) bad('"params" must be an array of finite numbers');
  const n = doc.params!.length;
  if (!doc.adam || !Number.isInteger(doc.adam.step) || !isNumberArray(doc.adam.m, n) || !isNumberArray(doc.adam.v, n)) bad('"adam" must hold step, m and v matching the parameters');
  if (!isNumberArray(doc.rng, 4)) bad('"rng" must be four numbers');
  if (doc.best !== null && (!doc.best || !isNumberArray(doc.best.params, n))) bad('"best" must be null or hold parameters');
  if (!Array.isArray(doc.log)) bad('"log" must be an array');
  return doc as Checkpoint;
}
