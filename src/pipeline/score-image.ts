/** Library entry for one image: a path, an encoded buffer, or decoded RGB pixels. */
import type { RgbImage } from '../core/image.js';
import type { FocusLiteModel } from '../core/model.js';
import { scoreRgbImage, type ImageScore, type ScoreOptions } from '../core/score.js';
import { decodeImage } from '../io/decode.js';
import { pickKernel } from '../runtime/kernel.js';

export interface ScoreImageOptions extends ScoreOptions {
  /** kernel backend name; default: the fastest available */
  kernel?: string;
}

function isRgbImage(x: unknown): x is RgbImage {
  return !!x && typeof x === 'object' && 'width' in x && 'height' in x && 'data' in x;
}

export async function scoreImage(model: FocusLiteModel, input: string | Uint8Array | RgbImage, options: ScoreImageOptions = {}): Promise<ImageScore> {
  const label = options.label ?? (typeof input === 'string' ? input : 'image');
  const image = isRgbImage(input) ? input : await decodeImage(input, label);
  return scoreRgbImage(model, pickKernel(options.kernel), image, { ...options, label });
}
