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

export function defaultModelPath(name: keyof typeof DEFAULT_MODELS = '1k'): string {
  return fileURLToPath(new URL(`../../../models/${DEFAULT_MODELS[name]}`, import.meta.url));
}

export const NO_WEIGHTS_HELP =
  'no weights given and no built-in default model found; pass --weights <model.json | checkpoint.pt> ' +
  '(import an original checkpoint with `focuslite import ckpt.pt -o model.json`, or train one with `focuslite train`)';

/** Load --weights if given, else the built-in 1-kernel default; a clear error if neither exists. */
export async function resolveModel(weights?: string): Promise<{ model: FocusLiteModel; path: string }> {
  // the checkpoint readers load with the first model, not with every command's definition
  const { loadModel } = await import('./weights-file.js');
  if (weights) return { model: await loadModel(weights), path: weights };
  const path = defaultModelPath('1k');
  if (!existsSync(path)) throw new Error(NO_WEIGHTS_HELP);
  return { model: await loadModel(path), path };
}
