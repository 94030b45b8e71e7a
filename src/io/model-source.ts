/**
 * Where a command's model comes from: --weights (focuslite JSON or an original .pt checkpoint), or
 * the built-in default model shipped in models/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FocusLiteModel } from '../core/model.js';

/** The built-in models, trained by `npm run train:defaults` on synthetic data (see models/README). */
export const DEFAULT_MODELS = {
  '1k': 'focuslite-1k.json',
  '2k': 'focuslite-2k.json',
  '10k': 'focuslite-10k.json',
  '1k-zlevel': 'focuslite-1k-zlevel.json',
} as const;

/**
 * The one default model of every command (score, slide, demo, eval): the 1-kernel z-level model.
 * Its scores have an absolute meaning (estimated defocus in µm, 0 = in focus), a training
 * resolution (0.5 µm/px: `slide` and `score --mpp` resample to it) and a blur threshold derived
 * from held-out data, so one tile gets the same score whichever command scores it.
 */
export const DEFAULT_MODEL: keyof typeof DEFAULT_MODELS = '1k-zlevel';

/** How --help names the default model. */
export const DEFAULT_MODEL_HELP = `the built-in 1-kernel z-level model, models/${DEFAULT_MODELS[DEFAULT_MODEL]}`;

export function defaultModelPath(name: keyof typeof DEFAULT_MODELS = DEFAULT_MODEL): string {
  return fileURLToPath(new URL(`../../../models/${DEFAULT_MODELS[name]}`, import.meta.url));
}

export const NO_WEIGHTS_HELP =
  'no weights given and no built-in default model found; pass --weights <model.json | checkpoint.pt> ' +
  '(import an original checkpoint with `focuslite import ckpt.pt -o model.json`, or train one with `focuslite train`)';

export interface ResolvedModel {
  readonly model: FocusLiteModel;
  /** the file it was read from */
  readonly path: string;
  /** how outputs name it: --weights as given, or `built-in <file name>` for the default */
  readonly label: string;
}

/** Load --weights if given, else the built-in DEFAULT_MODEL; a clear error if neither exists. */
export async function resolveModel(weights?: string): Promise<ResolvedModel> {
  // the checkpoint readers load with the first model, not with every command's definition
  const { loadModel } = await import('./weights-file.js');
  if (weights) return { model: await loadModel(weights), path: weights, label: weights };
  const path = defaultModelPath();
  if (!existsSync(path)) throw new Error(NO_WEIGHTS_HELP);
  return { model: await loadModel(path), path, label: `built-in ${DEFAULT_MODELS[DEFAULT_MODEL]}` };
}
